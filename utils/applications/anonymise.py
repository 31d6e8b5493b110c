"""Face anonymisation: find faces, follow them through the clip, blur or pixelate them.

Detection: scikit-image's LBP frontal-face cascade, a boosted cascade of local-binary-pattern
features in the Viola–Jones style (Viola & Jones 2001; LBP features after Liao et al. 2007), slid
over the frame at several scales. It finds frontal faces only: a face that turns, tilts or blurs is
missed in many frames.

Tracking fills those gaps. A track keeps its box and moves it each frame by the median optical flow
inside it (lesson 02's Lucas–Kanade); a detection that overlaps the box (IoU ≥ MATCH_IOU) replaces
it. A track is dropped after MAX_MISSED frames without a detection, and a detection that matches
no track starts one. A face the detector misses but the tracker still covers stays anonymised:
the lesson counts those frames.

A blurred box must leave nothing the detector (or a person) recognises; the boxes are grown by
GROW before blurring, since the cascade's box is tight around the eyes and mouth.
"""
import numpy as np
import torch
import torch.nn.functional as F
from skimage.data import lbp_frontal_face_cascade_filename
from skimage.feature import Cascade
from torchvision.ops import box_iou

from utils.flow import lucas_kanade
from utils.video import check_count, check_image, check_in_range, check_positive, check_size, check_video, describe, to_gray, to_uint8

MATCH_IOU = 0.3
MAX_MISSED = 60            # frames a track survives without a detection
GROW = 0.25                # boxes grow by this share of their size on each side before anonymising
MIN_FACE = 24              # pixels: the smallest face the cascade looks for


def _cascade():
    return Cascade(lbp_frontal_face_cascade_filename())


def detect_faces(image, min_size=MIN_FACE, max_size=None):
    """Frontal faces in one image (C, H, W): boxes (N, 4) as (x0, y0, x1, y1) in pixels, float."""
    check_image(image)
    H, W = image.shape[-2:]
    check_count(min_size, "min_size", meaning="the smallest face in pixels")
    max_size = max_size or min(H, W)
    found = _cascade().detect_multi_scale(img=to_uint8(image[None])[0], scale_factor=1.1, step_ratio=1,
                                          min_size=(min_size, min_size), max_size=(max_size, max_size))
    return torch.tensor([[d["c"], d["r"], d["c"] + d["width"], d["r"] + d["height"]] for d in found],
                        dtype=torch.float32).reshape(-1, 4)


def track_faces(video, min_size=MIN_FACE, max_missed=MAX_MISSED):
    """Detect faces in every frame of `video` (T, C, H, W) and track them. Returns
    {"boxes": a list of T tensors (N_t, 4), the tracked boxes of each frame,
     "detections": a list of T tensors, what the detector alone found,
     "reacquired": for each time the detector found a tracked face again after missing it, the IoU
     of the box the tracker had carried there with the new detection (near 1: it stayed on the face)}."""
    check_video(video)
    check_count(max_missed, "max_missed", minimum=0, meaning="frames a track survives undetected")
    H, W = video.shape[-2:]
    gray = to_gray(video)
    tracks, boxes, detections, reacquired = [], [], [], []   # a track: {"box": (4,), "missed": frames since its last detection}
    for t, frame in enumerate(video):
        found = detect_faces(frame, min_size)
        if t and tracks:
            flow = lucas_kanade(gray[t - 1], gray[t])                          # (2, H, W): frame t−1 at x ↔ frame t at x + flow
            for track in tracks:
                x0, y0, x1, y1 = track["box"].round().long().clamp_min(0).tolist()
                inside = flow[:, y0:y1, x0:x1].flatten(1)
                if inside.numel():
                    shift = inside.median(dim=1).values
                    track["box"] = track["box"] + torch.cat([shift, shift])
        unmatched = list(found)
        for track in tracks:
            overlaps = box_iou(track["box"][None], torch.stack(unmatched))[0].tolist() if unmatched else []
            if overlaps and max(overlaps) >= MATCH_IOU:
                if track["missed"]:                                            # found again: was the carried box still on the face?
                    reacquired.append(max(overlaps))
                track["box"], track["missed"] = unmatched.pop(int(np.argmax(overlaps))), 0
            else:
                track["missed"] += 1
        tracks = [track for track in tracks if track["missed"] <= max_missed] + [{"box": box, "missed": 0} for box in unmatched]
        for track in tracks:
            track["box"] = track["box"].clamp(min=torch.zeros(4), max=torch.tensor([W, H, W, H], dtype=torch.float32))
        boxes.append(torch.stack([track["box"] for track in tracks]) if tracks else torch.zeros(0, 4))
        detections.append(found)
    return {"boxes": boxes, "detections": detections, "reacquired": reacquired}


