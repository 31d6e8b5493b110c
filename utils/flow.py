"""Motion estimation, warping and frame interpolation — the classical toolbox, in torch.

Flow convention: a flow field (2, H, W) holds (dx, dy) in pixels such that
    frame0(x) ≈ frame1(x + flow(x)),
so `backward_warp(frame1, flow)` rebuilds frame0. All estimators take frames (C, H, W) or
batches of frame pairs (N, C, H, W) and return flow (2, H, W) or (N, 2, H, W).

- Block matching, as video codecs do it: one displacement per block, by exhaustive search.
- Lucas & Kanade (1981): brightness constancy Ix·u + Iy·v + It = 0, solved by least squares over
  a window:  [ΣIx² ΣIxIy; ΣIxIy ΣIy²] [u v]ᵀ = −[ΣIxIt ΣIyIt]ᵀ.
- Horn & Schunck (1981): the same constraint plus global smoothness, minimised by the iteration
  u ← ū − Ix·(Ix·ū + Iy·v̄ + It) / (α² + Ix² + Iy²)   (and likewise v).
- Both linearise the image, which holds for motions of about a pixel: `coarse_to_fine` runs them
  on an image pyramid, warping as it goes, so that large motions become small ones.
- TV-L1 (Zach, Pock & Bischof 2007) from scikit-image is the library reference.
"""
import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from utils.video import check_count, check_image, check_in_range, check_video, describe, to_gray


MAX_PIXELS = 1920 * 1088   # per frame; beyond Full HD the estimators take minutes on a CPU


def _check_size(frames, name):
    height, width = frames.shape[-2:]
    if height * width > MAX_PIXELS:
        scale = (MAX_PIXELS / (height * width)) ** 0.5
        raise ValueError(f"{name}: {height}×{width} frames would take the flow estimators minutes; resize them to at "
                         f"most {MAX_PIXELS:,} pixels first, e.g. video.resize(frames, ({int(height * scale)}, {int(width * scale)}))")


def _pairs(frame0, frame1):
    """Validate two frames or two batches of frames → gray (N, 1, H, W) each, and whether batched."""
    batched = isinstance(frame0, torch.Tensor) and frame0.ndim == 4
    pair = []
    for name, frame in (("frame0", frame0), ("frame1", frame1)):
        if not batched and isinstance(frame, torch.Tensor) and frame.ndim == 3:
            frame = frame[None]  # one frame (C, H, W): a batch of one
        pair.append(to_gray(check_video(frame, name)))
        _check_size(frame, name)
    if pair[0].shape != pair[1].shape:
        raise ValueError(f"frame0 and frame1 must have the same shape; got {tuple(frame0.shape)} and {tuple(frame1.shape)}")
    return pair[0], pair[1], batched


def backward_warp(image, flow):
    """Sample `image` at x + flow(x) with bilinear interpolation: image (N, C, H, W) or (C, H, W),
    flow (N, 2, H, W) or (2, H, W) in pixels. Points outside take the nearest border value."""
    batched = isinstance(image, torch.Tensor) and image.ndim == 4
    if batched:
        check_video(image, "image")
    else:
        check_image(image, "image")
    if not isinstance(flow, torch.Tensor) or not flow.is_floating_point() or flow.ndim != image.ndim:
        raise ValueError(f"flow: expected a float tensor (N, 2, H, W) or (2, H, W) in pixels, like the image; got "
                         f"{describe(flow)}")
    image, flow = (image, flow) if batched else (image[None], flow[None])
    if flow.shape[1] != 2 or flow.shape[-2:] != image.shape[-2:] or flow.shape[0] != image.shape[0]:
        raise ValueError(f"flow must be (N, 2, H, W) matching image (N, C, H, W) = {tuple(image.shape)}; "
                         f"got {tuple(flow.shape)}")
    if not torch.isfinite(flow).all():
        raise ValueError(f"flow: expected finite displacements; got {int((~torch.isfinite(flow)).sum())} NaN or Inf values")
    height, width = image.shape[-2:]
    ys, xs = torch.meshgrid(torch.arange(height, device=image.device, dtype=flow.dtype),
                            torch.arange(width, device=image.device, dtype=flow.dtype), indexing="ij")
    x, y = xs + flow[:, 0], ys + flow[:, 1]  # (N, H, W) sampling positions in pixels
    grid = torch.stack([2 * x / max(width - 1, 1) - 1, 2 * y / max(height - 1, 1) - 1], dim=-1)  # grid_sample wants [-1, 1]
    out = F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=True)
    return out if batched else out[0]


