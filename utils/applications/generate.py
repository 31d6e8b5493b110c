"""The "generate" step of lesson 05's pipeline: the course's trained models as clip makers, each a
plain function that returns one clip in the course convention (T, C, H, W), float in [0, 1], ready
for the editing steps of `utils.edit` (resize, caption, join, export).

    still = data.MovingDigits(split="test")[0]["video"][0]        # a digit frame (1, 64, 64)
    clip = animate_digit(still, model="vgan")                    # (16, 1, 64, 64)
    clip = extend_clip(clip, 16)                                 # (32, 1, 64, 64): ConvLSTM goes on
    clip = label_to_video(7)                                     # a 7 moving, from noise (flow matching)
    clip = caption_to_video("a red circle moves left")           # (8, 3, 32, 32)
    story = stories(torch.tensor([3]), clips=10)[0]              # (10, 16, 1, 64, 64): clip after clip

The models were trained on the course's two synthetic worlds, MovingDigits (64 × 64 grey) and
BouncingShapes (32 × 32 colour), and generate only those: a still they animate is a frame of that
world. A photo is brought to life by a camera move instead (`edit.animate_still`). Each model loads
its shipped checkpoint once (sha256-checked) and runs on the CPU.
"""
import functools

import torch
import torch.nn.functional as F

from utils.checkpoints import load_checkpoint
from utils.models import (caption_to_video as captioned, convlstm, flow_matching, mocogan, pix2pix, space_time_transformer, svg, vgan,
                          videogpt)
from utils.video import check_batch, check_count, check_image, check_video, describe

DIGIT_GENERATORS = ("vgan", "convlstm", "pix2pix", "flow_matching", "mocogan", "videogpt")   # all make (16, 1, 64, 64) clips
ALL_DIGIT_GENERATORS = DIGIT_GENERATORS + ("svg",)   # and lesson 04's stochastic predictor: lesson 09's leaderboard
ANIMATORS = ("vgan", "flow_matching")   # image-to-video models of lessons 01/03 and 07 (from one frame, the
                                        # ConvLSTM blurs the digit away: lesson 03; it extends clips instead)
DIGIT_FRAME = (1, 64, 64)


@functools.lru_cache(maxsize=None)
def load_model(name):
    """The shipped model `name` (one of ALL_DIGIT_GENERATORS, or "caption_to_video"), on the CPU, in
    eval mode; loaded once."""
    build = {"vgan": vgan.VideoGAN, "convlstm": convlstm.ConvLSTMPredictor, "pix2pix": pix2pix.Pix2Pix,
             "flow_matching": space_time_transformer.SpaceTimeTransformer, "mocogan": mocogan.MoCoGAN,
             "videogpt": videogpt.VideoGPT, "svg": svg.StochasticPredictor, "caption_to_video": captioned.CaptionToVideo}
    if name not in build:
        raise ValueError(f"model: expected one of {', '.join(build)}; got {name!r}")
    model = build[name]()
    load_checkpoint(model, name)
    return model.eval()


def _check_digit_frame(still, name="still"):
    check_image(still, name)
    if tuple(still.shape) != DIGIT_FRAME:
        raise ValueError(f"{name}: expected a MovingDigits frame of shape {DIGIT_FRAME} (the world the models were "
                         f"trained on: data.MovingDigits(...)[i]['video'][0]); got {tuple(still.shape)}. A photo is "
                         f"animated by a camera move: edit.animate_still")
    return still


def animate_digit(still, model="vgan", seed=0):
    """A digit frame (1, 64, 64) → a 16-frame clip (16, 1, 64, 64) that starts from it, made by
    `model`: "vgan" (lesson 03's two-stream GAN) or "flow_matching" (lesson 07's image-to-video).
    `seed` picks the GAN's motion code and the flow's noise."""
    _check_digit_frame(still)
    if model not in ANIMATORS:
        raise ValueError(f"model: expected one of {', '.join(ANIMATORS)}; got {model!r}")
    held = still[None, None].expand(1, 16, -1, -1, -1)      # the still as a clip: the animators read its first frame only
    return digit_clips(model, held, seed)[0]


def extend_clip(clip, frames):
    """A MovingDigits clip (T, 1, 64, 64) → the same clip followed by `frames` more that lesson
    03's ConvLSTM predicts from it: (T + frames, 1, 64, 64). Predictions blur as they go (the
    MSE-trained model averages the futures it cannot tell apart): lesson 03 measures it."""
    check_video(clip, "clip")
    if tuple(clip.shape[1:]) != DIGIT_FRAME:
        raise ValueError(f"clip: expected a MovingDigits clip (T, {', '.join(map(str, DIGIT_FRAME))}); got {describe(clip)}")
    check_count(frames, "frames", meaning="the number of frames to add")
    with torch.no_grad():
        future = load_model("convlstm")(clip[None].cpu(), frames)[0]
    return torch.cat([clip.cpu(), future])


