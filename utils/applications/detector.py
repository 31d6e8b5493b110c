"""A real-vs-generated detector, and how badly it generalises.

A small 3-D convolutional classifier (spatio-temporal convolutions as in C3D, Tran et al. 2015)
reads a clip (16, 1, 64, 64) and outputs one logit: > 0 means "generated". It is trained, with
binary cross-entropy, on real MovingDigits clips against the fakes of three of the course's
generators (VGAN, ConvLSTM, Pix2Pix, made from the first frames of other real clips), and tested
on held-out clips: real ones, fakes of the same three generators, and fakes of three it never saw
(flow matching, MoCoGAN, VideoGPT).

Detectors of generated images and video learn the traces of the generators they were trained on
(Wang et al. 2020, "CNN-generated images are surprisingly easy to spot… for now"; Corvi et al.
2023 on diffusion images): a detector is only as good as its training fakes are representative,
and re-encoding erases many traces. The card reports both numbers; lesson 06 measures the third,
after H.264.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange
from tqdm.auto import tqdm

from utils.applications.generate import digit_clips
from utils.blocks import GROUPS
from utils.models.evalnet import benchmark
from utils.training import final_loss, fit
from utils.video import check_batch

SEEN = ("vgan", "convlstm", "pix2pix")              # the generators whose fakes it trains on
UNSEEN = ("flow_matching", "mocogan", "videogpt")   # the generators it is tested on only


class Detector(nn.Module):
    """Three strided 3-D convolutions (time, height, width) → the mean over positions → one logit."""

    def __init__(self, width=16):
        super().__init__()
        layers, channels = [], 1
        for out in (width, 2 * width, 4 * width):                                   # (16, 64, 64) → (2, 8, 8)
            layers += [nn.Conv3d(channels, out, 3, stride=2, padding=1), nn.GroupNorm(GROUPS, out), nn.SiLU()]
            channels = out
        self.trunk = nn.Sequential(*layers)
        self.head = nn.Linear(channels, 1)

    def forward(self, video):
        """video (B, T, 1, 64, 64) in [0, 1] → logits (B,): positive means generated."""
        features = self.trunk(rearrange(video, "b t c h w -> b c t h w") * 2 - 1)   # (B, 4w, T/8, 8, 8)
        return self.head(features.mean(dim=(2, 3, 4)))[:, 0]


def _real_clips(n, split, seed):
    return benchmark(n, seed=seed, split=split)["video"]


def fakes(names, n, split, seed):
    """n fakes of each generator in `names`, made from the first frames of real clips of `split`."""
    made = []
    for i, name in enumerate(tqdm(names, desc="making fakes", leave=False)):
        real = _real_clips(n, split, seed + 1 + i)
        made.append(torch.cat([digit_clips(name, part, seed=seed + i) for part in real.split(128)]))
    return torch.cat(made)


def detector_loss(model, batch):
    return F.binary_cross_entropy_with_logits(model(batch["video"]), batch["generated"])


@torch.no_grad()
def generated_probability(model, videos, chunk=128):
    """P(generated) for each clip of videos (B, T, 1, 64, 64), on the CPU."""
    check_batch(videos, "videos")
    if tuple(videos.shape[2:]) != (1, 64, 64):
        raise ValueError(f"videos: the detector reads gray 64 × 64 clips (B, T, 1, 64, 64); got {tuple(videos.shape)}")
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([torch.sigmoid(model(part.to(device))).float().cpu() for part in videos.split(chunk)])


def train(model, steps=1200, batch_size=64, lr=2e-3, per_generator=1536, seed=0):
    """Adam with a cosine schedule on a fixed pool: real training-split clips, and as many fakes of
    the SEEN generators made from other training-split clips; every batch half real, half fake."""
    torch.manual_seed(seed)
    real, fake = _real_clips(len(SEEN) * per_generator, "train", seed), fakes(SEEN, per_generator, "train", seed)
    generator = torch.Generator().manual_seed(seed)

    def batch(step):
        pick_real = torch.randint(len(real), (batch_size // 2,), generator=generator)
        pick_fake = torch.randint(len(fake), (batch_size - batch_size // 2,), generator=generator)
        return {"video": torch.cat([real[pick_real], fake[pick_fake]]),
                "generated": torch.cat([torch.zeros(len(pick_real)), torch.ones(len(pick_fake))])}

    losses = fit(model, detector_loss, batch, steps, lr=lr, cosine=True, desc="detector")
    return {"recipe": {"steps": steps, "batch_size": batch_size, "lr": lr, "schedule": "cosine",
                       "data": f"{len(real)} real MovingDigits clips (1 digit, 16 frames, train split) against "
                               f"{per_generator} fakes from each of {', '.join(SEEN)}, made from other train-split clips"},
            "seed": seed, "final_loss": final_loss(losses), "metrics": evaluate(model)}


def test_clips(per_generator=128, seed=100):
    """The held-out test: real test-split clips and fakes of every generator made from other test-split
    clips: {"real": (n, 16, 1, 64, 64), name: (n, 16, 1, 64, 64) for each generator}."""
    return {"real": _real_clips(per_generator, "test", seed),
            **{name: fakes((name,), per_generator, "test", seed + 10 * i) for i, name in enumerate(SEEN + UNSEEN)}}


def accuracies(model, clips):
    """The share of each set called right at P = 0.5: real clips called real, fakes called generated;
    and the balanced accuracy over SEEN and over UNSEEN generators (real and fake weigh alike)."""
    called_generated = {name: (generated_probability(model, videos) > 0.5).float().mean().item() for name, videos in clips.items()}
    right = {name: 1 - share if name == "real" else share for name, share in called_generated.items()}
    balanced = lambda names: (right["real"] + sum(right[n] for n in names) / len(names)) / 2  # noqa: E731
    return {**{f"right_{name}": round(share, 4) for name, share in right.items()},
            "balanced_accuracy_seen": round(balanced(SEEN), 4), "balanced_accuracy_unseen": round(balanced(UNSEEN), 4)}


def evaluate(model, per_generator=128):
    """The card's metrics on 128 held-out clips per set."""
    return accuracies(model, test_clips(per_generator))
