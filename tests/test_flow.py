import pytest
import torch

from utils import data, flow


def _translated(shift, size=48, seed=0):
    """A smooth texture and a copy whose content moved by `shift` = (dx, dy) pixels."""
    texture = data.smooth_texture(size, size, seed)
    dx, dy = shift
    moved = flow.backward_warp(texture, torch.tensor([-dx, -dy]).view(2, 1, 1).expand(2, size, size).float())
    return texture, moved


def test_backward_warp_integer_shift_is_a_roll():
    image = torch.rand(1, 3, 10, 12)
    shifted = flow.backward_warp(image, torch.tensor([2.0, 1.0]).view(1, 2, 1, 1).expand(1, 2, 10, 12))
    assert torch.allclose(shifted[..., :-1, :-2], image[..., 1:, 2:], atol=1e-5)  # out(x) = image(x + flow)
    with pytest.raises(ValueError, match="flow must be"):
        flow.backward_warp(image, torch.zeros(1, 2, 5, 5))


@pytest.mark.parametrize("estimator, tolerance", [
    (flow.lucas_kanade, 0.15), (flow.horn_schunck, 0.3), (flow.tvl1, 0.2), (flow.block_matching, 0.51)])
@pytest.mark.parametrize("shift", [(1.5, -0.5), (4.0, 3.0)])
def test_estimators_recover_a_translation(estimator, tolerance, shift):
    frame0, frame1 = _translated(shift)
    estimate = estimator(frame0, frame1)
    assert estimate.shape == (2, 48, 48)
    inner = estimate[:, 12:-12, 12:-12].flatten(1).median(dim=1).values  # away from the borders
    assert torch.allclose(inner, torch.tensor(shift), atol=tolerance), inner


def test_estimators_take_batches():
    frames0 = torch.stack([_translated((1.0, 0.0), seed=s)[0] for s in range(3)])
    frames1 = torch.stack([_translated((1.0, 0.0), seed=s)[1] for s in range(3)])
    assert flow.lucas_kanade(frames0, frames1).shape == (3, 2, 48, 48)
    assert flow.block_matching(frames0, frames1).shape == (3, 2, 48, 48)


def test_motion_compensation_beats_blending_on_moving_texture():
    frames = torch.stack([_translated((2.0 * t, 1.0 * t))[1] for t in range(5)])  # (5, 1, 48, 48)
    kept, dropped = frames[0::2], frames[1::2]
    errors = {}
    for method in ("blend", "Lucas–Kanade"):
        rebuilt = flow.double_frame_rate(kept, method)[1::2]
        errors[method] = (rebuilt - dropped)[..., 10:-10, 10:-10].abs().mean().item()
    assert errors["Lucas–Kanade"] < 0.5 * errors["blend"], errors


def test_double_frame_rate_and_bad_method():
    clip = torch.rand(4, 3, 16, 16)
    doubled = flow.double_frame_rate(clip, "repeat")
    assert doubled.shape == (7, 3, 16, 16) and torch.equal(doubled[0::2], clip)
    with pytest.raises(ValueError, match="unknown method"):
        flow.midframes(clip[:1], clip[1:2], "magic")
    with pytest.raises(ValueError, match="unknown method 'magic'"):   # before any frame is made
        flow.double_frame_rate(clip, "magic")
    with pytest.raises(ValueError, match="same shape"):
        flow.lucas_kanade(clip[0], clip[1, :, :8])


def test_constant_motion_keeps_a_square_moving():
    clip = torch.zeros(1, 3, 1, 32, 32)
    for t in range(3):
        clip[0, t, :, 12:20, 2 + 2 * t:10 + 2 * t] = 1.0
    made = flow.constant_motion(clip, 3)
    assert made.shape == (1, 3, 1, 32, 32)
    mass = made[0, :, 0].sum(dim=1)                                            # (3, 32): each column's brightness
    columns = ((mass * torch.arange(32.0)).sum(dim=1) / mass.sum(dim=1)).tolist()
    assert all(abs(c - (9.5 + 2 * (k + 1))) < 1.0 for k, c in enumerate(columns)), columns
    with pytest.raises(ValueError, match="context: expected clips"):
        flow.constant_motion(clip[:, :1], 2)
