"""The course's evaluation network, and the measures of generated video built on it.

A generated clip is judged by a small video classifier trained on MovingDigits, the way FVD
(Unterthiner et al. 2018, "Towards Accurate Generative Models of Video: A New Metric &
Challenges") judges real-world video with an I3D action classifier (Carreira & Zisserman 2017):

- digit identity: the network names the digit in every frame; a good image-to-video model keeps
  the digit of the frame it was given.
- motion: the network's motion head estimates how far the digit moves each frame (px/frame).
- FVD-lite: fit a Gaussian to the network's clip features over many real clips and over many
  generated clips; their Fréchet distance is
      d² = ‖μ_r − μ_g‖² + Tr(Σ_r + Σ_g − 2 (Σ_r Σ_g)^½)
  Lower is better, 0 for identical statistics. The real FVD uses I3D features (400-way Kinetics
  classifier, 224×224 input); I3D's weights cannot be downloaded here and know nothing about
  64×64 digits, so the course uses its own network. Numbers are comparable within the course only.

The benchmark: held-out MovingDigits clips with one digit (test split, never-seen digit images).
"""
import functools
import time

import numpy as np
import scipy.linalg
import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange, reduce

from utils.checkpoints import load_checkpoint
from utils.data import MovingDigits
from utils.metrics import mse, sharpness, ssim
from utils.training import final_loss, fit
from utils.video import batch_field, check_batch, check_count, check_model, describe

FRAMES = 16          # frames of a benchmark clip
BENCHMARK_SEED = 1   # held-out clips the generators are conditioned on
REFERENCE_SEED = 2   # other held-out clips: the "real" side of FVD-lite
VELOCITY_SCALE = 4.0  # px/frame; targets are divided by it so that they are of order 1


def benchmark(n, num_frames=FRAMES, seed=BENCHMARK_SEED, split="test"):
    """n one-digit MovingDigits clips: {"video": (n, T, 1, 64, 64), "labels", "position", ...}."""
    check_count(n, "n", meaning="the number of clips")
    return MovingDigits(num_frames=num_frames, num_digits=1, split=split, length=n, seed=seed).batch(n)


class VideoClassifier(nn.Module):
    """Per frame: a CNN. Its feature map, max-pooled over positions, gives the digit class (where
    the digit is does not matter); flattened, it gives a frame embedding that keeps the position.
    Across frames: a temporal convolution over consecutive embeddings → the digit's velocity
    between frames t and t+1."""

    def __init__(self, width=32, embedding=48, motion=32):
        super().__init__()
        layers, channels = [], 1
        for out, stride in ((width, 2), (width, 1), (2 * width, 2), (2 * width, 2), (2 * width, 2)):  # 64 → 4
            # SiLU in place: the same values, and a fifth less time for every clip the course measures
            layers += [nn.Conv2d(channels, out, 3, stride=stride, padding=1), nn.GroupNorm(8, out), nn.SiLU(inplace=True)]
            channels = out
        self.trunk = nn.Sequential(*layers)
        self.digit_head = nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(channels, 10))
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(channels * 4 * 4, embedding), nn.SiLU())
        self.motion_encoder = nn.Sequential(nn.Conv1d(embedding, motion, kernel_size=2), nn.SiLU())
        self.motion_head = nn.Conv1d(motion, 2, kernel_size=1)

    def forward(self, video):
        """video (B, T, 1, 64, 64) → digit logits (B, T, 10), velocity (B, T-1, 2) px/frame, and
        the clip's features for FVD-lite (B, C + embedding + motion): the mean over frames of the
        CNN's map (what the frames look like), of the embeddings and of the motion features."""
        B = video.shape[0]
        maps = self.trunk(rearrange(video, "b t c h w -> (b t) c h w"))            # (B*T, C, 4, 4)
        logits = rearrange(self.digit_head(maps), "(b t) k -> b t k", b=B)          # (B, T, 10)
        frames = rearrange(self.embed(maps), "(b t) e -> b e t", b=B)               # (B, E, T)
        motion = self.motion_encoder(frames)                                        # (B, M, T-1)
        velocity = rearrange(self.motion_head(motion), "b v t -> b t v") * VELOCITY_SCALE
        appearance = reduce(maps, "(b t) c h w -> b c", "mean", b=B)                # (B, C)
        features = torch.cat([appearance, frames.mean(dim=2), motion.mean(dim=2)], dim=1)  # (B, C+E+M)
        return logits, velocity, features


