"""Lesson 05's learned frame interpolator: shapes and bad input, an untrained network that is the
classical estimate it starts from, and the shipped one beating blending and its own starting point
on held-out frames. (Its card's bars: tests/test_checkpoints.py.)"""
import pytest
import torch

from utils import data, flow, metrics
from utils.data import smooth_texture
from utils.models import interpolator


def _moving_texture(shift=3, size=64):
    """Three RGB frames of a smooth texture moving `shift` px right per frame: (frame0, middle, frame1)."""
    texture = smooth_texture(size, size + 2 * shift, seed=3).expand(3, -1, -1)
    frames = [texture[:, :, 2 * shift - i * shift:2 * shift - i * shift + size] for i in range(3)]
    return [f[None].contiguous() for f in frames]


def test_an_untrained_network_is_the_classical_estimate_it_starts_from():
    frame0, middle, frame1 = _moving_texture()  # 6 px from frame0 to frame1: within a 3-level pyramid's reach
    model = interpolator.IFNet().eval()
    with torch.no_grad():
        estimate = model(frame0, frame1)
        flows = interpolator.initial_flows(frame0, frame1)
    classical = 0.5 * (flow.backward_warp(frame0, flows[:, :2]) + flow.backward_warp(frame1, flows[:, 2:]))
    assert torch.allclose(estimate, classical, atol=1e-6)  # the blocks' zero-initialised heads add nothing yet
    assert metrics.psnr(estimate, middle) > metrics.psnr(0.5 * (frame0 + frame1), middle) + 5


@pytest.mark.parametrize("size", [(37, 50), (64, 64), (30, 97)])
def test_any_frame_size_and_gray_frames(size):
    model = interpolator.IFNet().eval()
    rgb = torch.rand(2, 3, *size)
    assert model.midframes(rgb, rgb.flip(0)).shape == (2, 3, *size)
    gray = torch.rand(3, 1, *size)
    middles = model.midframes(gray, gray)
    assert middles.shape == (3, 1, *size) and torch.allclose(middles, gray, atol=1e-4)  # no motion: the frame itself


@pytest.mark.parametrize("frame0, frame1, words", [
    (torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 40), "the same shape"),
    (torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32), "RGB"),
    (torch.rand(2, 3, 32, 32) * 255, torch.rand(2, 3, 32, 32), "values in \\[0, 1\\]"),
])
def test_bad_frames_are_refused_with_what_was_expected(frame0, frame1, words):
    with pytest.raises(ValueError, match=words):
        interpolator.IFNet()(frame0, frame1)


def test_the_shipped_interpolator_beats_blending_and_its_starting_point_on_held_out_frames():
    frame0, middle, frame1 = data.held_out_triplets(4)["bikes"]
    learned = metrics.psnr(interpolator.load_interpolator().midframes(frame0, frame1), middle)
    untrained = metrics.psnr(interpolator.IFNet().midframes(frame0, frame1), middle)
    blend = metrics.psnr(0.5 * (frame0 + frame1), middle)
    assert learned > blend + 3 and learned > untrained + 0.2, (learned, untrained, blend)


def test_double_frame_rate_takes_the_interpolator():
    clip, _ = data.load_clip("bikes", end=5, size=(68, 160))
    doubled = flow.double_frame_rate(clip, interpolator.load_interpolator().midframes)
    assert doubled.shape == (9, 3, 68, 160) and torch.equal(doubled[0::2], clip)


def test_held_out_triplets_come_from_the_last_fifth_of_each_clip():
    for name, (frame0, middle, frame1) in data.held_out_triplets(2).items():
        clip, _ = data.load_clip_width(name, 256)
        first = round(len(clip) * data.TRIPLET_SPLIT)
        assert torch.equal(frame0[0], clip[first]) and torch.equal(middle[0], clip[first + 2])
        assert frame0.shape[-1] == 256 and len(frame0) == len(middle) == len(frame1) >= 5
