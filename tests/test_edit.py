"""The editing steps of lesson 05's pipeline: what each does to a clip, and the clear errors."""
import pytest
import torch

from utils import edit


def moving_square(frames=12, height=72, width=128, speed=8):
    """A white 10 × 10 square moving right on black, `speed` px per frame."""
    video = torch.zeros(frames, 3, height, width)
    for t in range(frames):
        video[t, :, 30:40, 10 + speed * t:20 + speed * t] = 1
    return video


def test_trim_keeps_the_frames_shown_between_start_and_end():
    video = torch.arange(10.0).div(10).view(10, 1, 1, 1).expand(10, 1, 4, 4).contiguous()
    part = edit.trim(video, fps=5, start=0.4, end=1.2)
    assert part[:, 0, 0, 0].tolist() == pytest.approx([0.2, 0.3, 0.4, 0.5])
    with pytest.raises(ValueError, match=r"end ≤ 2 s \(the clip's length\); got start=1, end=3"):
        edit.trim(video, fps=5, start=1, end=3)
    with pytest.raises(ValueError, match="holds no frame at 5 fps"):
        edit.trim(video, fps=5, start=0, end=0.05)


def test_crossfade_overlaps_the_clips_and_dissolves_between_them():
    black, white = torch.zeros(6, 1, 4, 4), torch.ones(5, 1, 4, 4)
    joined = edit.crossfade(black, white, frames=3)
    assert len(joined) == 6 + 5 - 3
    assert joined[:, 0, 0, 0].tolist() == pytest.approx([0, 0, 0, 0.25, 0.5, 0.75, 1, 1])
    assert len(edit.concatenate(black, white)) == 11
    with pytest.raises(ValueError, match="same channels and frame size"):
        edit.crossfade(black, torch.ones(5, 1, 8, 8), frames=2)
    with pytest.raises(ValueError, match="at most the shorter clip's length"):
        edit.crossfade(black, white, frames=6)


def test_reframing_to_vertical_follows_the_moving_square():
    video = moving_square()
    centres = edit.motion_centre(video)
    assert (centres[1:] > centres[:-1]).all()
    vertical = edit.reframe(video, (9, 16))
    assert vertical.shape == (12, 3, 72, 40)
    kept = vertical.sum(dim=(1, 2, 3)) / video.sum(dim=(1, 2, 3))
    assert (kept == 1).all(), f"share of the square inside the window per frame: {kept.tolist()}"
    centred = video[:, :, :, 44:84]                                          # a fixed centre crop loses it
    assert (centred.sum(dim=(1, 2, 3)) == 0).any()


def test_reframing_to_a_wider_shape_crops_rows_and_bad_aspects_are_refused():
    assert edit.reframe(torch.zeros(3, 1, 100, 50), (16, 9)).shape == (3, 1, 28, 50)
    with pytest.raises(ValueError, match=r"\(width, height\) as two positive whole numbers"):
        edit.reframe(torch.zeros(3, 1, 100, 50), "9:16")


def test_a_tone_curve_maps_values_and_an_s_curve_adds_contrast():
    video = torch.rand(4, 3, 16, 16)
    assert torch.allclose(edit.grade(video, [(0, 0), (1, 1)]), video)
    s_curve = edit.grade(video, [(0, 0), (0.25, 0.15), (0.75, 0.85), (1, 1)])
    assert s_curve.std() > video.std() and 0 <= s_curve.min() and s_curve.max() <= 1
    assert edit.grade(torch.full((1, 1, 1, 1), 0.5), [(0, 0), (0.5, 0.2), (1, 1)]).item() == pytest.approx(0.2)
    with pytest.raises(ValueError, match="inputs increasing from 0 to 1"):
        edit.grade(video, [(0.2, 0), (1, 1)])


def test_a_vignette_darkens_the_corners_and_leaves_the_centre():
    graded = edit.vignette(torch.ones(1, 1, 65, 65), strength=0.5)
    assert graded[0, 0, 32, 32].item() == pytest.approx(1.0)
    assert graded[0, 0, 0, 0].item() == pytest.approx(0.5)


def test_a_caption_is_drawn_at_the_bottom_inside_the_title_safe_area():
    video = torch.zeros(2, 3, 72, 128)
    captioned = edit.caption(video, "slow motion")
    rows = (captioned - video).abs().sum(dim=(0, 1, 3)).nonzero().flatten()
    assert rows.min() > 72 // 2 and rows.max() < 72 * (1 - 0.08) + 1
    assert torch.equal(captioned[0], captioned[1]) and captioned.max() > 0.95   # white text
    with pytest.raises(ValueError, match="px wide text does not fit the title-safe area"):
        edit.caption(video, "a caption far too long to fit across this small frame")


def test_a_chinese_caption_without_a_cjk_font_says_how_to_install_one(monkeypatch):
    monkeypatch.setattr(edit, "CJK_FONTS", ())
    with pytest.raises(RuntimeError, match="apt install fonts-noto-cjk"):
        edit.caption(torch.zeros(1, 3, 72, 128), "慢动作")


