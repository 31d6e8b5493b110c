"""Caption-to-video: lesson 07's flow-matching transformer conditioned on a sentence.

Text-to-video models (Make-A-Video, Singer et al. 2022; Imagen Video, Ho et al. 2022) encode the
prompt with a text encoder and condition the video denoiser on its embedding, with
classifier-free guidance on the text. Here the sentences are BouncingShapes captions ("a red
circle moves left"), written with 13 words. A small transformer text encoder (Vaswani et al.
2017) reads their tokens and its mean output joins the time in adaLN's condition, where lesson 07's
digit label went; it trains together with the video model (Imagen keeps a pretrained T5 frozen; no
pretrained text model is at hand offline). The caption is dropped for half the clips (the empty
caption is all padding), so one network learns v(x_t | caption) and v(x_t | ∅), and sampling uses
    v = v(x_t | ∅) + w · (v(x_t | caption) − v(x_t | ∅)).

Four captions never appear in training (HELD_OUT_CAPTIONS): whether the model draws them tests
whether it composes words it has seen in other sentences, which a label per caption could not.

The clips are 8 frames of 32 × 32 RGB, modelled in pixel space (as Video Diffusion Models, Ho et
al. 2022, do at 64 × 64): each frame is cut into 4 × 4-pixel blocks stacked as channels
(space-to-depth), so it becomes a 48 × 8 × 8 grid, the token layout of lesson 07's latent, and the
same SpaceTimeTransformer runs on it, with pixels scaled to [-1, 1]. The first frame can be given
too (image + caption → video).

The network predicts the clean clip x̂, and the velocity follows as
    v = (x̂ − x_t) / (1 − t)
(x-prediction; Li & He 2025, "Back to Basics: Let Denoising Generative Models Denoise"). A token
here holds 2 × 2 cells of 48 pixel values, 192 numbers, more than the network's width of 128: asked
for the velocity x − ε, the network would have to carry that much noise through its tokens, while
clean clips are few and simple (they lie on a low-dimensional set). The loss is still the velocity
MSE of utils.models.flow_matching.

Training times are drawn with logit(t) ~ N(−2, 1), most of them close to the noise (t = 0), where
lesson 07's latent model draws them with N(0, 1). Which shape, where, moving which way is settled
early on the path: on mostly black 32 × 32 frames a bright shape stands out of the noise at small
t already, so the rest of the path only sharpens it. Shifting the schedule towards the noise as resolution or
redundancy grows is the practice of simple diffusion (Hoogeboom, Heek & Salimans 2023) and
Stable Diffusion 3 (Esser et al. 2024).

The judge is utils.models.shape_classifier: it names a clip's shape, colour and direction; caption
agreement is the share of generated clips where all three match the caption.
    caption → tokens (B, 5) → text encoder → (B, C) ┐
    noise (B, 8, 48, 8, 8) → Euler steps of v_θ ────┴→ grid → clip (B, 8, 3, 32, 32)
"""
import functools

import torch
import torch.nn as nn
from einops import rearrange

from utils.checkpoints import CHECKPOINTS, sha256_file
from utils.data import COLORS, DIRECTIONS, SHAPES
from utils.models.flow_matching import DROP, STEPS, fit_latents, flow_matching_loss, sample_latents
from utils.models.shape_classifier import FRAMES, RADIUS, SIZE, SPEED, agreement, load_judge, shape_clips
from utils.models.space_time_transformer import SpaceTimeTransformer
from utils.training import final_loss
from utils.video import check_frames, check_model, describe

BLOCK = 4                               # 4 × 4-pixel blocks become channels
PAD = 0
VOCABULARY = ("<pad>", "a", "moves", *SHAPES, *COLORS, *DIRECTIONS)
CAPTION_LENGTH = 5                      # "a <colour> <shape> moves <direction>"
TIME_MEAN = -2.0                        # training times: logit(t) ~ N(-2, 1), most of them near the noise (see the docstring)
MIN_REMAINING_TIME = 0.05              # 1 − t is clamped here when the velocity is computed from x̂ (as Li & He's JiT does)
CAPTION_GUIDANCE = 3.0                  # the default guidance scale (0 … 5 measured: the card's guidance_sweep)
HELD_OUT_CAPTIONS = ("a yellow triangle moves up", "a red square moves right",
                     "a green circle moves down", "a blue triangle moves left")


