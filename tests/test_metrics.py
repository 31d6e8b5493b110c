import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage.metrics import peak_signal_noise_ratio

from utils import metrics


def _pair(seed=0, shape=(4, 3, 16, 16)):
    g = torch.Generator().manual_seed(seed)
    target = torch.rand(shape, generator=g)
    pred = (target + 0.1 * torch.randn(shape, generator=g)).clamp(0, 1)
    return pred, target


def test_mse_is_the_openstl_convention():
    target = torch.zeros(2, 1, 4, 4)
    pred = target.clone()
    pred[0] = 0.5  # frame 0: 16 pixels × 0.25 = 4.0; frame 1: 0 → mean over frames 2.0
    assert metrics.mse(pred, target) == pytest.approx(2.0)
    assert metrics.mse(pred[None], target[None]) == pytest.approx(2.0)  # batches too


def test_psnr_matches_scikit_image_frame_by_frame():
    pred, target = _pair()
    expected = np.mean([peak_signal_noise_ratio(t.numpy(), p.numpy(), data_range=1.0) for p, t in zip(pred, target)])
    assert metrics.psnr(pred, target) == pytest.approx(expected, abs=1e-4)
    assert metrics.psnr(target, target) == metrics.PSNR_CAP


def _ssim_independent(x, y, window=7):
    """Wang et al. 2004 with scikit-image's defaults, written from the paper: uniform window,
    sample covariances, K1 = 0.01, K2 = 0.03, mean over fully-covered pixels and channels."""
    x, y = x.double()[:, None], y.double()[:, None]  # (C, 1, H, W): each channel on its own
    n = window * window
    mean = lambda z: F.avg_pool2d(z, window, stride=1)  # noqa: E731  valid windows only
    mx, my = mean(x), mean(y)
    vx = (mean(x * x) - mx * mx) * n / (n - 1)
    vy = (mean(y * y) - my * my) * n / (n - 1)
    cxy = (mean(x * y) - mx * my) * n / (n - 1)
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    return s.mean().item()


def test_ssim_matches_an_independent_implementation():
    pred, target = _pair(seed=1)
    expected = np.mean([_ssim_independent(p, t) for p, t in zip(pred, target)])
    assert metrics.ssim(pred, target) == pytest.approx(expected, abs=1e-6)
    assert metrics.ssim(target, target) == pytest.approx(1.0)


def test_metrics_validate_their_inputs():
    with pytest.raises(ValueError, match="same shape"):
        metrics.psnr(torch.rand(2, 1, 8, 8), torch.rand(3, 1, 8, 8))
    with pytest.raises(ValueError, match="values in"):
        metrics.mse(torch.rand(2, 1, 8, 8) * 255, torch.rand(2, 1, 8, 8))
    with pytest.raises(TypeError, match="pred: expected a float32 tensor"):
        metrics.ssim(np.zeros((2, 1, 8, 8)), torch.rand(2, 1, 8, 8))