def check_boxes(boxes, name="boxes"):
    """Boxes (N, 4) as (x0, y0, x1, y1) with x0 ≤ x1 and y0 ≤ y1, as a float tensor; or a clear error."""
    as_tensor = torch.as_tensor(boxes, dtype=torch.float32) if isinstance(boxes, (torch.Tensor, np.ndarray, list, tuple)) else None
    if as_tensor is not None and as_tensor.ndim == 1 and len(as_tensor) in (0, 4):
        as_tensor = as_tensor.reshape(-1, 4)                                  # one box, or none
    if as_tensor is None or as_tensor.ndim != 2 or as_tensor.shape[1] != 4 or not as_tensor.isfinite().all() \
            or (as_tensor[:, 2:] < as_tensor[:, :2]).any():
        raise ValueError(f"{name}: expected boxes (N, 4) as (x0, y0, x1, y1) in pixels, x0 ≤ x1 and y0 ≤ y1, as "
                         f"detect_faces gives; got {describe(boxes)}" + (f": {as_tensor.tolist()[:3]}" if as_tensor is not None else ""))
    return as_tensor


def _one_box(box):
    boxes = check_boxes(box, "box")
    if len(boxes) != 1:
        raise ValueError(f"box: expected one box (x0, y0, x1, y1); got {len(boxes)}. Blur them one at a time: for box in boxes: …")
    return boxes[0].round().long().tolist()


def grow(boxes, share, size):
    """Boxes (N, 4) enlarged by `share` of their width and height on each side, kept inside size (H, W)."""
    boxes = check_boxes(boxes)
    check_in_range(share, "share", 0, 1, meaning="a fraction of each box's size, e.g. 0.2 for 20 %")
    size = check_size(size, "size (the frame's (H, W), e.g. image.shape[-2:])")
    width, height = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    delta = torch.stack([-width, -height, width, height], dim=1) * share
    limit = torch.tensor([size[1], size[0], size[1], size[0]], dtype=torch.float32)
    return (boxes + delta).clamp(min=torch.zeros(4), max=limit)


def gaussian_blur_box(image, box, sigma):
    """`image` (C, H, W) with the region inside `box` (x0, y0, x1, y1) replaced by its Gaussian blur
    (standard deviation `sigma` pixels, border pixels repeated); the rest unchanged."""
    check_image(image)
    check_positive(sigma, "sigma", meaning="the blur's standard deviation in pixels")
    radius = max(1, int(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=image.dtype)
    kernel = torch.exp(-x ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    x0, y0, x1, y1 = _one_box(box)
    C = image.shape[0]
    padded = F.pad(image[None], [radius] * 4, mode="replicate")
    blurred = F.conv2d(F.conv2d(padded, kernel.view(1, 1, 1, -1).expand(C, 1, 1, -1), groups=C),
                       kernel.view(1, 1, -1, 1).expand(C, 1, -1, 1), groups=C)[0]    # separable: rows, then columns
    out = image.clone()
    out[:, y0:y1, x0:x1] = blurred[:, y0:y1, x0:x1]
    return out


def pixelate_box(image, box, cells=8):
    """`image` (C, H, W) with the region inside `box` replaced by `cells` × `cells` flat blocks."""
    check_image(image)
    check_count(cells, "cells", meaning="blocks across the box")
    x0, y0, x1, y1 = _one_box(box)
    out = image.clone()
    if x1 > x0 and y1 > y0:
        region = image[None, :, y0:y1, x0:x1]
        coarse = F.adaptive_avg_pool2d(region, (min(cells, y1 - y0), min(cells, x1 - x0)))
        out[:, y0:y1, x0:x1] = F.interpolate(coarse, size=(y1 - y0, x1 - x0), mode="nearest")[0]
    return out


def anonymise(video, boxes, method="blur", strength=None):
    """Blur ("blur", strength = sigma in pixels, default a quarter of the box's width) or pixelate
    ("pixelate", strength = blocks across, default 6) every box of every frame, grown by GROW first.
    boxes: a list of T tensors (N_t, 4), as track_faces returns. (Weaker defaults, a sixth of the
    width or 8 blocks, left a blur the cascade still took for a face in one frame of carphone.)"""
    check_video(video)
    if method not in ("blur", "pixelate"):
        raise ValueError(f"method: expected 'blur' or 'pixelate'; got {method!r}")
    if not isinstance(boxes, list) or len(boxes) != len(video):
        raise ValueError(f"boxes: expected a list of {len(video)} tensors (N_t, 4), one per frame; got {describe(boxes)}")
    frames = []
    for t, (frame, frame_boxes) in enumerate(zip(video, boxes)):
        for box in grow(check_boxes(frame_boxes, f"boxes[{t}]"), GROW, frame.shape[-2:]):
            if method == "blur":
                frame = gaussian_blur_box(frame, box, strength or max(2.0, (box[2] - box[0]).item() / 4))
            else:
                frame = pixelate_box(frame, box, strength or 6)
        frames.append(frame)
    return torch.stack(frames)
