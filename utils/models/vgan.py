"""A two-stream video GAN conditioned on a still image (Vondrick, Pirsiavash & Torralba 2016,
"Generating Videos with Scene Dynamics"), and the GAN objective it is trained with.

Generator. An encoder reads the given frame x0; with a code z (which future?) its 4×4 feature
map feeds two streams:
    foreground f (B, 1, T, H, W) and mask m ∈ [0, 1]: 3D transposed convolutions, so they move;
    background b (B, 1, H, W): 2D transposed convolutions, one image for the whole clip;
    video = m ⊙ f + (1 − m) ⊙ b
The encoder's features at 8×8, 16×16 and 32×32 also reach the foreground stream (skip
connections, the same in every frame), with a channel saying which frame is being drawn.

One change from the paper: our 3D stream does not paint the foreground's pixels; it outputs, for
every frame, where to fetch them from in the given frame — a flow field (one displacement per
16×16-pixel block, smoothly interpolated), used by lesson 02's backward warp:
f_t = warp(x0, flow_t). A warp moves the digit without redrawing it, so the digit keeps its shape,
and a small model learns it in minutes; a painted foreground has to learn the shape too (the card's
notes record what the paper's stream gave here).

Which future? One frame does not say which way the digit will go. The first two numbers of z
are a motion code, the digit's initial velocity / 4 px: in training read from the clip (as the
motion encoders of SAVP, Lee et al. 2018, do), when generating drawn from the data's range (any
direction, 2–4 px/frame). The other numbers of z are noise. With the future fixed by the code,
an L1 term can compare a generated clip with the real one, as Mathieu, Couprie & LeCun (2016)
and Pix2Pix (Isola et al. 2017) combine an L1/L2 loss with the adversarial one: L1 gets the
digit to the right place quickly, the adversarial loss keeps it sharp.

Discriminator. 3D convolutions over (T, H, W) → one logit: real clip or generated? It also sees
the given frame (as a second channel), so it can tell when a clip does not continue it.

Objective (Goodfellow et al. 2014), as written in the course's source text:
    L_D = −E_x[log D(x)] − E_z[log(1 − D(G(z)))]
    L_G = −E_z[log D(G(z))]          (the "non-saturating" generator loss)
    + λ‖G(x0, z) − x‖₁ for the generator, λ = RECONSTRUCTION_WEIGHT
D outputs a logit and the losses use binary_cross_entropy_with_logits, which computes
log σ(·) without overflow.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange, repeat

from utils.blocks import down, up
from utils.data import MovingDigits
from utils.flow import backward_warp, blockwise
from utils.models.evalnet import image_to_video_metrics, static_frame_fvd_lite
from utils.training import final_losses, fit_gan
from utils.video import check_batch, check_count, check_frames, check_generator, check_model, describe

FRAMES = 16
NOISE = 16                     # numbers in z, the first two of them the motion code
SPEED = (2.0, 4.0)             # px/frame, as MovingDigits
RECONSTRUCTION_WEIGHT = 100.0  # λ, as Pix2Pix
FLOW_SCALE = 16.0              # px per unit of the stream's output: displacements of tens of pixels
FLOW_BLOCK = 16                # px: the flow's resolution


def motion_code(velocity):
    """Initial velocities (B, 2) in px/frame → the motion part of z (B, 2), of size 0.5–1."""
    return velocity / SPEED[1]


def random_z(n, device=None, generator=None):
    """z for generating: a motion code of a random direction and speed, then noise. (n, NOISE)"""
    check_count(n, "n", meaning="the number of codes")
    check_generator(generator)
    angle = torch.rand(n, generator=generator) * 2 * torch.pi
    speed = SPEED[0] + (SPEED[1] - SPEED[0]) * torch.rand(n, generator=generator)
    velocity = torch.stack([angle.cos(), angle.sin()], dim=1) * speed[:, None]
    return torch.cat([motion_code(velocity), torch.randn(n, NOISE - 2, generator=generator)], dim=1).to(device)


def _broadcast_in_time(image_features, frames):
    """(B, C, H, W) → (B, C, frames, H, W): the still's features, the same in every frame."""
    return repeat(image_features, "b c h w -> b c t h w", t=frames)


def _time_channel(x):
    """A channel holding each frame's time, −1 (first) … 1 (last), shaped like x (B, 1, T, H, W):
    transposed convolutions otherwise hardly know which frame they draw."""
    B, _, T, H, W = x.shape
    return repeat(torch.linspace(-1, 1, T, device=x.device, dtype=x.dtype), "t -> b 1 t h w", b=B, h=H, w=W)