def tokenize(captions):
    """A list of captions → (B, 5) long token ids, padded with PAD; "" is the empty caption."""
    if isinstance(captions, str) or not isinstance(captions, (list, tuple)) or not captions:
        raise ValueError(f"captions: expected a non-empty list of strings; got {describe(captions)}")
    rows = []
    for caption in captions:
        if not isinstance(caption, str):
            raise ValueError(f"captions: expected a non-empty list of strings; got {describe(caption)} among them")
        words = caption.lower().split()
        unknown = [word for word in words if word not in VOCABULARY[1:]]
        if len(words) > CAPTION_LENGTH or unknown:
            outside = f", {' '.join(unknown)} not in it" if unknown else ""
            raise ValueError(f"caption {caption!r}: expected at most {CAPTION_LENGTH} words of the vocabulary "
                             f"{' '.join(VOCABULARY[1:])}; got {len(words)} words{outside}")
        rows.append([VOCABULARY.index(word) for word in words] + [PAD] * (CAPTION_LENGTH - len(words)))
    return torch.tensor(rows)


def caption_of(shape, color, direction):
    """Attribute indices (as BouncingShapes returns them) → the caption that describes them."""
    return f"a {list(COLORS)[color]} {SHAPES[shape]} moves {list(DIRECTIONS)[direction]}"


ALL_CAPTIONS = [caption_of(s, c, d) for s in range(len(SHAPES)) for c in range(len(COLORS)) for d in range(len(DIRECTIONS))]


def to_grid(video):
    """Clips (B, 8, 3, 32, 32) → the grid the transformer models (B, 8, 48, 8, 8) (space-to-depth)."""
    return rearrange(video, "b t c (h p) (w q) -> b t (c p q) h w", p=BLOCK, q=BLOCK)


def from_grid(grid):
    """(B, 8, 48, 8, 8) → clips (B, 8, 3, 32, 32) in [0, 1]."""
    return rearrange(grid, "b t (c p q) h w -> b t c (h p) (w q)", p=BLOCK, q=BLOCK).clamp(0, 1)


# ---------------------------------------------------------------------------------------------
# the text encoder and the video model

