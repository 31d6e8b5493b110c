"""The judge of lesson 07's caption-to-video model: a classifier that names a BouncingShapes clip's
shape, colour and direction. A generated clip follows its caption when the classifier reads in it
what the caption says; `agreement` counts how often.

The frames are stacked as channels, so the first convolution already sees the motion, and the
features are max-pooled over positions, so the shape is found wherever it is (average pooling
confused small green squares with circles: see the card's notes).
    clip (B, 8, 3, 32, 32) → (B, 24, 32, 32) → convolutions → max pool → shape (3), colour (4), direction (4)
"""
import functools

import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

from utils.checkpoints import load_checkpoint
from utils.data import COLORS, DIRECTIONS, SHAPES, BouncingShapes
from utils.training import final_loss, fit
from utils.video import check_batch, check_model, describe

FRAMES, SIZE = 8, 32                    # the caption model's clips: 8 frames of 32 × 32 RGB
RADIUS, SPEED = 5, (1.0, 2.0)           # the shapes' radius (px) and speed range (px/frame)
ATTRIBUTES = ("shape", "color", "direction")



class ShapeClassifier(nn.Module):
    """A clip (B, 8, 3, 32, 32) → logits of its shape (3), colour (4) and direction (4). The frames
    are stacked as channels, so the first convolution already sees the motion."""

    def __init__(self, width=32):
        super().__init__()
        layers, channels = [], 3 * FRAMES
        for out, stride in ((width, 1), (2 * width, 2), (2 * width, 2), (4 * width, 2)):   # 32 → 4
            layers += [nn.Conv2d(channels, out, 3, stride=stride, padding=1), nn.GroupNorm(8, out), nn.SiLU()]
            channels = out
        self.trunk = nn.Sequential(*layers, nn.AdaptiveMaxPool2d(1), nn.Flatten())   # wherever the shape is
        self.heads = nn.Linear(channels, len(SHAPES) + len(COLORS) + len(DIRECTIONS))

    def forward(self, video):
        """→ (shape (B, 3), colour (B, 4), direction (B, 4)) logits."""
        check_batch(video, "video")
        if video.shape[1:] != (FRAMES, 3, SIZE, SIZE):
            raise ValueError(f"video: expected clips (B, {FRAMES}, 3, {SIZE}, {SIZE}); got {tuple(video.shape)}")
        logits = self.heads(self.trunk(rearrange(video, "b t c h w -> b (t c) h w")))
        return logits.split([len(SHAPES), len(COLORS), len(DIRECTIONS)], dim=1)



def shape_clips(n, seed=0, split="train", exclude=()):
    """n BouncingShapes clips of the course's caption size, skipping the captions in `exclude`:
    {"video": (n, 8, 3, 32, 32), "caption": [str], "shape", "color", "direction": (n,)}."""
    dataset = BouncingShapes(num_frames=FRAMES, size=SIZE, radius=RADIUS, speed=SPEED, length=10 ** 9, seed=seed, split=split)
    items, index = [], 0
    while len(items) < n:
        item = dataset[index]
        index += 1
        if item["caption"] not in exclude:
            items.append(item)
    batch = {key: torch.tensor([item[key] for item in items]) for key in ATTRIBUTES}
    return {"video": torch.stack([item["video"] for item in items]), "caption": [item["caption"] for item in items], **batch}


def classifier_loss(model, batch):
    """The sum of the three cross-entropies, on clips with a little noise added (generated clips
    are not as clean as drawn ones)."""
    video = (batch["video"] + 0.05 * torch.randn_like(batch["video"])).clamp(0, 1)
    return sum(F.cross_entropy(logits, batch[key]) for logits, key in zip(model(video), ATTRIBUTES))


@torch.no_grad()
def judge(classifier, videos, chunk=128):
    """Clips (B, 8, 3, 32, 32) → {"shape", "color", "direction"}: (B,) predicted indices."""
    check_batch(videos, "videos")
    classifier.eval()
    device = next(classifier.parameters()).device
    parts = [classifier(part.to(device)) for part in videos.split(chunk)]
    return {key: torch.cat([p[i].argmax(1).cpu() for p in parts]) for i, key in enumerate(ATTRIBUTES)}


def _attributes(caption):
    """"a red circle moves left" → its (shape, color, direction) indices."""
    words = caption.lower().split() if isinstance(caption, str) else []
    if not (len(words) == 5 and words[0] == "a" and words[3] == "moves" and words[1] in COLORS and words[2] in SHAPES
            and words[4] in DIRECTIONS):
        unknown = [word for word in words if word not in ("a", "moves", *COLORS, *SHAPES, *DIRECTIONS)]
        raise ValueError(f"caption {caption!r}{f' (unknown: {unknown})' if unknown else ''}: "
                         f"expected 'a COLOR SHAPE moves DIRECTION' with COLOR in {list(COLORS)}, "
                         f"SHAPE in {list(SHAPES)} and DIRECTION in {list(DIRECTIONS)}")
    return SHAPES.index(words[2]), list(COLORS).index(words[1]), list(DIRECTIONS).index(words[4])


def agreement(classifier, videos, captions):
    """How often the judge reads each attribute of the caption in the clip, and all three at once."""
    check_model(classifier, ShapeClassifier, "classifier")
    if isinstance(captions, str) or not isinstance(captions, (list, tuple)):
        raise TypeError(f"captions: expected a list of captions, one per clip; got {describe(captions)}")
    wanted = [_attributes(caption) for caption in captions]
    if isinstance(videos, torch.Tensor) and len(videos) != len(captions):
        raise ValueError(f"captions: expected one per clip ({len(videos)}); got {len(captions)}")
    expected = {key: [w[i] for w in wanted] for i, key in enumerate(ATTRIBUTES)}
    seen = judge(classifier, videos)
    hits = {key: seen[key] == torch.tensor(expected[key]) for key in ATTRIBUTES}
    hits["all"] = hits["shape"] & hits["color"] & hits["direction"]
    return {key: round(hit.float().mean().item(), 4) for key, hit in hits.items()}


@functools.cache
def load_judge():
    """The shipped ShapeClassifier (on the CPU; cached)."""
    classifier = ShapeClassifier()
    load_checkpoint(classifier, "shape_classifier")
    return classifier


# ---------------------------------------------------------------------------------------------
# the recipe: `python -m utils.train shape_classifier`

def train(model, steps=800, batch_size=64, lr=2e-3, seed=0):
    """Fresh training clips every step (train split)."""
    torch.manual_seed(seed)
    batches = lambda step: shape_clips(batch_size, seed=seed * 100_000 + step)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    losses = fit(model, classifier_loss, batches, steps, optimizer=optimizer, cosine=True, desc="shape classifier")
    return {"recipe": {"steps": steps, "batch_size": batch_size, "lr": lr, "schedule": "cosine",
                       "loss": "cross-entropy of shape + colour + direction; Gaussian noise σ = 0.05 on the input",
                       "final_loss": final_loss(losses)},
            "seed": seed, "metrics": evaluate(model)}


def evaluate(model, clips=1024):
    """Accuracy per attribute, and all three at once, on held-out clips (test split)."""
    held_out = shape_clips(clips, split="test")
    return agreement(model, held_out["video"], held_out["caption"])