def classifier_loss(model, batch):
    """Cross-entropy on the digit of every frame + squared error of the velocity (in units of 4 px)."""
    logits, velocity, _ = model(batch_field(batch, "video"))
    labels = batch["labels"][:, :1].expand(-1, logits.shape[1])                  # one digit: (B, T)
    true_velocity = batch["position"][:, 1:, 0] - batch["position"][:, :-1, 0]     # (B, T-1, 2)
    return F.cross_entropy(rearrange(logits, "b t k -> (b t) k"), labels.flatten()) + \
        F.mse_loss(velocity / VELOCITY_SCALE, true_velocity / VELOCITY_SCALE)


def _check_clips(videos, name="videos"):
    check_batch(videos, name)
    if videos.shape[2:] != (1, 64, 64) or videos.shape[1] < 2:
        raise ValueError(f"{name}: the evaluation network reads gray 64×64 clips of 2 or more frames, "
                         f"(B, T ≥ 2, 1, 64, 64); got {tuple(videos.shape)}")
    return videos


@torch.no_grad()
def analyse(model, videos, chunk=64):
    """Run the network on (B, T, 1, 64, 64) clips in chunks: digits (B, T), velocity (B, T-1, 2),
    features (B, F), all on the CPU."""
    check_model(model, VideoClassifier)
    _check_clips(videos)
    model.eval()
    device = next(model.parameters()).device
    digits, velocities, features = [], [], []
    for part in videos.split(chunk):
        logits, velocity, feature = model(part.to(device))
        digits.append(logits.argmax(-1).cpu())
        velocities.append(velocity.float().cpu())
        features.append(feature.float().cpu())
    return torch.cat(digits), torch.cat(velocities), torch.cat(features)


