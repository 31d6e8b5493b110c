"""`utils`: the shared package of the course "Video Generation — from Image to Video".

Laid out by role, flat inside each folder; imports only go down (a test checks for cycles).

The foundation, at the bottom (each module imports only those listed before it):
    runtime                 setup(): device (CUDA → MPS → CPU), seeding, versions
    video                   the (T, C, H, W) convention, the checks of inputs, conversions
    videofile               reading, writing and inspecting video files with PyAV
    data                    MovingDigits, BouncingShapes, real clips and stills, clip augmentation
    display                 videos inline, side by side, frame grids, optical-flow images, curves
    flow                    block matching, Lucas–Kanade, Horn–Schunck, warping, frame interpolation
    metrics                 MSE (OpenSTL convention), PSNR, SSIM, sharpness, warping error (flicker)
    edit                    editing steps: trim, transitions, reframe following the motion, grade, captions
    blocks                  layers the models share: down/up-sampling, residual block, PatchGAN
    training                the training loops `fit` and `fit_gan`, with progress bars and live curves
    checkpoints             safetensors weights with JSON model cards, checked by sha256
    checkup                 doctor(): is this machine ready? versions, device, H.264, checkpoints, fonts
models/, one file per model family:
    evalnet                 the evaluation network and its measures (identity, motion, FVD-lite)
    convlstm                ConvLSTM video prediction (Shi et al. 2015)
    simvp                   SimVP, a convolutional predictor with a gSTA translator (Gao et al. 2022)
    vgan                    two-stream video GAN conditioned on a frame (Vondrick et al. 2016)
    pix2pix                 U-Net + PatchGAN, a next-frame translator (Isola et al. 2017)
    cyclegan                unpaired translation, per frame, with a temporal term (Zhu et al. 2017)
    mocogan                 content and motion codes (Tulyakov et al. 2018)
    svg                     a VAE as a stochastic predictor (Kingma & Welling 2014; Denton & Fergus 2018)
    vqvae                   video tokens by vector quantisation (van den Oord et al. 2017)
    videogpt                a transformer over those tokens (Yan et al. 2021)
    latent_autoencoder      the continuous latent space of lesson 07 (after Rombach et al. 2022)
    space_time_transformer  a DiT-style transformer over latent video (Peebles & Xie 2023)
    flow_matching           its training and sampling by flow matching (Lipman et al. 2023)
    shape_classifier        names a BouncingShapes clip's shape, colour and direction: the judge of captions
    caption_to_video        the same network conditioned on captions through a text encoder
    interpolator            a learned frame interpolator, IFNet after RIFE (Huang et al. 2022)
applications/, built on the trained models:
    generate                the "generate" step of lesson 05's pipeline: animate, extend, label or caption to video; stories;
                            every digit generator's clips from the same first frames
    quality                 lesson 06's quality report (flags calibrated on real clips) and motion stress test; story drift
    detector                a real-vs-generated classifier, tested on generators it never saw
    watermark               an invisible 32-bit watermark that survives H.264, scaling and cropping
    anonymise               face detection, tracking and blurring
    provenance              a signed manifest (Ed25519, after C2PA) inside the MP4, and its verification
    slowmotion              lesson 08: slow motion by interpolation, holding frames across cuts, scored on dropped frames
    parallax                a photo animated in 2.5-D: depth layers, inpainting, a camera path (a stereo pair as truth)
    variations              an ad master for every screen: reframing that keeps the subject, timed edits, delivery check
    scaling                 lesson 07's scaling experiment: flow-matching transformers of several widths against compute
course/, the course machinery:
    checker                 the engine of the exercise checkers (run_cases, describe, comparisons)
    lesson01 …              the checkers of each lesson's exercises
    lessons                 regenerates lessons/ from solutions/
    glossary                the bilingual glossary: each lesson's section and the links to it
    quiz                    lesson 11's self-check quizzes (data/quiz.json): checked, marked, shown as widgets
    references              lesson 10's bibliography (data/references.bib): read, searched, checked against the code
    workspace               the student's copy of the lessons (make lab), and resetting one
On top:
    studio                  `video-studio`: the editing pipeline as a command
    train                   `python -m utils.train NAME`: the registry of training recipes, the one
                            module that imports every model (and the detector)
    leaderboard             `python -m utils.leaderboard`: lesson 09's benchmark of every shipped generator
"""
from utils.runtime import setup


def doctor():
    """Is this machine ready for the course? Each check ✅ or ❌ with its fix (utils.checkup);
    True when nothing is ❌."""
    from utils.checkup import doctor as check_up

    return check_up()


__all__ = ["doctor", "setup"]
