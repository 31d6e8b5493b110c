"""Exercise checkers of lesson 02 (Basic principles): see utils.course.checker for how they report."""
import torch

from utils import data, flow, metrics
from utils.course.checker import compare_numbers, compare_tensors, rng, run_cases


def check_backward_warp(student_fn):
    """backward_warp(image (N, C, H, W), flow (N, 2, H, W)) → image sampled at x + flow(x)."""
    image = torch.rand(1, 3, 6, 7, generator=rng(2))
    zero = torch.zeros(1, 2, 6, 7)
    shift_right = zero.clone()
    shift_right[:, 0] = 1.0  # sample one pixel to the right: content moves left
    fractional = torch.randn(2, 2, 6, 7, generator=rng(3)) * 0.7
    pair = torch.rand(2, 1, 6, 7, generator=rng(4))
    cases = [("zero flow returns the image unchanged", (image, zero), flow.backward_warp(image, zero)),
             ("flow dx = +1 everywhere: out[..., x] = image[..., x + 1], border repeated", (image, shift_right),
              flow.backward_warp(image, shift_right)),
             ("fractional flow, a batch of 2: bilinear interpolation", (pair, fractional), flow.backward_warp(pair, fractional))]
    return run_cases("backward_warp", student_fn, cases, compare=lambda g, e: compare_tensors(g, e, atol=1e-4))


def check_lucas_kanade_step(student_fn):
    """lucas_kanade_step(frame0, frame1, window) on gray (N, 1, H, W) → flow (N, 2, H, W)."""
    texture = data.smooth_texture(32, 32, seed=5)[None]
    moved = flow.backward_warp(texture, torch.tensor([-0.6, 0.3]).view(1, 2, 1, 1).expand(1, 2, 32, 32))
    other = data.smooth_texture(32, 32, seed=6)[None]
    cases = [("identical frames: zero flow", (texture, texture, 9), flow.lucas_kanade_step(texture, texture, 9)),
             ("a texture moved by (0.6, -0.3) pixels", (texture, moved, 9), flow.lucas_kanade_step(texture, moved, 9)),
             ("two unrelated textures, window 5", (texture, other, 5), flow.lucas_kanade_step(texture, other, 5))]
    return run_cases("lucas_kanade_step", student_fn, cases, compare=_compare_flow)


LUCAS_KANADE_HINTS = {
    "not finite": "where the texture is flat the 2×2 system is singular (determinant 0): add the ridge to both "
                  "diagonal entries, A = [[Σ Ix² + ridge, Σ IxIy], [Σ IxIy, Σ Iy² + ridge]]",
    "sign": "the flow has the wrong sign: the system is A (u, v) = −(Σ Ix·It, Σ Iy·It)",
    "other": "check the sign of It (frame1 − frame0), the window sums (a mean over the window), the ridge on the "
             "diagonal, and the (u, v) order"}
HORN_SCHUNCK_HINTS = {
    "not finite": "the denominator α² + Ix² + Iy² is never 0 for α > 0: divide by it as a whole",
    "sign": "the flow has the wrong sign: each iteration subtracts, u ← ū − Ix·(Ix·ū + Iy·v̄ + It) / (α² + Ix² + Iy²)",
    "other": "check ū and v̄ (the mean of the 8 neighbours, without the pixel itself, with the border pixels repeated: "
             "replicate padding, not zeros), α squared in the denominator, and that u and v are both updated from "
             "the previous iteration's ū and v̄"}


def _compare_flow(got, expected, hints=LUCAS_KANADE_HINTS):
    """compare_tensors for a flow, naming the usual mistakes (`hints`: the estimator's) when it differs."""
    close = lambda candidate: compare_tensors(candidate, expected, atol=1e-3, rtol=1e-2) is None
    problem = compare_tensors(got, expected, atol=1e-3, rtol=1e-2)
    if problem is None or not isinstance(got, torch.Tensor) or got.shape != expected.shape or got.dtype != expected.dtype:
        return problem
    if not torch.isfinite(got).all():
        return f"{problem}\nhint: {hints['not finite']}"
    if close(-got):
        return f"{problem}\nhint: {hints['sign']}"
    if close(got.flip(1)):
        return problem + "\nhint: u and v are swapped: channel 0 is u (horizontal, along x), channel 1 is v (vertical)"
    return f"{problem}\nhint: {hints['other']}"


def check_horn_schunck_step(student_fn):
    """horn_schunck_step(frame0, frame1, alpha, iterations) on gray (N, 1, H, W) → flow (N, 2, H, W)."""
    texture = data.smooth_texture(32, 32, seed=5)[None]
    moved = flow.backward_warp(texture, torch.tensor([-0.6, 0.3]).view(1, 2, 1, 1).expand(1, 2, 32, 32))
    other = data.smooth_texture(32, 32, seed=6)[None]
    cases = [("identical frames: zero flow", (texture, texture, 0.2, 10), flow.horn_schunck_step(texture, texture, 0.2, 10)),
             ("one iteration from zero flow: ū = v̄ = 0, so the update is −(Ix, Iy)·It / (α² + Ix² + Iy²)", (texture, moved, 0.2, 1),
              flow.horn_schunck_step(texture, moved, 0.2, 1)),
             ("a texture moved by (0.6, −0.3) pixels, 50 iterations (ū, v̄: the mean of the 8 neighbours, borders repeated)",
              (texture, moved, 0.2, 50), flow.horn_schunck_step(texture, moved, 0.2, 50)),
             ("two unrelated textures, a stronger smoothness α = 0.5", (texture, other, 0.5, 20), flow.horn_schunck_step(texture, other, 0.5, 20))]
    return run_cases("horn_schunck_step", student_fn, cases, compare=lambda got, expected: _compare_flow(got, expected, HORN_SCHUNCK_HINTS))


def check_psnr(student_fn):
    """psnr(pred, target): mean over frames of 10·log10(1 / MSE_frame), for videos in [0, 1]."""
    target = torch.rand(4, 3, 8, 8, generator=rng(7))
    noisy = (target + 0.05 * torch.randn(4, 3, 8, 8, generator=rng(8))).clamp(0, 1)
    uneven = noisy.clone()
    uneven[0] = 0.0  # one ruined frame: the mean of per-frame PSNRs differs from the PSNR of the mean MSE
    cases = [("a noisy copy", (noisy, target), metrics.psnr(noisy, target)),
             ("one frame black, three noisy: average the per-frame PSNRs", (uneven, target), metrics.psnr(uneven, target))]
    return run_cases("psnr", student_fn, cases, compare=lambda g, e: compare_numbers(g, e, atol=0.05))