def blockwise(flow, block=16):
    """(N, 2, H, W) → one displacement per block×block pixels (their mean), bilinearly
    interpolated back to H×W: a flow that moves an object as a whole instead of bending it."""
    return F.interpolate(F.avg_pool2d(flow, block), size=flow.shape[-2:], mode="bilinear")


def warp_difference(earlier, later, flow):
    """Mean |later − backward_warp(earlier, flow)| over the pixels whose source lies inside the
    frame (the others have nothing to be compared with). (N, C, H, W), (N, C, H, W), (N, 2, H, W);
    differentiable, so it serves as a training loss too."""
    height, width = later.shape[-2:]
    ys, xs = torch.meshgrid(torch.arange(height, device=flow.device), torch.arange(width, device=flow.device), indexing="ij")
    x, y = xs + flow[:, 0], ys + flow[:, 1]
    inside = ((x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1))[:, None]  # (N, 1, H, W)
    difference = (later - backward_warp(earlier, flow)).abs() * inside
    return difference.sum() / (inside.sum() * later.shape[1]).clamp_min(1)


def image_gradients(frame0, frame1):
    """Ix, Iy (central differences of the mean of both frames) and It = frame1 − frame0; (N, 1, H, W)."""
    mean = 0.5 * (frame0 + frame1)
    padded = F.pad(mean, (1, 1, 1, 1), mode="replicate")
    ix = 0.5 * (padded[..., 1:-1, 2:] - padded[..., 1:-1, :-2])
    iy = 0.5 * (padded[..., 2:, 1:-1] - padded[..., :-2, 1:-1])
    return ix, iy, frame1 - frame0