def digit_accuracy(model, batch):
    """Fraction of frames whose digit the network names correctly (one-digit clips)."""
    digits, _, _ = analyse(model, batch_field(batch, "video"))
    return (digits == batch["labels"][:, :1]).float().mean().item()


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussians fitted to two feature sets (N, F) — the formula above."""
    for name, features in (("features_a", features_a), ("features_b", features_b)):
        if isinstance(features, tuple):
            raise TypeError(f"{name}: expected a (N, F) feature array; got a tuple of {len(features)}. "
                            f"analyse returns (digits, velocity, features): pass its [2].")
    a, b = (np.asarray(f, dtype=np.float64) for f in (features_a, features_b))
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"expected two (N ≥ 2, F) feature arrays with the same F; got {a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError(f"features: expected finite numbers; got {int((~np.isfinite(a)).sum())} and "
                         f"{int((~np.isfinite(b)).sum())} NaN or Inf values: the clips they came from are not valid videos")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    root = root.real  # tiny imaginary parts come from rounding
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


def fvd_lite(model, videos, reference):
    """FVD-lite between generated `videos` and `reference` real clips, both (B, T, 1, 64, 64)."""
    return frechet_distance(analyse(model, videos)[2], reference_features(model, reference))


# ---------------------------------------------------------------------------------------------
# the measures of an image-to-video model

@functools.lru_cache(maxsize=1)
def load_evaluator():
    """The shipped evaluation network (data/checkpoints/evalnet.safetensors, sha256-checked)."""
    model = VideoClassifier()
    load_checkpoint(model, "evalnet")
    # channels-last weights make the convolutions run on channels-last maps, which oneDNN computes
    # about 1.6× faster on a CPU (same digits; features differ by ~1e-5); every lesson measures with it
    return model.to(memory_format=torch.channels_last)


_last_reference = (None, None, None, None)   # (evaluator, clips, their in-place version, their features)


def reference_features(evaluator, reference):
    """The evaluator's features of the reference clips. The last ones are kept: a lesson compares
    many generators against one reference, and analysing it again each time is a third of the work."""
    global _last_reference
    _check_clips(reference, "reference")
    last_evaluator, clips, version, features = _last_reference
    if last_evaluator is not evaluator or clips is not reference or version != reference._version:
        features = analyse(evaluator, reference)[2]
        _last_reference = (evaluator, reference, reference._version, features)
    return features


@functools.lru_cache(maxsize=1)
def default_reference(clips, num_frames):
    """The real clips FVD-lite compares with by default: `clips` held-out clips of REFERENCE_SEED.
    Kept, so that their features are too (`reference_features`): a card measures several sets of clips."""
    return benchmark(clips, num_frames=num_frames, seed=REFERENCE_SEED)["video"]


def measure(videos, held_out, reference=None):
    """Measure clips generated from the first frames of `held_out` (a benchmark batch):
    identity kept and speed over frames 1.., MSE / SSIM / sharpness of frames 1.. against the
    true continuation (SSIM on the first 64 clips: scikit-image's is slow), FVD-lite of the whole
    clips against `reference` real clips (default: held-out clips of REFERENCE_SEED)."""
    if not (isinstance(held_out, dict) and "video" in held_out):
        raise TypeError(f"held_out: expected the benchmark batch the first frames came from (a dict with 'video' and "
                        f"'labels', as evalnet.benchmark gives); got {describe(held_out)}")
    real = held_out["video"]
    _check_clips(videos)
    if videos.shape != real.shape:
        raise ValueError(f"videos: expected the shape of the held-out clips {tuple(real.shape)}; got {tuple(videos.shape)}")
    evaluator = load_evaluator()
    reference = default_reference(len(real), real.shape[1]) if reference is None else reference
    digits, velocity, features = analyse(evaluator, videos)
    given, _, _ = analyse(evaluator, real[:, :1].expand(-1, 2, -1, -1, -1))
    future, true_future = videos[:, 1:], real[:, 1:]
    return {"identity_kept": round((digits[:, 1:] == given[:, :1]).float().mean().item(), 4),
            "speed_px_per_frame": round(velocity.norm(dim=-1).mean().item(), 3),
            "fvd_lite": round(frechet_distance(features, reference_features(evaluator, reference)), 2),
            "mse": round(mse(future, true_future), 2),
            "ssim": round(ssim(future[:64], true_future[:64]), 4),
            "sharpness": round(sharpness(future), 6)}


def static_frame_fvd_lite(clips=256):
    """FVD-lite of `clips` held-out first frames held still: the baseline a generator must beat."""
    real = benchmark(clips)["video"]
    evaluator = load_evaluator()
    return round(fvd_lite(evaluator, real[:, :1].expand_as(real), default_reference(clips, real.shape[1])), 2)


def image_to_video_metrics(generate, clips=256):
    """Run generate(first_frames (B, 1, 64, 64)) → (B, 16, 1, 64, 64) on `clips` held-out first
    frames, time it, and `measure` the result."""
    held_out = benchmark(clips)
    start = time.perf_counter()
    videos = torch.cat([generate(part) for part in held_out["video"][:, 0].split(64)])
    seconds = time.perf_counter() - start
    return {**measure(videos, held_out), "seconds_per_clip": round(seconds / clips, 5)}


def prediction_metrics(predict, clips=128):
    """The Moving MNIST task on held-out 20-frame clips: predict(context (B, 10, 1, 64, 64)) → the
    next 10 frames. MSE (per frame, OpenSTL convention) and SSIM of the prediction and of repeating
    the last given frame; the MSE at each horizon 1..10 (lower at 1 than at 10 for a model that uses
    its context); sharpness of the prediction and of the truth; seconds per clip."""
    given = 10
    video = benchmark(clips, num_frames=2 * given)["video"]
    context, future = video[:, :given], video[:, given:]
    start = time.perf_counter()
    predicted = torch.cat([predict(part).float().cpu() for part in context.split(32)])
    seconds = time.perf_counter() - start
    repeat = context[:, -1:].expand_as(future)
    return {"mse_10_to_10": round(mse(predicted, future), 2), "ssim_10_to_10": round(ssim(predicted, future), 4),
            "mse_per_horizon": [round(mse(predicted[:, t], future[:, t]), 1) for t in range(given)],
            "mse_repeat_last": round(mse(repeat, future), 2), "ssim_repeat_last": round(ssim(repeat, future), 4),
            "sharpness": round(sharpness(predicted), 6), "sharpness_truth": round(sharpness(future), 6),
            "seconds_per_clip": round(seconds / clips, 5)}


# ---------------------------------------------------------------------------------------------
# the recipe: `python -m utils.train evalnet`

def augment(video, generator):
    """Vary the strokes of each clip, keeping every digit where it is (so velocities stay true):
    thicker (dilation), thinner (erosion), blurred or unchanged, then light noise. The 1500
    training images are few; without this the network learns them by heart (99.5% on training
    digits, 94.9% on held-out ones)."""
    frames = rearrange(video, "b t c h w -> b (t c) h w")
    thick = F.max_pool2d(frames, 3, stride=1, padding=1)
    thin = -F.max_pool2d(-frames, 3, stride=1, padding=1)
    blurred = F.avg_pool2d(frames, 3, stride=1, padding=1, count_include_pad=False)
    choice = torch.randint(0, 4, (len(frames), 1, 1, 1), generator=generator)
    frames = torch.where(choice == 0, thick, torch.where(choice == 1, thin, torch.where(choice == 2, blurred, frames)))
    noise = torch.rand(len(frames), 1, 1, 1, generator=generator) * 0.05
    frames = (frames + noise * torch.randn(frames.shape, generator=generator)).clamp(0, 1)
    return rearrange(frames, "b (t c) h w -> b t c h w", c=video.shape[2])


def train(model, steps=1500, batch_size=32, lr=2e-3, weight_decay=0.05, seed=0):
    """Train on fresh, augmented training-split clips every step; return the card's recipe and metrics."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    clips = MovingDigits(num_frames=FRAMES, num_digits=1, split="train", length=steps * batch_size, seed=seed)
    clips_at = clips.batches(batch_size)

    def batch(step):
        clip = clips_at(step)
        return {**clip, "video": augment(clip["video"], generator)}

    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    losses = fit(model, classifier_loss, batch, steps, optimizer=optimizer, cosine=True, desc="evaluation network")
    return {"recipe": {"steps": steps, "batch_size": batch_size, "optimizer": "AdamW", "lr": lr, "weight_decay": weight_decay,
                       "schedule": "cosine", "augmentation": "per clip: dilate / erode / blur / none, noise σ ≤ 0.05",
                       "data": "MovingDigits, 1 digit, 16 frames, train split"},
            "seed": seed, "final_loss": final_loss(losses, last=20), "metrics": evaluate(model)}


def evaluate(model):
    """The card's metrics, on 256 held-out clips (digit images never seen in training)."""
    held_out = benchmark(256, seed=REFERENCE_SEED)
    _, velocity, _ = analyse(model, held_out["video"])
    true_velocity = held_out["position"][:, 1:, 0] - held_out["position"][:, :-1, 0]
    return {"digit_accuracy": round(digit_accuracy(model, held_out), 4),
            "velocity_error_px": round((velocity - true_velocity).norm(dim=-1).mean().item(), 3)}
