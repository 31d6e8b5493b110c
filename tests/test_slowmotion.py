"""Slow motion by interpolation (lesson 08, case 1): the frames it makes, the guard at cuts, the
score against dropped frames, and the clear errors."""
import pytest
import torch

from utils.applications import slowmotion


def ramp(frames=9, size=8):
    """A gray clip whose brightness rises linearly: blending rebuilds any frame in between exactly."""
    return torch.linspace(0.1, 0.9, frames)[:, None, None, None].expand(frames, 3, size, size).clone()


def test_hold_across_cut_shows_the_nearer_frame_and_the_middle_goes_to_the_later_shot():
    first, second = torch.zeros(1, 2, 2), torch.ones(1, 2, 2)
    for count, expected in [(1, [1]), (2, [0, 1]), (3, [0, 1, 1]), (4, [0, 0, 1, 1])]:
        held = slowmotion.hold_across_cut(first, second, count)
        assert held.shape == (count, 1, 2, 2) and held[:, 0, 0, 0].tolist() == expected


@pytest.mark.parametrize("factor", slowmotion.FACTORS)
def test_slow_motion_keeps_the_frames_and_blends_linearly_between_them(factor):
    clip = ramp()
    slowed = slowmotion.slow_motion(clip, factor, "blend")
    assert slowed.shape == ((len(clip) - 1) * factor + 1, 3, 8, 8)
    assert torch.equal(slowed[::factor], clip)
    expected = torch.linspace(0.1, 0.9, len(slowed))
    assert torch.allclose(slowed[:, 0, 0, 0], expected, atol=1e-6)


def test_a_gap_that_ends_at_a_cut_holds_frames_instead_of_blending():
    clip = torch.cat([torch.zeros(3, 3, 8, 8), torch.ones(3, 3, 8, 8)])             # a cut at frame 3
    slowed = slowmotion.slow_motion(clip, 4, "blend", cuts=[3])
    assert slowed[9:12, 0, 0, 0].tolist() == [0, 1, 1]                              # the gap 2 → 3, holding
    assert set(slowed.unique().tolist()) == {0.0, 1.0}
    guarded = slowmotion.guarded_slow_motion(torch.cat([torch.rand(6, 3, 8, 8, generator=torch.Generator().manual_seed(0)) * 0.1,
                                                        0.9 + 0.1 * torch.rand(6, 3, 8, 8, generator=torch.Generator().manual_seed(1))]), 2)
    assert torch.equal(guarded[11], guarded[12])                                    # the cut's gap repeats the new shot's frame


def test_score_compares_each_made_frame_with_the_frame_it_stands_for():
    clip = ramp(frames=13)
    rebuilt, scores, made_at = slowmotion.score(clip, 4, "blend")
    assert made_at.tolist() == [i for i in range(13) if i % 4]
    assert torch.allclose(rebuilt, clip, atol=1e-6) and (scores > 60).all()
    _, held, _ = slowmotion.score(clip, 4, "repeat")
    assert (held < scores).all()


@pytest.mark.parametrize("call, words", [
    (lambda: slowmotion.slow_motion(ramp(), 3), r"factor: expected one of \(2, 4, 8\)"),
    (lambda: slowmotion.slow_motion(ramp(), 2, cuts=[9]), r"cuts: expected a list of frame indices 1…8 .*got \[9\]"),
    (lambda: slowmotion.slow_motion(ramp(), 2, cuts=3), r"cuts: expected a list .*got 3$"),
    (lambda: slowmotion.slow_motion(ramp(), 2, "RIFE"), "unknown method 'RIFE'"),
    (lambda: slowmotion.score(ramp(frames=4), 4, "blend"), "expected at least 5 frames"),
    (lambda: slowmotion.hold_across_cut(torch.zeros(1, 2, 2), torch.ones(1, 2, 2), 0), "count: expected frames in the gap"),
    (lambda: slowmotion.slow_motion(torch.zeros(4, 8, 8), 2), "expected"),
])
def test_bad_input_is_a_clear_error(call, words):
    with pytest.raises(ValueError, match=words):
        call()
