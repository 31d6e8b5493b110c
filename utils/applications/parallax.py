"""A photo animated in 2.5-D: two depth layers moved by a camera path, as in the "3D Ken Burns
effect" (Niklaus et al. 2019); lesson 08's second case.

The photo comes with a depth map, here a disparity d(x) in pixels: how far a point shifts when
the camera moves sideways by one stereo baseline. Near points shift more than far ones — that is
parallax. The photo is split into a near layer F with opacity α and a far layer B; a camera at
`shift` s baselines renders

    out(x) = α(x + s·d_F(x))·F(x + s·d_F(x)) + (1 − α(x + s·d_F(x)))·B(x + s·d_B(x))

What the near layer hid is unknown: moving it reveals holes, which the far layer must fill by
inpainting (here biharmonic, scikit-image's `inpaint_biharmonic`). Pixels on the layers' edge mix
both layers; a cut-out that keeps them leaves a fringe of the near layer's colours on the far
layer — a halo, revealed as the camera moves. Growing the hole before inpainting and feathering α
removes it.

The photo is the left view of a Middlebury stereo pair (Scharstein et al. 2014, shipped by
scikit-image as `stereo_motorcycle`) with its measured disparity: at s = 1 the camera stands where
the right camera stood, and the right photo is the truth to compare with.
"""
import math
import numbers

import numpy as np
import skimage.data
import skimage.filters
import skimage.measure
import skimage.morphology
import skimage.restoration
import torch
import torch.nn.functional as F

from utils.flow import backward_warp
from utils.video import check_count, check_image, describe

LAYERS = ("foreground", "alpha", "foreground_disparity", "background", "background_disparity")


def _check_map(values, name, shape=None):
    """One value per pixel of the photo: a tensor (H, W), of `shape` if given."""
    if not isinstance(values, torch.Tensor) or values.ndim != 2 or (shape is not None and tuple(values.shape) != tuple(shape)):
        hint = f" The stereo photo's dict? Pass photo[{name!r}]." if isinstance(values, dict) and name in values else ""
        raise ValueError(f"{name}: expected a tensor of shape {tuple(shape) if shape is not None else '(H, W)'} (one value "
                         f"per pixel of the photo); got {describe(values)}.{hint}")
    return values


def _check_layers(layers):
    if not isinstance(layers, dict) or not set(LAYERS) <= set(layers):
        keys = f" with keys {sorted(layers)}" if isinstance(layers, dict) else ""
        raise ValueError(f"layers: expected the dict that make_layers returns ({', '.join(LAYERS)}); got {describe(layers)}{keys}")
    return layers


def _check_photo(photo):
    if isinstance(photo, dict) and "left" in photo:
        raise ValueError("photo: expected an image tensor (3, H, W); got the stereo photo's dict. Pass photo['left'].")
    return check_image(photo, "photo")


def _check_shift(shift):
    if isinstance(shift, torch.Tensor) and shift.ndim == 0:
        shift = shift.item()
    if isinstance(shift, bool) or not isinstance(shift, numbers.Real) or not math.isfinite(shift):
        hint = " A camera path? Render it with animate(layers, path)." if isinstance(shift, (list, tuple, torch.Tensor)) else ""
        got = repr(shift) if isinstance(shift, numbers.Real) else describe(shift)
        raise ValueError(f"shift: expected one number of stereo baselines (0: the photo's own camera); got {got}.{hint}")
    return float(shift)


def stereo_photo(scale=2):
    """scikit-image's Middlebury stereo pair, every `scale` pixels (area-averaged): {"left", "right"}
    (3, H, W) in [0, 1], "disparity" (H, W) in pixels of this size, "known" (H, W) bool: where the
    disparity was measured (elsewhere it is 0)."""
    check_count(scale, "scale", meaning="a downscaling factor")
    left, right, disparity = skimage.data.stereo_motorcycle()
    known = torch.from_numpy(np.isfinite(disparity))[None, None].float()
    disparity = torch.from_numpy(np.where(np.isfinite(disparity), disparity, 0))[None, None].float()
    share = F.avg_pool2d(known, scale)
    disparity = F.avg_pool2d(disparity, scale) / share.clamp(min=1e-6) / scale    # the mean over the known pixels only
    photo = {name: F.avg_pool2d(torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255, scale)[0]
             for name, image in (("left", left), ("right", right))}
    known = share[0, 0] > 0.5
    return {**photo, "disparity": disparity[0, 0] * known, "known": known}


