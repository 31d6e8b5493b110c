"""Variations of a master clip (lesson 08, case 3): the main motion, the crop that keeps it, timed
edits at shot boundaries, and the delivery check of a signed file."""
import pytest
import torch

from utils import videofile
from utils.applications import provenance, variations


def bar_and_breeze(frames=16, height=32, width=96):
    """A white bar crossing from left to right over a background that shimmers a little everywhere
    (changes below MAIN_MOTION), strongest on the left."""
    generator = torch.Generator().manual_seed(0)
    video = 0.02 * torch.rand(frames, 3, height, width, generator=generator) * torch.linspace(1, 0, width)
    for t in range(frames):
        video[t, :, 8:24, 50 + 2 * t:56 + 2 * t] = 1
    return video


def test_main_motion_leaves_out_small_changes():
    profile = variations.main_motion(bar_and_breeze())
    moving = profile.sum(dim=0).nonzero().flatten()
    assert moving.min() >= 50 and moving.max() < 56 + 2 * 15


def test_motion_inside_is_the_share_of_the_main_motion_in_the_crop():
    profile = torch.zeros(3, 10)
    profile[0, 2], profile[1, 8] = 1.0, 3.0
    shares = variations.motion_inside(profile, torch.tensor([0, 0, 4]), 5)
    assert shares.tolist() == [1.0, 0.0, 1.0]                                   # the last frame has no main motion


def test_following_the_most_motion_keeps_the_bar_where_the_mean_and_the_centre_do_not():
    video = bar_and_breeze()
    kept = {}
    for follow in variations.FOLLOW:
        clip, lefts, width = variations.reframe(video, (9, 16), follow)
        assert clip.shape == (16, 3, 32, 18) and lefts.dtype == torch.long
        kept[follow] = variations.keeps_subject(video, lefts, width)
    assert kept["most motion"] >= 0.9 and kept["most motion"] > kept["mean motion"] and kept["centre"] < 0.5, kept


def test_a_timed_edit_takes_whole_shots_in_order_then_the_end_card():
    first, second = torch.zeros(10, 1, 4, 4), torch.ones(10, 1, 4, 4)        # two shots: a cut at frame 10
    card = torch.full((1, 4, 4), 0.5)
    short = variations.timed_edit(torch.cat([first, second]), 10, 1.5, card)
    assert short.shape == (15, 1, 4, 4) and torch.equal(short[:10], first) and torch.equal(short[10:], second[:5])
    long = variations.timed_edit(torch.cat([first, second]), 10, 2.6, card)
    assert len(long) == 26 and torch.equal(long[20:], card.expand(6, -1, -1, -1))


def test_the_delivery_check_reads_the_file_back(tmp_path):
    clip = bar_and_breeze(frames=10, width=18)
    key = provenance.new_key()
    unsigned = videofile.write_video(tmp_path / "raw.mp4", clip, fps=10, progress=False)
    signed = provenance.sign_video(unsigned, tmp_path / "v.mp4", key, "test", None, ["reframe 9:16"])
    row = variations.delivery_check(signed, key.public_key(), (9, 16), 1.0, clip)
    assert row["aspect ok"] and row["length ok"] and row["provenance"] == "intact" and row["PSNR vs the edit (dB)"] > 20
    assert variations.delivery_check(unsigned, key.public_key(), (9, 16), 2.0, clip)["provenance"] == "not signed"
    assert not variations.delivery_check(unsigned, key.public_key(), (9, 16), 2.0, clip)["length ok"]


@pytest.mark.parametrize("call, words", [
    (lambda: variations.reframe(torch.zeros(4, 3, 32, 18), (16, 9)), "narrower than the clip"),
    (lambda: variations.reframe(torch.zeros(4, 3, 32, 64), (9, 16), follow="face"), "follow: expected one of"),
    (lambda: variations.timed_edit(torch.zeros(4, 3, 8, 8), 25, 1, torch.zeros(3, 4, 4)), "end_card: expected an image of the clip's frame size"),
    (lambda: variations.main_motion(torch.zeros(1, 3, 8, 8)), "at least 2 frames"),
])
def test_bad_input_is_a_clear_error(call, words):
    with pytest.raises(ValueError, match=words):
        call()