def test_the_reframing_window_starts_afresh_at_a_cut():
    left, right = moving_square(frames=8, speed=2), moving_square(frames=8, speed=2).flip(-1)
    centres = edit.motion_centre(torch.cat([left, right]))
    assert (centres[:8] < 40).all() and (centres[8:] > 88).all(), centres.tolist()


@pytest.mark.parametrize("direction, first_to_change", [("right", (0, 0)), ("left", (0, -1)), ("down", (0, 0)), ("up", (-1, 0))])
def test_a_wipe_sweeps_the_second_clip_in_from_one_side(direction, first_to_change):
    black, white = torch.zeros(4, 1, 8, 8), torch.ones(4, 1, 8, 8)
    joined = edit.wipe(black, white, frames=3, direction=direction)
    assert len(joined) == 5 and joined[0].sum() == 0 and joined[-1].min() == 1
    covered = [frame.mean().item() for frame in joined[1:4]]
    assert covered == sorted(covered) and 0 < covered[0] < covered[-1] < 1
    row, column = first_to_change
    assert joined[1, 0, row, column] == 1, "the sweep starts at the side it comes from"
    with pytest.raises(ValueError, match="direction: expected one of left, right, up, down"):
        edit.wipe(black, white, frames=3, direction="diagonal")


def test_picture_in_picture_puts_a_looping_inset_in_the_corner():
    video, inset = torch.zeros(6, 3, 72, 128), torch.ones(2, 1, 36, 64)
    out = edit.picture_in_picture(video, inset, scale=0.25, margin=0.05)
    lit = out[0].sum(dim=0).nonzero()
    assert lit[:, 0].min() >= 72 // 2 and lit[:, 1].min() >= 128 // 2        # in the bottom-right quarter
    assert out[0, :, -1, -1].sum() == 0                                      # the margin stays free
    assert torch.equal(out[0], out[5]) and out.shape == video.shape
    with pytest.raises(ValueError, match="more than the 72 px between the frame's margins"):
        edit.picture_in_picture(video, torch.ones(1, 3, 200, 100), scale=0.5, margin=0.0)
    with pytest.raises(ValueError, match=r"53 px tall, more than the 46 px between the frame's margins \(72 px less"):
        edit.picture_in_picture(video, torch.ones(1, 3, 104, 100), scale=0.4, margin=0.1)   # fits the frame, not the margins


def test_a_speed_ramp_maps_output_frames_to_source_frames():
    assert edit.speed_ramp_indices(6, 1, 1).tolist() == [0, 1, 2, 3, 4, 5]
    assert edit.speed_ramp_indices(6, 2, 2).tolist() == [0, 2, 4]
    assert edit.speed_ramp_indices(3, 0.5, 0.5).tolist() == [0, 0, 1, 1, 2, 2]
    ramp = edit.speed_ramp_indices(100, 0.25, 1)                             # easing out of slow motion
    steps = ramp[1:] - ramp[:-1]
    assert ramp[0] == 0 and ramp[-1] == 99 and (steps >= 0).all() and len(ramp) > 100
    assert (steps[:20] == 0).sum() > (steps[-20:] == 0).sum()               # slow at the start: frames repeat
    with pytest.raises(ValueError, match="start_speed: expected a playback speed"):
        edit.speed_ramp_indices(10, 0, 1)


def test_a_clip_splits_into_its_shots():
    left, right = moving_square(frames=8, speed=2), moving_square(frames=8, speed=2).flip(-1)
    assert [len(shot) for shot in edit.shots(torch.cat([left, right]))] == [8, 8]


def test_a_still_is_animated_by_a_zoom_and_a_pan():
    still = torch.rand(3, 40, 60)
    clip = edit.animate_still(still, 8, zoom=2.0, pan=(0.25, 0.0))
    assert clip.shape == (8, 3, 40, 60) and torch.allclose(clip[0], still, atol=1e-5)  # it starts on the still itself
    # the last frame shows the still's centre half, 2× magnified, moved a quarter of the width right
    expected = torch.nn.functional.interpolate(still[None, :, 10:30, 30:60], size=(40, 60), mode="bilinear",
                                               align_corners=False)[0]
    assert (clip[-1, :, 5:-5, 5:-5] - expected[:, 5:-5, 5:-5]).abs().mean() < 0.05


@pytest.mark.parametrize("options, words", [({"frames": 1}, "frames"), ({"zoom": 0}, "zoom"),
                                            ({"pan": (0.9, 0)}, "pan"), ({"pan": 0.1}, "pan")])
def test_animating_a_still_refuses_bad_options(options, words):
    arguments = {"image": torch.rand(3, 8, 8), "frames": 4, **options}
    with pytest.raises(ValueError, match=words):
        edit.animate_still(**arguments)


def test_the_title_safe_position_centres_the_box_above_the_bottom_margin():
    assert edit.title_safe_position((1080, 1920), (60, 800), 0.1) == (560, 912)
    with pytest.raises(ValueError, match="title-safe area, 1536 px wide"):
        edit.title_safe_position((1080, 1920), (60, 1600), 0.1)
    assert edit.title_safe_position((1080, 1920), (864, 800), 0.1) == (560, 108)   # exactly the safe area's height
    with pytest.raises(ValueError, match="title-safe area, 864 px tall"):
        edit.title_safe_position((1080, 1920), (865, 800), 0.1)
