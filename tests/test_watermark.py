"""Lesson 06's watermark: invisible (PSNR ≥ 40 dB), read back after H.264, downscaling and cropping,
not found where it is not, and clear about input it cannot carry."""
import pytest
import torch

from utils import data, metrics, video, videofile
from utils.applications import watermark

KEY = 11


@pytest.fixture(scope="module")
def marked():
    clip, _ = data.load_clip("bikes", start=100, end=120)                     # (20, 3, 272, 640), one shot
    payload = watermark.random_payload(3)
    return clip, payload, watermark.embed(clip, payload, KEY)


def test_the_mark_is_invisible_and_read_exactly(marked):
    clip, payload, signed = marked
    assert metrics.psnr(signed, clip) >= 40
    found = watermark.read(signed, KEY)
    assert found["marked"] and torch.equal(found["bits"], payload)


@pytest.mark.parametrize("attack, bar", [
    (lambda v: videofile.reencode(v, quality=23), 0.95),
    (lambda v: videofile.reencode(v, quality=28), 0.9),
    (lambda v: video.resize(v, (v.shape[-2] // 2, v.shape[-1] // 2)), 0.9),
    (lambda v: v[..., 27:, 64:], 0.9),                                       # 10 % off the top and the left
], ids=["H.264 CRF 23", "H.264 CRF 28", "downscaled by 2", "cropped by 10 %"])
def test_the_payload_survives(marked, attack, bar):
    _, payload, signed = marked
    found = watermark.read(attack(signed), KEY)
    assert found["marked"] and watermark.bit_accuracy(found["bits"], payload) >= bar


def test_unmarked_clips_are_not_called_marked(marked):
    clip, _, _ = marked
    others = [clip, data.load_clip_width("bigbuckbunny", 640, end=20)[0], data.load_clip("carphone", end=20)[0]]
    assert not any(watermark.read(v, key)["marked"] for v in others for key in (KEY, 0, 12))


def test_another_key_reads_noise_not_the_payload(marked):
    _, payload, signed = marked
    assert all(watermark.bit_accuracy(watermark.read(signed, key)["bits"], payload) < 0.8 for key in (0, 1, 12))


def test_a_crop_only_shifts_the_folded_tile():
    tile = watermark.mark_tile(watermark.random_payload(0), KEY)
    image = tile.repeat(3, 4)
    assert torch.allclose(watermark.fold(image), 12 * tile)
    shifted = watermark.fold(image[13:, 29:])                                # fewer whole tiles, the tile rolled
    assert torch.allclose(watermark.spectrum(shifted) / 6, watermark.spectrum(tile), atol=1e-3)


def test_the_keys_frequencies_are_distinct_and_in_band():
    chosen = watermark.key_frequencies(5)
    used = [f for pair in chosen["pairs"] for f in pair] + chosen["sync"]
    assert len(chosen["pairs"]) == watermark.PAYLOAD_BITS and len(set(used)) == len(used) == 2 * 32 + watermark.SYNC
    assert set(used).isdisjoint(chosen["unused"]) and len(chosen["unused"]) >= 32
    assert all(watermark.BAND[0] <= (u * u + v * v) ** 0.5 <= watermark.BAND[1] for u, v in used)
    assert watermark.key_frequencies(5) == watermark.key_frequencies(5) and watermark.key_frequencies(6) != chosen


@pytest.mark.parametrize("call, message", [
    (lambda clip: watermark.embed(clip, torch.ones(31, dtype=torch.long), KEY), "32 bits"),
    (lambda clip: watermark.embed(clip, torch.full((32,), 2), KEY), "32 bits"),
    (lambda clip: watermark.embed(clip, [1] * 32, KEY), "32 bits"),
    (lambda clip: watermark.embed(clip[:8], watermark.random_payload(0), KEY), "too small to carry"),
    (lambda clip: watermark.embed(clip[..., :100, :150], watermark.random_payload(0), KEY), "too small to carry"),
    (lambda clip: watermark.embed(clip * 255, watermark.random_payload(0), KEY), r"\[0, 1\]"),
    (lambda clip: watermark.embed(clip, watermark.random_payload(0), -1), "key"),
    (lambda clip: watermark.read(clip[..., :20, :20], KEY), "too small to read"),
])
def test_bad_input_is_a_clear_error(marked, call, message):
    with pytest.raises(ValueError, match=message):
        call(marked[0])
