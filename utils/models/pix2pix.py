"""Pix2Pix (Isola, Zhu, Zhou & Efros 2017, "Image-to-Image Translation with Conditional
Adversarial Networks") used as a next-frame translator: the "image" to translate is the recent
past, the translation is the next frame.

Generator: a U-Net (Ronneberger et al. 2015) — an encoder down to 4×4, a decoder back up, and skip
connections that hand each decoder level the encoder's map of the same size, so the output can
copy the input's details and only has to change what moves. Its input is the last two frames as
two channels: one frame does not say which way a digit is going, two do.
Discriminator: a PatchGAN on (input, output) pairs: is this a plausible next frame *for this input*?
Objective, with λ = 100 as in the paper:
    G* = arg min_G max_D  L_cGAN(G, D) + λ E‖y − G(x)‖₁
    L_cGAN = E[log D(x, y)] + E[log(1 − D(x, G(x)))]
The L1 term puts the digit in the right place; the adversarial term keeps it sharp.

Rolled out — each prediction fed back as input — errors compound: the model was trained on real
frames and now reads its own slightly wrong ones. `rollout` and the lesson measure this drift.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

from utils.blocks import PatchDiscriminator, down, up
from utils.data import MovingDigits
from utils.metrics import mse
from utils.models.evalnet import benchmark, measure
from utils.models.vgan import discriminator_loss, generator_loss
from utils.training import final_losses, fit_gan
from utils.video import check_batch

CONTEXT = 2                    # frames in, as channels
L1_WEIGHT = 100.0              # λ


class UNet(nn.Module):
    """(B, C_in, 64, 64) in [0, 1] → (B, C_out, 64, 64) in [0, 1]."""

    def __init__(self, in_channels=CONTEXT, out_channels=1, width=32):
        super().__init__()
        w = width
        self.downs = nn.ModuleList([down(in_channels, w), down(w, 2 * w), down(2 * w, 4 * w), down(4 * w, 4 * w)])  # 64 → 4
        self.ups = nn.ModuleList([up(4 * w, 4 * w), up(8 * w, 2 * w), up(4 * w, w)])                                # 4 → 32
        self.out = nn.ConvTranspose2d(2 * w, out_channels, 4, stride=2, padding=1)                                  # 32 → 64

    def forward(self, x):
        skips = []
        x = x * 2 - 1
        for layer in self.downs:
            x = layer(x)
            skips.append(x)                                         # 32², 16², 8², 4²
        x = self.ups[0](x)                                          # (B, 4w, 8, 8)
        for layer, skip in zip([*self.ups[1:], self.out], skips[2::-1]):
            x = layer(torch.cat([x, skip], dim=1))                  # the encoder's map of the same size
        return x.sigmoid()


class Pix2Pix(nn.Module):
    def __init__(self, width=24):
        super().__init__()
        self.generator = UNet(CONTEXT, 1, width)
        self.discriminator = PatchDiscriminator(CONTEXT + 1, width)

    def forward(self, past):
        """past (B, 2, 1, 64, 64): the last two frames → the next frame (B, 1, 64, 64)."""
        if check_batch(past, "past").shape[1:] != (CONTEXT, 1, 64, 64):
            raise ValueError(f"past: expected the last {CONTEXT} gray 64×64 frames (B, {CONTEXT}, 1, 64, 64); got {tuple(past.shape)}")
        return self.generator(rearrange(past, "b t c h w -> b (t c) h w"))

    def judge(self, past, next_frame):
        """The PatchGAN's logits (B, 16, 16) for a next frame given the past."""
        return self.discriminator(torch.cat([rearrange(past, "b t c h w -> b (t c) h w"), next_frame], dim=1) * 2 - 1)


def train_step(gan, optimizer_g, optimizer_d, batch):
    """One step on clips of 3 frames (B, 3, 1, 64, 64): frames 0, 1 in, frame 2 to predict."""
    past, target = batch["video"][:, :CONTEXT], batch["video"][:, CONTEXT]
    fake = gan(past)

    d_loss = discriminator_loss(gan.judge(past, target), gan.judge(past, fake.detach()))
    optimizer_d.zero_grad(set_to_none=True)
    d_loss.backward()
    optimizer_d.step()

    adversarial = generator_loss(gan.judge(past, fake))
    l1 = F.l1_loss(fake, target)
    optimizer_g.zero_grad(set_to_none=True)
    (adversarial + L1_WEIGHT * l1).backward()
    optimizer_g.step()
    return {"discriminator": d_loss.item(), "generator (adversarial)": adversarial.item(), "L1": l1.item()}


@torch.no_grad()
def rollout(model, context, frames=16):
    """context (B, 2, 1, 64, 64) → clip (B, frames, 1, 64, 64) on the CPU: the two given frames,
    then predictions, each made from the two frames before it (its own, after the first)."""
    device = next(model.parameters()).device
    model.eval()
    clip = list(context.to(device).unbind(1))
    while len(clip) < frames:
        clip.append(model(torch.stack(clip[-CONTEXT:], dim=1)))
    return torch.stack(clip, dim=1).float().cpu()


def error_by_step(predicted, true):
    """MSE (OpenSTL: summed over a frame's pixels) of each predicted frame, (B, T, ...) → list."""
    return [mse(predicted[:, t], true[:, t]) for t in range(CONTEXT, true.shape[1])]


# ---------------------------------------------------------------------------------------------
# the recipe: `python -m utils.train pix2pix`

def train(gan, steps=2000, batch_size=16, lr=2e-4, seed=0):
    torch.manual_seed(seed)
    clips = MovingDigits(num_frames=CONTEXT + 1, num_digits=1, split="train", length=steps * batch_size, seed=seed)
    history = fit_gan(gan, train_step, clips.batches(batch_size), steps, lr=lr, desc="Pix2Pix")
    return {"recipe": {"steps": steps, "batch_size": batch_size, "lr": lr, "betas": [0.5, 0.999],
                       "loss": f"conditional GAN + {L1_WEIGHT:g} × L1",
                       "data": f"MovingDigits, 1 digit, {CONTEXT} frames → the next, train split"},
            "seed": seed, "final_losses": final_losses(history),
            "metrics": evaluate(gan)}


def evaluate(model, clips=256):
    """On held-out clips: one-step MSE against repeating the last frame, and the 14-step rollout
    from two frames measured by the evaluation network."""
    held_out = benchmark(clips)
    video = held_out["video"]
    device = next(model.parameters()).device
    with torch.no_grad():
        model.eval()
        past = rearrange(video.unfold(1, CONTEXT, 1)[:, :-1], "b n c h w t -> (b n) t c h w")  # every 2-frame window
        one_step = torch.cat([model(part.to(device)).float().cpu() for part in past.split(256)])
    target = rearrange(video[:, CONTEXT:], "b n c h w -> (b n) c h w")
    rolled = rollout(model, video[:, :CONTEXT])
    return {"one_step_mse": round(mse(one_step[:, None], target[:, None]), 2),
            "one_step_mse_repeat_last": round(mse(past[:, -1:], target[:, None]), 2),
            "rollout_mse_by_step": [round(e, 1) for e in error_by_step(rolled, video)],
            **{f"rollout_{k}": v for k, v in measure(rolled, held_out).items()}}
