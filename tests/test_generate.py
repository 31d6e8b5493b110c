"""The "generate" step of lesson 05's pipeline (utils.applications.generate): each function returns a
clip in the course convention that the course's own judges recognise, and refuses what its model
was not trained on."""
import pytest
import torch

from utils import data
from utils.applications import generate
from utils.models import evalnet, shape_classifier
from utils.models.caption_to_video import ALL_CAPTIONS

DIGITS = data.MovingDigits(num_frames=20, num_digits=1, split="test", length=8, seed=5)


def named_digits(clips):
    """The digit the evaluation network reads in most frames of each clip (B,)."""
    digits, _, _ = evalnet.analyse(evalnet.load_evaluator(), clips)
    return digits.mode(dim=1).values


@pytest.mark.parametrize("model", generate.ANIMATORS)
def test_animate_digit_keeps_the_digit_of_its_still(model):
    stills = [DIGITS[i]["video"][0] for i in range(len(DIGITS))]
    clips = torch.stack([generate.animate_digit(still, model=model, seed=i) for i, still in enumerate(stills)])
    assert clips.shape == (8, 16, 1, 64, 64) and 0 <= clips.min() and clips.max() <= 1
    labels = torch.stack([DIGITS[i]["labels"][0] for i in range(len(DIGITS))])
    kept = (named_digits(clips) == labels).float().mean()
    assert kept >= 0.75, f"{model} kept the digit of {kept:.0%} of 8 stills"


def test_extend_clip_keeps_the_clip_and_predicts_better_than_holding_its_last_frame():
    errors = {"ConvLSTM": 0.0, "last frame held": 0.0}
    for i in range(len(DIGITS)):
        clip = DIGITS[i]["video"]                                             # (20, 1, 64, 64)
        extended = generate.extend_clip(clip[:10], 10)
        assert extended.shape == (20, 1, 64, 64) and torch.equal(extended[:10], clip[:10])
        errors["ConvLSTM"] += (extended[10:] - clip[10:]).pow(2).mean().item()
        errors["last frame held"] += (clip[9:10] - clip[10:]).pow(2).mean().item()
    assert errors["ConvLSTM"] < 0.8 * errors["last frame held"], errors


def test_label_to_video_draws_the_digit_asked_for():
    clips = torch.stack([generate.label_to_video(digit, seed=digit) for digit in range(10)])
    assert clips.shape == (10, 16, 1, 64, 64)
    assert (named_digits(clips) == torch.arange(10)).sum() >= 8


def test_caption_to_video_draws_the_caption():
    captions = ALL_CAPTIONS[::6]
    clips = torch.stack([generate.caption_to_video(caption, seed=i) for i, caption in enumerate(captions)])
    assert clips.shape == (len(captions), 8, 3, 32, 32)
    assert shape_classifier.agreement(shape_classifier.load_judge(), clips, captions)["all"] >= 0.75


def test_the_same_seed_gives_the_same_clip_and_another_seed_another():
    still = DIGITS[0]["video"][0]
    assert torch.equal(generate.animate_digit(still, seed=3), generate.animate_digit(still, seed=3))
    assert not torch.equal(generate.animate_digit(still, seed=3), generate.animate_digit(still, seed=4))


def test_reanchoring_moves_the_clean_frame_to_the_last_frames_digit():
    anchor, last = torch.zeros(1, 64, 64), torch.zeros(1, 64, 64)
    anchor[0, 10:20, 10:16], last[0, 30:40, 40:46] = 1.0, 0.4                # a blurred digit elsewhere
    moved = generate.reanchor(last, anchor)
    assert moved.shape == (1, 64, 64) and torch.equal(moved[0, 30:40, 40:46], torch.ones(10, 6)) and moved.sum() == anchor.sum()


def test_stories_chain_clips_from_a_label_and_re_anchoring_keeps_the_digit():
    digits = torch.tensor([3, 7])
    chained = generate.stories(digits, clips=3)
    assert chained.shape == (2, 3, 16, 1, 64, 64) and torch.equal(chained, generate.stories(digits, clips=3))
    anchored = generate.stories(digits, clips=3, anchored=True)
    assert torch.equal(anchored[:, 0], chained[:, 0])                         # the first clip is the same label-to-video
    assert (named_digits(anchored[:, -1]) == digits).all()


@pytest.mark.parametrize("call, message", [
    (lambda: generate.animate_digit(data.load_still("astronaut")), "animate_still"),
    (lambda: generate.animate_digit(torch.rand(1, 64, 64), model="sora"), "vgan, flow_matching"),
    (lambda: generate.animate_digit(torch.rand(1, 64, 64) * 255), "[0, 1]"),
    (lambda: generate.extend_clip(torch.rand(4, 3, 64, 64), 4), "MovingDigits clip"),
    (lambda: generate.extend_clip(torch.rand(4, 1, 64, 64), 0), "frames"),
    (lambda: generate.label_to_video(10), "0…9"),
    (lambda: generate.label_to_video("7"), "0…9"),
    (lambda: generate.caption_to_video("a purple dragon flies"), "vocabulary"),
    (lambda: generate.caption_to_video(["a red circle moves left"]), "a string"),
    (lambda: generate.load_model("videogpt_xl"), "vgan"),
    (lambda: generate.stories(torch.tensor([10])), "0…9"),
    (lambda: generate.stories(torch.tensor([1]), clips=0), "clips"),
    (lambda: generate.reanchor(torch.rand(3, 64, 64), torch.rand(1, 64, 64)), "last: expected a MovingDigits frame"),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call()



@pytest.mark.parametrize("name", generate.ALL_DIGIT_GENERATORS)
def test_digit_clips_are_clips_of_the_real_clips_shape_and_repeat_with_their_seed(name):
    real = evalnet.benchmark(2)["video"]
    clips, again = (generate.digit_clips(name, real, seed=3) for _ in range(2))
    assert clips.shape == real.shape and 0 <= clips.min() and clips.max() <= 1
    assert torch.equal(clips, again)
    if name not in ("convlstm", "pix2pix"):   # deterministic; the others draw a code, noise or tokens from the seed
        assert not torch.equal(clips, generate.digit_clips(name, real, seed=4))