class Generator(nn.Module):
    """Two streams: a still and a code z → a clip m ⊙ warp(still, flow) + (1 − m) ⊙ background.
    The flow and the mask come from 3D transposed convolutions, the background from 2D ones."""

    def __init__(self, width=16, noise=NOISE):
        super().__init__()
        w, self.noise = width, noise
        self.encoder = nn.ModuleList([down(c_in, c_out) for c_in, c_out in  # 64 → 32 → 16 → 8 → 4
                                      ((1, w), (w, 2 * w), (2 * w, 4 * w), (4 * w, 4 * w))])
        code = 4 * w + noise
        # foreground: (code, 1, 4, 4) → (4w, 2, 8, 8) → (2w, 4, 16, 16) → (w, 8, 32, 32) → (3, 16, 64, 64): flow (2), mask (1);
        # before each layer but the first: + the encoder's features at that size + 1 channel of time
        self.foreground = nn.ModuleList([up(code, 4 * w, dims=3, time_kernel=2), up(8 * w + 1, 2 * w, dims=3),
                                         up(4 * w + 1, w, dims=3)])
        self.foreground_out = nn.ConvTranspose3d(2 * w + 1, 3, 4, stride=2, padding=1)  # flow (2), mask logit
        with torch.no_grad():  # start from flow 0: every frame a copy of the given one
            self.foreground_out.weight[:, :2].zero_()
            self.foreground_out.bias[:2].zero_()
        # background: (code, 4, 4) → (4w, 8, 8) → (2w, 16, 16) → (w, 32, 32) → (1, 64, 64)
        self.background = nn.Sequential(up(code, 4 * w), up(4 * w, 2 * w), up(2 * w, w),
                                        nn.ConvTranspose2d(w, 1, 4, stride=2, padding=1))

    def forward(self, first_frame, z=None, return_streams=False):
        """first_frame (B, 1, 64, 64) in [0, 1], z (B, NOISE) or None (random_z) → video (B, 16, 1, 64, 64)."""
        check_frames(first_frame, "first_frame")
        B = first_frame.shape[0]
        z = random_z(B, first_frame.device) if z is None else _check_z(z, B, self.noise)
        features, x = [], first_frame * 2 - 1
        for layer in self.encoder:
            x = layer(x)
            features.append(x)                                                      # 32², 16², 8², 4²
        code = torch.cat([features[-1], repeat(z, "b z -> b z h w", h=4, w=4)], dim=1)  # (B, 4w+Z, 4, 4)

        x = self.foreground[0](code[:, :, None])                                     # (B, 4w, 2, 8, 8)
        for layer, skip in zip([*self.foreground[1:], self.foreground_out], features[2::-1]):
            x = layer(torch.cat([x, _broadcast_in_time(skip, x.shape[2]), _time_channel(x)], dim=1))
        flow, mask = FLOW_SCALE * x[:, :2], x[:, 2:].sigmoid()                      # (B, 2 | 1, 16, 64, 64)
        T = flow.shape[2]
        # one displacement per 16×16-pixel block, smoothly interpolated: the digit moves as a whole
        # instead of being bent (per-pixel flows twisted the digits' strokes)
        flow = blockwise(rearrange(flow, "b v t h w -> (b t) v h w"), FLOW_BLOCK)
        fetched = backward_warp(repeat(first_frame, "b c h w -> (b t) c h w", t=T), flow)
        foreground = rearrange(fetched, "(b t) c h w -> b c t h w", t=T)            # (B, 1, 16, 64, 64)
        background = self.background(code).sigmoid()[:, :, None]                    # (B, 1, 1, 64, 64)
        video = mask * foreground + (1 - mask) * background
        video = rearrange(video, "b c t h w -> b t c h w")
        if return_streams:
            return video, {"foreground": foreground, "mask": mask, "background": background,
                           "flow": rearrange(flow, "(b t) v h w -> b v t h w", t=T)}
        return video