def label_to_video(digit, seed=0):
    """A digit class 0…9 → a 16-frame clip (16, 1, 64, 64) of that digit moving, from noise alone
    (lesson 07's flow matching with classifier-free guidance)."""
    if isinstance(digit, bool) or not isinstance(digit, int) or not 0 <= digit < flow_matching.CLASSES:
        raise ValueError(f"digit: expected a whole number 0…{flow_matching.CLASSES - 1}; got {digit!r}")
    generator = torch.Generator().manual_seed(seed)
    return flow_matching.label_to_video(load_model("flow_matching"), torch.tensor([digit]), generator=generator)[0]


def reanchor(last, anchor):
    """The clean frame `anchor` (1, 64, 64) moved by whole pixels so that its brightness centroid
    lands on that of `last` (1, 64, 64), the pixels moved in from outside black: (1, 64, 64)."""
    _check_digit_frame(last, "last")
    _check_digit_frame(anchor, "anchor")
    dy, dx = (round(a - b) for a, b in zip(_centroid(last), _centroid(anchor)))
    padded = F.pad(anchor, (64, 64, 64, 64))                                # room to move by up to a frame
    return padded[:, 64 - dy:128 - dy, 64 - dx:128 - dx]


def _centroid(frame):
    weight, positions = frame[0].double(), torch.arange(64.0, dtype=torch.float64)
    total = weight.sum().clamp(min=1e-8)
    return ((weight.sum(dim=1) * positions).sum() / total).item(), ((weight.sum(dim=0) * positions).sum() / total).item()


@torch.no_grad()
def stories(digits, clips=10, anchored=False, seed=0):
    """Long generated stories, one per digit class in `digits` (B,): lesson 07's label-to-video makes
    the first 16-frame clip, then each next clip is image-to-video from the last frame of the one
    before — or, with anchored=True, from the story's first frame moved to where that last frame's
    digit is (`reanchor`). (B, clips, 16, 1, 64, 64)."""
    if (not isinstance(digits, torch.Tensor) or digits.dim() != 1 or digits.dtype != torch.long or not len(digits)
            or digits.min() < 0 or digits.max() >= flow_matching.CLASSES):
        raise ValueError(f"digits: expected a (B,) long tensor of digit classes 0…{flow_matching.CLASSES - 1}; got {describe(digits)}")
    check_count(clips, "clips", meaning="clips per story")
    model, generator = load_model("flow_matching"), torch.Generator().manual_seed(seed)
    made = [flow_matching.label_to_video(model, digits, generator=generator)]
    for _ in range(clips - 1):
        start = made[-1][:, -1]                                              # (B, 1, 64, 64)
        if anchored:
            start = torch.stack([reanchor(last, first) for last, first in zip(start, made[0][:, 0])])
        made.append(flow_matching.image_to_video(model, start, generator=generator))
    return torch.stack(made, dim=1)


def caption_to_video(caption, seed=0):
    """A BouncingShapes caption such as "a red circle moves left" → an 8-frame clip (8, 3, 32, 32)
    (lesson 07's caption-to-video; `captioned.VOCABULARY` lists the words it knows)."""
    if not isinstance(caption, str):
        raise ValueError(f"caption: expected a string such as 'a red circle moves left'; got {describe(caption)}")
    generator = torch.Generator().manual_seed(seed)
    return captioned.caption_to_video(load_model("caption_to_video"), [caption], generator=generator)[0]


@torch.no_grad()
def digit_clips(name, real, seed=0):
    """Clips (B, 16, 1, 64, 64) made by the generator `name` (one of ALL_DIGIT_GENERATORS) from the
    start of real MovingDigits clips `real` (B, 16, 1, 64, 64): the image-to-video models, SVG and
    VideoGPT from the first frame, Pix2Pix from the first two; MoCoGAN is not conditioned and draws
    its own content. Fakes for lesson 06's detector and quality report, rows of lesson 09's leaderboard."""
    check_batch(real, "real")
    if tuple(real.shape[1:]) != (16, *DIGIT_FRAME):
        raise ValueError(f"real: expected MovingDigits clips (B, 16, 1, 64, 64); got {tuple(real.shape)}")
    if name not in ALL_DIGIT_GENERATORS:
        raise ValueError(f"name: expected one of {', '.join(ALL_DIGIT_GENERATORS)}; got {name!r}")
    model, first, generator = load_model(name), real[:, 0].cpu(), torch.Generator().manual_seed(seed)
    if name == "vgan":
        return vgan.generate(model, first, vgan.random_z(len(real), generator=generator))
    if name == "convlstm":
        return convlstm.image_to_video(model, first)
    if name == "pix2pix":
        return pix2pix.rollout(model, real[:, :2].cpu())
    if name == "flow_matching":
        return flow_matching.image_to_video(model, first, generator=generator)
    if name == "mocogan":
        return mocogan.generate(model, *mocogan.random_codes(len(real), generator=generator))
    if name == "svg":
        return svg.generate(model, first, reparameterize_fn=lambda mu, log_variance, _: svg.reparameterize(
            mu, log_variance, torch.randn(mu.shape, generator=generator).to(mu)))   # the noise from `seed`
    return videogpt.generate(model, videogpt.load_tokenizer(), first, generator=generator)
