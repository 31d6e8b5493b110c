"""Video quality metrics.

- mse: the OpenSTL benchmark convention for Moving MNIST — squared error summed over the pixels
  (C, H, W) of a frame, averaged over frames (and videos). It is large (hundreds) by design.
- psnr: per-frame peak signal-to-noise ratio, 10·log10(1 / MSE_frame) for data in [0, 1],
  averaged over frames.
- ssim: per-frame structural similarity (Wang et al. 2004) from scikit-image, averaged over frames.
- warping_error: flicker. Each frame is warped by the true motion onto the next (Lai et al. 2018,
  "Learning Blind Video Temporal Consistency"); whatever still differs did not move with the
  scene — it changed by itself. Mean absolute difference over the pixels the warp can fill.
- sharpness: gradient energy, the mean squared difference between neighbouring pixels. Blur
  spreads an edge over more pixels with smaller steps, and the squares of smaller steps sum to
  less (the plain absolute differences would not change: blur keeps their sum).
Each accepts a video (T, C, H, W) or a batch (B, T, C, H, W) and returns a float;
`frame_sharpness` gives one number per frame, for judging clips one by one.
"""
import numpy as np
import torch
from einops import rearrange
from skimage.metrics import structural_similarity

from utils.flow import warp_difference
from utils.video import check_clips, check_video, describe

PSNR_CAP = 100.0  # dB for identical frames, where 10·log10(1/0) would be infinite


def _frames(pred, target):
    """Validate and flatten both inputs to frames (N, C, H, W)."""
    check_clips(pred, "pred")
    check_clips(target, "target")
    if pred.shape != target.shape:
        raise ValueError(f"pred and target: expected the same shape; got {tuple(pred.shape)} and {tuple(target.shape)}")
    if pred.ndim == 5:
        pred, target = (rearrange(x, "b t c h w -> (b t) c h w") for x in (pred, target))
    return pred.detach().float().cpu(), target.detach().float().cpu()


def mse(pred, target):
    """Per-frame sum of squared errors over pixels, averaged over frames (OpenSTL convention)."""
    pred, target = _frames(pred, target)
    return ((pred - target) ** 2).sum(dim=(1, 2, 3)).mean().item()


def psnr(pred, target):
    """Mean over frames of the per-frame PSNR in dB (data range 1)."""
    pred, target = _frames(pred, target)
    frame_mse = ((pred - target) ** 2).mean(dim=(1, 2, 3))
    return (10 * torch.log10(1 / frame_mse.clamp_min(10 ** (-PSNR_CAP / 10)))).mean().item()


def ssim(pred, target):
    """Mean over frames of scikit-image's SSIM (7×7 window, data range 1, channels averaged)."""
    pred, target = _frames(pred, target)
    if min(pred.shape[-2:]) < 7:
        raise ValueError(f"pred and target: expected frames of at least 7 × 7 pixels, SSIM's window; got {tuple(pred.shape[-2:])}")
    scores = [structural_similarity(p.numpy(), t.numpy(), data_range=1.0, channel_axis=0)
              for p, t in zip(pred, target)]
    return float(np.mean(scores))


def frame_sharpness(frames, name="frames"):
    """The sharpness of each frame of frames (N, C, H, W): a tensor (N,)."""
    frames = check_video(frames, name).detach().float().cpu()
    dims = (1, 2, 3)
    return (frames[..., :, 1:] - frames[..., :, :-1]).square().mean(dims) + (frames[..., 1:, :] - frames[..., :-1, :]).square().mean(dims)


def sharpness(video):
    """Mean (x[i, j+1] − x[i, j])² + (x[i+1, j] − x[i, j])² over pixels and frames: blur lowers it."""
    if isinstance(video, torch.Tensor) and video.ndim == 5:
        video = rearrange(video, "b t c h w -> (b t) c h w")
    return frame_sharpness(video, "video").mean().item()


def warping_error(video, flow):
    """video (T, C, H, W) or (B, T, C, H, W); flow (T-1, 2, H, W) or (B, T-1, 2, H, W): for each
    pair, where pixel p of frame t+1 came from in frame t, as lesson 02's backward warp reads it.
    Mean |frame_{t+1} − warp(frame_t, flow_t)| over the pixels whose source lies inside the frame."""
    batched = isinstance(video, torch.Tensor) and video.ndim == 5
    frames = rearrange(video, "b t c h w -> (b t) c h w") if batched else video
    check_video(frames, "video")
    *batch, T, _, H, W = video.shape
    if not isinstance(flow, torch.Tensor) or flow.shape != (*batch, T - 1, 2, H, W):
        raise ValueError(f"flow: expected one (2, H, W) field per pair of frames, {(*batch, T - 1, 2, H, W)}; got {describe(flow)}")
    if not batched:
        video, flow = video[None], flow[None]
    video, flow = video.detach().float().cpu(), flow.detach().float().cpu()
    return warp_difference(rearrange(video[:, :-1], "b t c h w -> (b t) c h w"), rearrange(video[:, 1:], "b t c h w -> (b t) c h w"),
                           rearrange(flow, "b t v h w -> (b t) v h w")).item()