class Discriminator(nn.Module):
    """A clip beside its first frame → a logit: 3D convolutions judge the motion, not only the frames."""

    def __init__(self, width=16):
        super().__init__()
        w, sn = width, nn.utils.parametrizations.spectral_norm  # spectral norm keeps D smooth: steadier training
        layers, channels = [], 2  # the clip and its (repeated) first frame
        for out, time_kernel in ((w, 4), (2 * w, 4), (4 * w, 4), (4 * w, 2)):  # T, H, W halve each time:
            layers += [sn(nn.Conv3d(channels, out, (time_kernel, 4, 4), stride=2,  # (16, 64, 64) → … → (1, 4, 4)
                                    padding=(time_kernel // 2 - 1, 1, 1))), nn.LeakyReLU(0.2)]
            channels = out
        self.features = nn.Sequential(*layers)
        self.logit = sn(nn.Linear(channels * 4 * 4, 1))

    def forward(self, video):
        """video (B, T, 1, 64, 64) in [0, 1] → logits (B,): large means "real"."""
        if check_batch(video, "video").shape[1:] != (FRAMES, 1, 64, 64):
            raise ValueError(f"video: the discriminator reads clips of {FRAMES} gray 64×64 frames; got {tuple(video.shape)}")
        x = rearrange(video, "b t c h w -> b c t h w") * 2 - 1
        x = torch.cat([x, x[:, :, :1].expand_as(x)], dim=1)                         # (B, 2, T, H, W)
        return self.logit(self.features(x).flatten(1)).squeeze(1)


class VideoGAN(nn.Module):
    """The generator and discriminator in one module, so that one checkpoint holds both."""

    def __init__(self, width=16):
        super().__init__()
        self.generator, self.discriminator = Generator(width), Discriminator(width)

    def forward(self, first_frame, z=None):
        return self.generator(first_frame, z)


def discriminator_loss(real_logits, fake_logits):
    """L_D = −E[log D(x)] − E[log(1 − D(G(z)))], with D = σ(logit)."""
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def generator_loss(fake_logits):
    """L_G = −E[log D(G(z))]: the generator wants its clips called real."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def training_z(batch):
    """z for a training clip: its own motion code (so that the future is fixed), then noise."""
    velocity = batch["velocity"][:, 0]                                              # (B, 2) px/frame
    noise = random_z(len(velocity), velocity.device)[:, 2:]
    return torch.cat([motion_code(velocity), noise], dim=1)


def train_step(gan, optimizer_g, optimizer_d, batch, d_loss_fn=discriminator_loss):
    """One alternating GAN step on a MovingDigits batch {"video": (B, 16, 1, 64, 64), "velocity"};
    returns the losses. d_loss_fn: the discriminator's loss (lesson 03's exercise can stand in)."""
    generator, discriminator = gan.generator, gan.discriminator
    real = batch["video"]
    fake = generator(real[:, 0], training_z(batch))

    # 1. the discriminator: real clips → 1, generated → 0. detach(): this step must not update G.
    d_loss = d_loss_fn(discriminator(real), discriminator(fake.detach()))
    optimizer_d.zero_grad(set_to_none=True)
    d_loss.backward()
    optimizer_d.step()

    # 2. the generator: make D say "real", and match the real clip (D is not stepped here; the
    #    gradients this leaves in D are cleared before its next step)
    adversarial = generator_loss(discriminator(fake))
    reconstruction = F.l1_loss(fake, real)
    optimizer_g.zero_grad(set_to_none=True)
    (adversarial + RECONSTRUCTION_WEIGHT * reconstruction).backward()
    optimizer_g.step()
    return {"discriminator": d_loss.item(), "generator (adversarial)": adversarial.item(), "L1": reconstruction.item()}


def _check_z(z, count, noise):
    if not (isinstance(z, torch.Tensor) and z.is_floating_point() and z.shape == (count, noise)):
        hint = " Convert it with torch.from_numpy(z).float()." if isinstance(z, np.ndarray) else ""
        made_by = ", as random_z gives" if noise == NOISE else ""
        raise ValueError(f"z: expected a float tensor of codes (B, {noise}) with B = {count}{made_by}; got {describe(z)}.{hint}")
    return z


@torch.no_grad()
def generate(model, first_frames, z=None):
    """first_frames (B, 1, 64, 64) → clips (B, 16, 1, 64, 64), on the CPU. model: a VideoGAN or
    a Generator."""
    check_model(model, (VideoGAN, Generator))
    check_frames(first_frames)
    generator = getattr(model, "generator", model)
    device = next(generator.parameters()).device
    generator.eval()
    return generator(first_frames.to(device), z.to(device) if isinstance(z, torch.Tensor) else z).float().cpu()   # forward checks z


# ---------------------------------------------------------------------------------------------
# the recipe: `python -m utils.train vgan`

def train(gan, steps=3000, batch_size=16, lr=5e-4, lr_discriminator=2e-4, seed=0):
    torch.manual_seed(seed)
    clips = MovingDigits(num_frames=FRAMES, num_digits=1, split="train", length=steps * batch_size, seed=seed)
    history = fit_gan(gan, train_step, clips.batches(batch_size), steps, lr=lr, lr_discriminator=lr_discriminator,
                      desc="VGAN")
    return {"recipe": {"steps": steps, "batch_size": batch_size, "lr": lr, "lr_discriminator": lr_discriminator,
                       "betas": [0.5, 0.999],
                       "loss": f"non-saturating GAN + {RECONSTRUCTION_WEIGHT:g} × L1, z's motion code from the clip",
                       "data": f"MovingDigits, 1 digit, {FRAMES} frames, train split"},
            "seed": seed, "final_losses": final_losses(history),
            "metrics": evaluate(gan)}


def evaluate(model, clips=256):
    """Image-to-video on held-out clips, measured by the evaluation network (see utils.models.evalnet),
    with the FVD-lite of a static repeated first frame for comparison."""
    torch.manual_seed(0)
    metrics = image_to_video_metrics(lambda first: generate(model, first), clips)
    return {**metrics, "fvd_lite_static_frame": static_frame_fvd_lite(clips)}