def window_mean(x, window):
    """Mean over a window × window neighbourhood of every pixel (smaller at the borders).
    A box is separable: the mean over rows of the means along each row, 2·window additions a pixel
    instead of window² (the same values; several times faster for Lucas–Kanade's 15 × 15)."""
    if check_count(window, "window", meaning="a neighbourhood's side in pixels") % 2 == 0:
        raise ValueError(f"window: expected an odd side, so that the window is centred on its pixel; got {window}")
    rows = F.avg_pool2d(x, (1, window), stride=1, padding=(0, window // 2), count_include_pad=False)
    return F.avg_pool2d(rows, (window, 1), stride=1, padding=(window // 2, 0), count_include_pad=False)


def lucas_kanade_step(frame0, frame1, window=15, ridge=1e-4):
    """One Lucas–Kanade solve on gray frames (N, 1, H, W) → flow (N, 2, H, W) for small motions.

    `ridge` is added to the diagonal so flat regions (no texture, an unsolvable system) get ~0 flow.
    """
    ix, iy, it = image_gradients(frame0, frame1)
    a, b, c = (window_mean(p, window) for p in (ix * ix, ix * iy, iy * iy))
    bx, by = window_mean(ix * it, window), window_mean(iy * it, window)
    a, c = a + ridge, c + ridge
    det = a * c - b * b
    u = -(c * bx - b * by) / det  # Cramer's rule for the 2×2 system at every pixel
    v = -(a * by - b * bx) / det
    return torch.cat([u, v], dim=1)


def horn_schunck_step(frame0, frame1, alpha=0.2, iterations=50):
    """Horn–Schunck on gray frames (N, 1, H, W) → flow (N, 2, H, W) for small motions.

    ū, v̄ are the mean of the 8 neighbours (Horn & Schunck weight them 1/6 and 1/12; the plain
    mean behaves the same and is an average pool, several times faster than a convolution on CPU).
    """
    ix, iy, it = image_gradients(frame0, frame1)
    flow = torch.zeros(ix.shape[0], 2, *ix.shape[-2:], dtype=ix.dtype, device=ix.device)
    gradient = torch.cat([ix, iy], dim=1)
    denominator = alpha ** 2 + ix ** 2 + iy ** 2
    for _ in range(iterations):
        flow_bar = (9 * F.avg_pool2d(F.pad(flow, (1, 1, 1, 1), mode="replicate"), 3, stride=1) - flow) / 8
        residual = (gradient * flow_bar).sum(1, keepdim=True) + it  # Ix·ū + Iy·v̄ + It
        flow = flow_bar - gradient * residual / denominator
    return flow


def coarse_to_fine(step, frame0, frame1, levels=3, warps=2, **step_options):
    """Run a small-motion estimator `step(f0, f1, **options) → flow` on an image pyramid.

    At each level, from coarsest to finest: upsample the flow so far (doubling it), warp frame1
    towards frame0 with it, and add the step's estimate of the motion that remains.
    """
    gray0, gray1, batched = _pairs(frame0, frame1)
    pyramid = [(gray0, gray1)]
    for _ in range(levels - 1):
        pyramid.append(tuple(F.avg_pool2d(g, 2, ceil_mode=True) for g in pyramid[-1]))
    flow = torch.zeros(gray0.shape[0], 2, *pyramid[-1][0].shape[-2:], device=gray0.device)
    for level0, level1 in reversed(pyramid):
        if flow.shape[-2:] != level0.shape[-2:]:
            flow = 2 * F.interpolate(flow, size=level0.shape[-2:], mode="bilinear", align_corners=False)
        for _ in range(warps):
            flow = flow + step(level0, backward_warp(level1, flow), **step_options)
    return flow if batched else flow[0]


def lucas_kanade(frame0, frame1, window=15, levels=3, warps=2):
    """Dense pyramidal Lucas–Kanade flow from frame0 to frame1."""
    return coarse_to_fine(lucas_kanade_step, frame0, frame1, levels=levels, warps=warps, window=window)


def horn_schunck(frame0, frame1, alpha=0.2, iterations=50, levels=3, warps=2):
    """Dense pyramidal Horn–Schunck flow from frame0 to frame1."""
    return coarse_to_fine(horn_schunck_step, frame0, frame1, levels=levels, warps=warps,
                          alpha=alpha, iterations=iterations)


def block_matching(frame0, frame1, block=8, search=6):
    """One displacement per block × block tile: the shift within ±search pixels with the least
    mean absolute difference, as motion estimation in MPEG/H.264 encoders does it."""
    check_count(block, "block", meaning="a tile's side in pixels")
    check_count(search, "search", minimum=0, meaning="the largest shift tried, in pixels")
    gray0, gray1, batched = _pairs(frame0, frame1)
    height, width = gray0.shape[-2:]
    padded = F.pad(gray1, (search,) * 4, mode="replicate")
    shifts = [(dx, dy) for dy in range(-search, search + 1) for dx in range(-search, search + 1)]
    costs = torch.stack([
        F.avg_pool2d((gray0 - padded[..., search + dy:search + dy + height, search + dx:search + dx + width]).abs(),
                     block, ceil_mode=True)[:, 0]
        for dx, dy in shifts], dim=1)  # (N, shifts, H/block, W/block)
    best = torch.tensor(shifts, dtype=torch.float32, device=gray0.device)[costs.argmin(dim=1)]  # (N, h, w, 2)
    flow = best.permute(0, 3, 1, 2).repeat_interleave(block, dim=2).repeat_interleave(block, dim=3)
    flow = flow[..., :height, :width]
    return flow if batched else flow[0]


def tvl1(frame0, frame1, **options):
    """TV-L1 optical flow from scikit-image (the library reference), in the course's convention."""
    from skimage.registration import optical_flow_tvl1

    gray0, gray1, batched = _pairs(frame0, frame1)
    flows = []
    for g0, g1 in zip(gray0[:, 0].cpu().numpy(), gray1[:, 0].cpu().numpy()):
        row, col = optical_flow_tvl1(g0, g1, **options)  # g0(x) ≈ g1(x + (row, col))
        flows.append(np.stack([col, row]))
    flow = torch.from_numpy(np.stack(flows)).float().to(gray0.device)
    return flow if batched else flow[0]


FLOW_METHODS = {"block matching": block_matching, "Lucas–Kanade": lucas_kanade,
                "Horn–Schunck": horn_schunck, "TV-L1 (scikit-image)": tvl1}


def intermediate_flows(flow01, flow10, t=0.5):
    """The flows from the unknown frame at time t back to frames 0 and 1, approximated from the
    two known flows as in Super SloMo (Jiang et al. 2018):  F_t→0 = −(1−t)t·F_0→1 + t²·F_1→0,
                                                            F_t→1 = (1−t)²·F_0→1 − t(1−t)·F_1→0."""
    for name, flow in (("flow01", flow01), ("flow10", flow10)):
        if not isinstance(flow, torch.Tensor) or flow.ndim not in (3, 4) or flow.shape[-3] != 2:
            raise ValueError(f"{name}: expected a flow (2, H, W) or (N, 2, H, W) holding (dx, dy) in pixels; got {describe(flow)}")
    if flow01.shape != flow10.shape:
        raise ValueError(f"flow01 and flow10: expected the same shape; got {tuple(flow01.shape)} and {tuple(flow10.shape)}")
    check_in_range(t, "t", 0, 1, meaning="a time between the two frames")
    return -(1 - t) * t * flow01 + t * t * flow10, (1 - t) ** 2 * flow01 - t * (1 - t) * flow10


def motion_compensated_midframe(frame0, frame1, flow01, flow10, t=0.5):
    """The frame at time t ∈ (0, 1) between frame0 and frame1, by warping both towards it along
    the intermediate_flows."""
    flow_t0, flow_t1 = intermediate_flows(flow01, flow10, t)
    return (1 - t) * backward_warp(frame0, flow_t0) + t * backward_warp(frame1, flow_t1)


def _check_method(method):
    if not (isinstance(method, str) and method in ("repeat", "blend", *FLOW_METHODS)):
        dash = " (the names use an en dash, –)" if isinstance(method, str) and "-" in method else ""
        raise ValueError(f"unknown method {method!r}; expected 'repeat', 'blend' or one of {list(FLOW_METHODS)}{dash}")
    return method


def midframes(frame0, frame1, method="blend"):
    """Middle frames between batches of frame pairs (N, C, H, W).

    method: "repeat" (hold frame0), "blend" (average), or a key of FLOW_METHODS (motion-compensated).
    """
    check_video(frame0, "frame0")
    check_video(frame1, "frame1")
    if frame0.shape != frame1.shape:
        raise ValueError(f"frame0 and frame1 must have the same shape; got {tuple(frame0.shape)} and {tuple(frame1.shape)}")
    if _check_method(method) == "repeat":
        return frame0.clone()
    if method == "blend":
        return 0.5 * (frame0 + frame1)
    estimate = FLOW_METHODS[method]
    flow01, flow10 = estimate(frame0, frame1), estimate(frame1, frame0)
    return motion_compensated_midframe(frame0, frame1, flow01, flow10).clamp(0, 1)


def double_frame_rate(video, method="blend", chunk=16):
    """Insert a generated frame between every two frames: (T, C, H, W) → (2T − 1, C, H, W).

    method: a name that `midframes` takes, or a function (frame0, frame1) → middle frames on
    batches (N, C, H, W), such as the learned interpolator of lesson 05
    (utils.models.interpolator.load_interpolator().midframes)."""
    check_video(video)
    if len(video) < 2:
        raise ValueError(f"video: expected at least 2 frames to insert frames between; got {describe(video)}")
    if callable(method):
        make_middles, name = method, getattr(method, "__qualname__", "a function")
    else:
        make_middles, name = (lambda a, b: midframes(a, b, method)), _check_method(method)
    firsts, seconds = video[:-1], video[1:]
    middles = [make_middles(firsts[i:i + chunk], seconds[i:i + chunk])
               for i in tqdm(range(0, len(firsts), chunk), desc=f"interpolating ({name})", leave=False)]
    middles = check_video(torch.cat(middles), f"the middle frames of {name}")
    if middles.shape != firsts.shape:
        raise ValueError(f"the middle frames of {name}: expected one per pair of frames, {tuple(firsts.shape)}; "
                         f"got {tuple(middles.shape)}")
    out = torch.empty(2 * len(video) - 1, *video.shape[1:], dtype=video.dtype, device=video.device)
    out[0::2], out[1::2] = video, middles
    return out


def constant_motion(context, frames):
    """Continue clips `context` (B, T ≥ 2, C, H, W) by `frames` frames without learning anything:
    move the last frame, again and again, by the motion between the last two (Lucas–Kanade, where
    each pixel of the last frame was in the one before). (B, frames, C, H, W). On straight-line
    motion it is the baseline a learned predictor must beat."""
    if not isinstance(context, torch.Tensor) or context.ndim != 5 or context.shape[1] < 2:
        raise ValueError(f"context: expected clips (B, T ≥ 2, C, H, W); got {describe(context)}")
    motion = lucas_kanade(context[:, -1], context[:, -2])
    frame, made = context[:, -1], []
    for _ in range(frames):
        frame = backward_warp(frame, motion).clamp(0, 1)
        made.append(frame)
    return torch.stack(made, dim=1)