def near_mask(disparity, known):
    """The near layer: pixels nearer than Otsu's threshold on the known disparities (Otsu splits
    them into two classes of least spread), the largest connected region, its small holes filled.
    (H, W) bool."""
    _check_map(known, "known", _check_map(disparity, "disparity").shape)
    threshold = skimage.filters.threshold_otsu(disparity[known].numpy())
    near = ((disparity > threshold) & known).numpy()
    regions = skimage.measure.label(near)
    largest = regions == np.argmax(np.bincount(regions.ravel())[1:]) + 1
    return torch.from_numpy(skimage.morphology.remove_small_holes(largest, max_size=near.size // 200))


def inpaint(image, hole):
    """`image` (C, H, W) or a map (H, W) with the pixels of `hole` (H, W) bool filled smoothly from
    around it (biharmonic inpainting)."""
    if not isinstance(image, torch.Tensor) or image.ndim not in (2, 3):
        raise ValueError(f"image: expected an image (C, H, W) or a map (H, W); got {describe(image)}")
    _check_map(hole, "hole", image.shape[-2:])
    values = image.permute(1, 2, 0).numpy() if image.ndim == 3 else image.numpy()
    filled = torch.from_numpy(skimage.restoration.inpaint_biharmonic(values, hole.numpy(), channel_axis=-1 if image.ndim == 3 else None)).float()
    return filled.permute(2, 0, 1) if image.ndim == 3 else filled


def make_layers(photo, disparity, known, mask, grow=0, feather=0.0, fill=True):
    """Split `photo` (3, H, W) into the near layer `mask` (H, W) bool and the far layer. The far
    layer's hole — the mask grown by `grow` pixels, and the pixels of unknown disparity — is
    inpainted (or left black with fill=False); the near layer's opacity is the mask blurred by a
    Gaussian of σ = `feather` pixels. The near layer's disparity is extended smoothly beyond its
    edge, so that a feathered edge moves with it."""
    _check_photo(photo)
    for name, values in (("disparity", disparity), ("known", known), ("mask", mask)):
        _check_map(values, name, photo.shape[-2:])
    hole = torch.from_numpy(skimage.morphology.dilation(mask.numpy(), skimage.morphology.disk(grow))) if grow else mask
    hole = hole | ~known
    alpha = mask.float()
    if feather:
        alpha = torch.from_numpy(skimage.filters.gaussian(mask.numpy().astype(float), sigma=feather)).float()
    background = inpaint(photo, hole).clamp(0, 1) if fill else photo * ~hole
    return {"foreground": photo, "alpha": alpha[None], "foreground_disparity": inpaint(disparity, ~mask),
            "background": background, "background_disparity": inpaint(disparity, hole)}


def _shifted(image, disparity, shift):
    flow = torch.stack([shift * disparity, torch.zeros_like(disparity)])      # sideways only: the stereo baseline
    return backward_warp(image, flow)


def render(layers, shift):
    """The view from a camera `shift` stereo baselines to the right (0: the photo). (3, H, W)."""
    _check_layers(layers)
    shift = _check_shift(shift)
    alpha = _shifted(layers["alpha"], layers["foreground_disparity"], shift)
    near = _shifted(layers["foreground"], layers["foreground_disparity"], shift)
    far = _shifted(layers["background"], layers["background_disparity"], shift)
    return alpha * near + (1 - alpha) * far


def animate(layers, path):
    """The clip of a camera that moves along `path`, a sequence of shifts: (len(path), 3, H, W)."""
    _check_layers(layers)
    if isinstance(path, torch.Tensor) and path.ndim == 1:
        path = path.tolist()
    if not isinstance(path, (list, tuple)) or not path:
        hint = " The path's function? Call it: there_and_back(24)." if callable(path) else ""
        raise ValueError(f"path: expected a sequence of shifts, one per frame, such as there_and_back(24); got {describe(path)}.{hint}")
    return torch.stack([render(layers, shift) for shift in path])


def single_layer(photo, disparity, shift):
    """The view at `shift` from one layer, every pixel moved by its own disparity: no holes, but the
    near layer's edge is stretched across what it hid."""
    return _shifted(_check_photo(photo), _check_map(disparity, "disparity", photo.shape[-2:]), _check_shift(shift))


def revealed(layers, mask, shift):
    """Where the view at `shift` shows the far layer at a place that `mask`, the near layer, covered
    in the photo: the pixels that inpainting supplied. (H, W) bool."""
    _check_map(mask, "mask", _check_layers(layers)["alpha"].shape[-2:])
    shift = _check_shift(shift)
    hidden = _shifted(mask.float()[None], layers["background_disparity"], shift)[0] > 0.5
    covered = _shifted(layers["alpha"], layers["foreground_disparity"], shift)[0] > 0.5
    return hidden & ~covered


def there_and_back(frames, amplitude=1.0):
    """A camera path of `frames` shifts that eases from 0 out to `amplitude` and back:
    s_k = amplitude · (1 − cos(2π k / (frames − 1))) / 2. (frames,)."""
    check_count(frames, "frames", minimum=2, meaning="the clip's length in frames")
    k = torch.arange(frames, dtype=torch.float64)
    return (amplitude * (1 - torch.cos(2 * torch.pi * k / (frames - 1))) / 2).float()
