"""Lesson 06's quality report and stress test: thresholds calibrated on real clips flag the failures
they name, and rarely a real clip; the stress test sees a predictor break where it should."""
import pytest
import torch

from utils.applications import generate, quality
from utils.models import evalnet


@pytest.fixture(scope="module")
def thresholds():
    return quality.calibrate(evalnet.benchmark(64, seed=evalnet.REFERENCE_SEED)["video"])


@pytest.fixture(scope="module")
def real():
    return evalnet.benchmark(32)["video"]


def test_real_clips_are_rarely_flagged(thresholds, real):
    assert quality.report({"real": quality.clip_measures(real)}, thresholds)["real"]["any"] <= 0.2


def test_each_flag_catches_its_failure(thresholds, real):
    frozen = real[:, :1].expand_as(real).contiguous()                        # the first frame held
    shuffled = real[:, torch.randperm(real.shape[1], generator=torch.Generator().manual_seed(0))]
    blurred = torch.nn.functional.avg_pool2d(real.flatten(0, 1), 5, stride=1, padding=2).view_as(real)
    other_digit = torch.cat([real[:, :8], real.roll(1, dims=0)[:, 8:]], dim=1)   # the digit changes half way
    table = quality.report({name: quality.clip_measures(clips) for name, clips in
                            {"frozen": frozen, "shuffled": shuffled, "blurred": blurred, "other digit": other_digit}.items()},
                           thresholds)
    assert table["frozen"]["frozen"] >= 0.9 and table["frozen"]["speed"] >= 0.9
    assert table["shuffled"]["flicker"] >= 0.75                               # some shuffles are small jumps the flow can follow
    assert table["other digit"]["identity drift"] >= 0.5
    assert table["blurred"]["blur"] == 0                                     # blur is judged against the clip's own first frame
    sharp_then_blurred = torch.cat([real[:, :12], blurred[:, 12:]], dim=1)
    assert quality.report({"b": quality.clip_measures(sharp_then_blurred)}, thresholds)["b"]["blur"] >= 0.9


def test_the_convlstm_is_flagged_for_blur(thresholds, real):
    table = quality.report({"convlstm": quality.clip_measures(generate.digit_clips("convlstm", real))}, thresholds)
    assert table["convlstm"]["blur"] >= 0.5


def test_furthest_beyond_names_the_worst_clip(thresholds, real):
    frozen = real[:4, :1].expand(-1, 16, -1, -1, -1).contiguous()
    measured = {"real": quality.clip_measures(real[:4]), "frozen": quality.clip_measures(frozen)}
    assert quality.furthest_beyond(measured, thresholds, "frozen")[0] == "frozen"


def test_crossing_finds_digits_that_overlap():
    positions = torch.full((2, 20, 3, 2), -1.0)
    positions[:, :, 0] = torch.tensor([10.0, 10.0])
    positions[0, :, 1] = torch.tensor([40.0, 40.0])                           # always apart
    positions[1, :, 1] = torch.tensor([40.0, 40.0])
    positions[1, 15, 1] = torch.tensor([15.0, 12.0])                          # overlaps once, in the predicted part
    assert quality.crossing(positions, 2).tolist() == [False, True]
    assert quality.crossing(positions, 1).tolist() == [False, False]


def test_the_stress_test_sees_the_convlstm_break():
    predictor = generate.load_model("convlstm")
    stress = quality.stress_test(lambda context: predictor(context, quality.GIVEN), speeds=(3, 8), digit_counts=(1, 3), clips=32)
    assert stress["speed"][8] > stress["speed"][3] and stress["digits"][3] > stress["digits"][1]
    assert stress["speed"][3] < 0.5                                          # inside its training range it beats holding the frame
    assert 0 < stress["occlusion"]["clips_crossing"] < 128


@pytest.mark.parametrize("bad", [torch.rand(2, 16, 3, 64, 64), torch.rand(2, 4, 1, 64, 64), torch.rand(16, 1, 64, 64)])
def test_bad_input_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="videos"):
        quality.clip_measures(bad)


def test_story_drift_reads_real_clips_as_steady_and_a_changed_digit_as_drift(real):
    labels = evalnet.benchmark(32)["labels"][:, 0]
    stories = real.view(8, 4, 16, 1, 64, 64)                                  # real clips, four to a story
    steady = quality.story_drift(stories, labels.view(8, 4)[:, 0])
    assert steady["identity"].shape == steady["sharpness"].shape == (4,)
    assert steady["identity"][0] > 0.6 and (steady["sharpness"] > 0.7).all()
    assert steady["identity"][1:].mean() < 0.5 * steady["identity"][0]        # later clips mostly show other digits
    blurred = stories.clone()
    blurred[:, 1:] = torch.nn.functional.avg_pool3d(stories[:, 1:].flatten(0, 1).transpose(1, 2), (1, 5, 5), 1, (0, 2, 2)).transpose(1, 2).view_as(stories[:, 1:])
    assert (quality.story_drift(blurred, labels.view(8, 4)[:, 0])["sharpness"][1:] < 0.5 * steady["sharpness"][1:]).all()


def test_story_drift_refuses_clips_that_are_not_stories():
    with pytest.raises(ValueError, match=r"stories: expected \(B, N, T, 1, 64, 64\)"):
        quality.story_drift(torch.rand(2, 16, 1, 64, 64), torch.tensor([1, 2]))
