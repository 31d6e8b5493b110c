"""Lesson 07's caption-to-video model and its judge: tokens, the pixel grid, the condition, the
data split, clear errors, and what the lesson relies on."""
import pytest
import torch

from utils.models import caption_to_video, flow_matching, shape_classifier

from test_lesson07_models import _randomised


def test_captions_become_padded_tokens_and_the_empty_caption_is_all_padding():
    tokens = caption_to_video.tokenize(["a red circle moves left", "A Blue Square moves up", ""])
    assert tokens.shape == (3, caption_to_video.CAPTION_LENGTH) and tokens.dtype == torch.long
    assert [caption_to_video.VOCABULARY[i] for i in tokens[0]] == "a red circle moves left".split()
    assert torch.equal(tokens[1], caption_to_video.tokenize(["a blue square moves up"])[0])
    assert (tokens[2] == caption_to_video.PAD).all()


@pytest.mark.parametrize("captions, match", [
    (["a purple circle moves left"], "got 5 words, purple not in it$"),
    (["a red circle moves left up"], "at most 5 words .*; got 6 words$"),
    ("a red circle moves left", "a non-empty list of strings"),
    ([], "a non-empty list of strings"),
    ([3], "a non-empty list of strings; got an int among them"),
])
def test_a_caption_outside_the_vocabulary_is_a_clear_error(captions, match):
    with pytest.raises(ValueError, match=match):
        caption_to_video.tokenize(captions)


def test_every_caption_is_one_of_48_and_four_are_held_out():
    assert len(set(caption_to_video.ALL_CAPTIONS)) == 48
    assert set(caption_to_video.HELD_OUT_CAPTIONS) <= set(caption_to_video.ALL_CAPTIONS)
    clips = shape_classifier.shape_clips(400, exclude=caption_to_video.HELD_OUT_CAPTIONS)
    assert not set(clips["caption"]) & set(caption_to_video.HELD_OUT_CAPTIONS)
    assert clips["video"].shape == (400, 8, 3, 32, 32)
    assert clips["caption"][0] == caption_to_video.caption_of(clips["shape"][0], clips["color"][0], clips["direction"][0])


def test_the_grid_is_space_to_depth_and_back():
    video = torch.rand(2, 8, 3, 32, 32)
    grid = caption_to_video.to_grid(video)
    assert grid.shape == (2, 8, 48, 8, 8)
    assert torch.equal(grid[0, 0, :16, 0, 0], video[0, 0, 0, :4, :4].flatten())   # one 4 × 4 block of red
    assert torch.equal(caption_to_video.from_grid(grid), video)


def test_the_network_predicts_the_clean_clip_and_returns_the_velocity_to_it():
    # adaLN-Zero: the untrained network predicts x̂ = 0, so v = (0 − x_t) / (1 − t)
    model = caption_to_video.CaptionToVideo(dim=32, depth=1, text_depth=1)
    x, t = torch.randn(2, 8, 48, 8, 8), torch.tensor([0.5, 0.999])
    v = model(x, t, None, caption_to_video.tokenize(["", "a red circle moves left"]))
    assert torch.allclose(v[0], -x[0] / 0.5) and torch.allclose(v[1], -x[1] / caption_to_video.MIN_REMAINING_TIME)
    grid = caption_to_video.to_grid(torch.tensor([0.0, 1.0]).view(2, 1, 1, 1, 1).expand(2, 8, 3, 32, 32))
    assert (model.to_latent(grid[0]) == -1).all() and (model.to_latent(grid[1]) == 1).all()   # pixels in [-1, 1]


def test_the_network_reads_the_caption_and_the_first_frame():
    torch.manual_seed(0)
    model = _randomised(caption_to_video.CaptionToVideo(dim=32, depth=1, text_depth=1))
    x, t, first = torch.randn(2, 8, 48, 8, 8), torch.full((2,), 0.5), torch.randn(2, 48, 8, 8)
    tokens = caption_to_video.tokenize(["a red circle moves left", "a green square moves up"])
    v = model(x, t, first, tokens)
    assert v.shape == x.shape
    assert not torch.allclose(v, model(x, t, first, caption_to_video.tokenize(["a red circle moves right"] * 2)))
    assert not torch.allclose(v, model(x, t, None, tokens))
    assert model.label_embedding is None and model.digit_head is None
    with pytest.raises(ValueError, match=r"expected \(B, 8, 48, 8, 8\) latents"):
        model(torch.randn(2, 5, 8, 8, 8), t, None, tokens)


def test_dropped_captions_become_the_empty_caption():
    seen = []

    class Recorder(caption_to_video.CaptionToVideo):
        def embed_labels(self, tokens):
            seen.append(tokens)
            return super().embed_labels(tokens)

    model = Recorder(dim=32, depth=1, text_depth=1)
    tokens = caption_to_video.tokenize(["a red circle moves left"] * 64)
    flow_matching.flow_matching_loss(model, {"latent": torch.randn(64, 8, 48, 8, 8), "labels": tokens},
                                     torch.Generator().manual_seed(0))
    used = torch.cat(seen)
    empty = (used == caption_to_video.PAD).all(dim=1)
    assert 10 < empty.sum() < 54 and torch.equal(used[~empty], tokens[:1].expand(int((~empty).sum()), -1))


def test_sampling_keeps_the_given_first_frame_and_checks_its_input():
    torch.manual_seed(0)
    model = _randomised(caption_to_video.CaptionToVideo(dim=32, depth=1, text_depth=1))
    first = shape_classifier.shape_clips(2, split="test")["video"][:, 0]
    clips = caption_to_video.caption_to_video(model, ["a red circle moves left", "a blue square moves up"], first, steps=2)
    assert clips.shape == (2, 8, 3, 32, 32) and 0 <= clips.min() and clips.max() <= 1
    assert torch.allclose(clips[:, 0], first, atol=1e-5)
    with pytest.raises(ValueError, match="one per caption"):
        caption_to_video.caption_to_video(model, ["a red circle moves left"], first, steps=2)
    with pytest.raises(ValueError, match=r"\(B, 3, 32, 32\)"):
        caption_to_video.caption_to_video(model, ["a red circle moves left"], torch.rand(1, 1, 32, 32), steps=2)


def test_the_judge_reads_real_clips_and_rejects_other_shapes():
    judge = shape_classifier.load_judge()
    clips = shape_classifier.shape_clips(96, seed=5, split="test")
    assert shape_classifier.agreement(judge, clips["video"], clips["caption"])["all"] >= 0.98
    wrong = [caption_to_video.caption_of(s, c, (d + 1) % 4) for s, c, d in zip(clips["shape"], clips["color"], clips["direction"])]
    scores = shape_classifier.agreement(judge, clips["video"], wrong)
    assert scores["direction"] <= 0.02 and scores["all"] <= 0.02 and scores["shape"] >= 0.98
    with pytest.raises(ValueError, match=r"expected clips \(B, 8, 3, 32, 32\)"):
        judge(torch.rand(2, 16, 3, 32, 32))