class TextEncoder(nn.Module):
    """Tokens (B, L) → one vector (B, C): embeddings plus positions, a few pre-norm transformer
    layers, and the mean over positions. The empty caption (all PAD) gives one learned vector,
    the "no caption" condition."""

    def __init__(self, dim, depth=2, heads=4):
        super().__init__()
        self.token_embedding = nn.Embedding(len(VOCABULARY), dim)
        self.position = nn.Parameter(torch.randn(CAPTION_LENGTH, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)

    def forward(self, tokens):
        return self.layers(self.token_embedding(tokens) + self.position).mean(dim=1)   # (B, L, C) → (B, C)


class CaptionToVideo(SpaceTimeTransformer):
    """v_θ(x_t, t, first frame, caption tokens) on 8-frame grids of 48 × 8 × 8: lesson 07's network
    with a text encoder in place of the digit's label embedding."""

    no_label = PAD

    def __init__(self, dim=128, depth=4, heads=4, text_depth=2):
        super().__init__(dim, depth, heads, channels=3 * BLOCK * BLOCK, frames=FRAMES, size=SIZE // BLOCK)
        self.label_embedding = self.digit_head = None      # the caption is the label here; no digit to name
        self.text_encoder = TextEncoder(dim, text_depth, heads)
        # pixels [0, 1] → [-1, 1], as in DDPM. Not the data's own std: the clips are mostly black, and
        # dividing by their small std would make the few bright pixels ~10× larger than the noise
        self.latent_mean.fill_(0.5)
        self.latent_std.fill_(0.5)

    def forward(self, x_t, t, first_latent, tokens):
        """The network predicts the clean clip x̂; the velocity on the straight path is (x̂ − x_t) / (1 − t)."""
        clean = super().forward(x_t, t, first_latent, tokens)
        return (clean - x_t) / (1 - t).clamp(min=MIN_REMAINING_TIME).view(-1, 1, 1, 1, 1)

    def embed_labels(self, tokens):
        return self.text_encoder(tokens)

    def check_labels(self, tokens):
        """tokens (B, 5) long: word ids as `tokenize` gives them; or a clear error."""
        shaped = tokens.ndim == 2 and tokens.shape[1] == CAPTION_LENGTH and tokens.numel() > 0
        if not shaped or not 0 <= tokens.min() <= tokens.max() < len(VOCABULARY):
            raise ValueError(f"labels: expected caption tokens (B, {CAPTION_LENGTH}) of ids 0…{len(VOCABULARY) - 1}, as "
                             f"tokenize(captions) gives them; got shape {tuple(tokens.shape)} with values {tokens.unique().tolist()[:12]}")


@torch.no_grad()
def caption_to_video(model, captions, first_frames=None, steps=STEPS, guidance=CAPTION_GUIDANCE, generator=None):
    """captions: a list of B strings; first_frames (B, 3, 32, 32) or None → clips (B, 8, 3, 32, 32).
    With first frames the clip starts from them (image + caption → video)."""
    check_model(model, CaptionToVideo)
    tokens = tokenize(captions)
    device = next(model.parameters()).device
    first = None
    if first_frames is not None:
        check_frames(first_frames, "first_frames", channels=3, size=(SIZE, SIZE))
        if len(first_frames) != len(tokens):
            raise ValueError(f"first_frames: expected one per caption ({len(tokens)}); got {len(first_frames)}")
        first = model.to_latent(to_grid(first_frames[:, None].to(device))[:, 0])
    z = sample_latents(model, first, tokens, steps=steps, guidance=guidance, generator=generator)
    if first is not None:
        z[:, 0] = first
    return from_grid(model.from_latent(z).float().cpu())


# ---------------------------------------------------------------------------------------------
# the recipe: `python -m utils.train caption_to_video` (after `python -m utils.train shape_classifier`)

def train(model, steps=2400, batch_size=64, lr=1e-3, clips=16_000, seed=0):
    """Flow matching on grids of training clips whose captions are not held out; half the clips
    see their first frame, and each caption is dropped with probability DROP."""
    torch.manual_seed(seed)
    data = shape_clips(clips, seed=seed, exclude=HELD_OUT_CAPTIONS)
    grids = to_grid(data["video"]).to(next(model.parameters()).device)
    loss = functools.partial(flow_matching_loss, time_mean=TIME_MEAN)
    losses = fit_latents(model, grids, tokenize(data["caption"]).to(grids.device), steps, batch_size, lr, loss,
                         "caption-to-video")
    return {"recipe": {"steps": steps, "batch_size": batch_size, "lr": lr, "schedule": "cosine",
                       "optimizer": "AdamW, weight decay 0.01",
                       "loss": f"flow matching (velocity MSE, the network predicting the clean clip), logit(t) ~ "
                               f"N({TIME_MEAN:g}, 1); half the clips see their first frame; captions dropped with p = {DROP}",
                       "final_loss": final_loss(losses)},
            "data": f"{clips} BouncingShapes clips ({FRAMES} frames, {SIZE} × {SIZE}, radius {RADIUS}, "
                    f"{SPEED[0]:g}–{SPEED[1]:g} px/frame, train split, seed {seed}), none with a held-out caption",
            "held_out_captions": list(HELD_OUT_CAPTIONS),
            "judge": {"checkpoint": "shape_classifier", "sha256": sha256_file(CHECKPOINTS / "shape_classifier.safetensors")},
            "sampling": f"{STEPS} Euler steps, guidance {CAPTION_GUIDANCE:g} by default",
            "seed": seed, "metrics": evaluate(model)}


def evaluate(model, per_caption=4, stills=96):
    """The card's metrics (reproduced by the tests): caption agreement at the default scale; and
    image + caption → video from `stills` test-split first frames, each with a random direction.
    The other scales, w = 0 (caption ignored) and w = 1 (unguided) among them, are the card's
    guidance_sweep: benchmarks/caption_guidance.py measures them on more clips."""
    generator = torch.Generator().manual_seed(0)
    metrics = guidance_agreement(model, per_caption, (CAPTION_GUIDANCE,), generator)
    test = shape_clips(stills, seed=1, split="test")
    directions = torch.randint(len(DIRECTIONS), (stills,), generator=generator)
    captions = [caption_of(s, c, d) for s, c, d in zip(test["shape"], test["color"], directions)]
    videos = caption_to_video(model, captions, test["video"][:, 0], generator=generator)
    metrics["image_and_caption"] = agreement(load_judge().to(next(model.parameters()).device), videos, captions)
    return metrics


def guidance_agreement(model, per_caption, guidances, generator):
    """Caption agreement (the judge's reading) from noise alone, `per_caption` clips for each of the
    48 captions at each guidance scale, the held-out captions apart:
    {"guidance_W": {"seen_captions": {...}, "held_out_captions": {...}}}."""
    judge_model = load_judge().to(next(model.parameters()).device)
    captions = ALL_CAPTIONS * per_caption
    held_out = torch.tensor([caption in HELD_OUT_CAPTIONS for caption in captions])
    metrics = {}
    for scale in guidances:
        videos = torch.cat([caption_to_video(model, list(part), guidance=scale, generator=generator)
                            for part in _chunks(captions, 96)])
        seen = agreement(judge_model, videos[~held_out], [c for c, h in zip(captions, held_out) if not h])
        unseen = agreement(judge_model, videos[held_out], [c for c, h in zip(captions, held_out) if h])
        metrics[f"guidance_{scale:g}"] = {"seen_captions": seen, "held_out_captions": unseen}
    return metrics


def _chunks(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]
