"""A continuous latent space for video: the autoencoder lesson 07's flow-matching model works in.

A 17-frame clip becomes 5 × 8 × 8 × 8 = 2,560 numbers instead of 17 × 64 × 64 = 69,632 pixels, as
Stable Video Diffusion (Blattmann et al. 2023) works in the latent space of an autoencoder, so every
step of training and sampling is small enough for a CPU. The autoencoder keeps the causal clip
layout of lesson 04's VQ-VAE (utils.models.vqvae): the first frame is encoded on its own, so a
still's latent is exactly the first latent frame of its clip. Unlike the VQ-VAE it has no
codebook: a variational autoencoder (Kingma & Welling 2014) with a light KL term, as in Stable
Diffusion's autoencoder (Rombach et al. 2022),
    L = ‖x̂ − x‖² + β · KL(q(z | x) ‖ N(0, I)),   β = KL_WEIGHT (per latent number).
    clip (B, 17, 1, 64, 64) → encoder → mean, log σ² (B, 5, 8, 8, 8) → z → decoder → clip
"""
import functools

import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

from utils.checkpoints import load_checkpoint
from utils.data import MovingDigits
from utils.metrics import psnr
from utils.models import vqvae
from utils.models.evalnet import benchmark, digit_accuracy, load_evaluator
from utils.models.svg import gaussian_kl, reparameterize
from utils.training import final_loss, fit
from utils.video import batch_field

LATENT_CHANNELS = 8
KL_WEIGHT = 1e-4


class LatentAutoencoder(nn.Module):
    """Clip (B, 17, 1, 64, 64) ↔ latent (B, 5, 8, 8, 8): the VQ-VAE's causal clip layout
    (utils.models.vqvae: the first frame alone, then groups of 4 frames), with three changes that suit a
    diffusion model.
    1. No normalisation layers in the encoder. GroupNorm mixes statistics over the whole frame, so
       a cell's latent depends on the digit even far from it; without it, background beyond the
       encoder's reach always gets the same latent.
    2. No codebook: the latent is continuous, 8 numbers per cell, and varies smoothly near the
       digit instead of jumping between codes (a VQ-VAE gives the same black background many
       different codes: the cards' notes count them).
    3. A light KL term towards N(0, I), as in Stable Diffusion's autoencoder (Rombach et al. 2022),
       with lesson 04's `reparameterize` and `gaussian_kl`: it bounds the latent's scale and makes
       the decoder tolerate small errors in what it is given."""

    def __init__(self, width=16, hidden=128, channels=LATENT_CHANNELS):
        super().__init__()
        w = width
        self.frame_encoder = nn.Sequential(nn.Conv2d(1, w, 4, 2, 1), nn.SiLU(), nn.Conv2d(w, 2 * w, 4, 2, 1), nn.SiLU(),
                                           nn.Conv2d(2 * w, 2 * w, 4, 2, 1), nn.SiLU())                      # 64 → 8
        self.group_encoder = nn.Sequential(nn.Conv2d(vqvae.GROUP * 2 * w, hidden, 3, padding=1), nn.SiLU(),
                                           nn.Conv2d(hidden, hidden, 3, padding=1), nn.SiLU(),
                                           nn.Conv2d(hidden, 2 * channels, 1))                                 # mean, log σ²
        # the VQ-VAE's decoder: it may normalise, what matters for the generator is a clean latent
        self.group_decoder, self.frame_decoder = vqvae.group_and_frame_decoders(w, hidden, channels)
        # start from little posterior noise (σ ≈ 0.05), close to a plain autoencoder; the KL term
        # then raises σ where that costs the reconstruction little
        nn.init.constant_(self.group_encoder[-1].bias[channels:], -6.0)

    def encode(self, clip):
        """clip (B, 1 + 4k, 1, 64, 64) in [0, 1] → mean, log σ² (B, 1 + k, C, 8, 8) of q(z | clip)."""
        return vqvae.encode_groups(self.frame_encoder, self.group_encoder, clip).chunk(2, dim=2)

    def decode(self, z):
        """z (B, 1 + k, C, 8, 8) → clip (B, 1 + 4k, 1, 64, 64) in [0, 1]."""
        return vqvae.decode_groups(self.group_decoder, self.frame_decoder, z)

    def forward(self, clip):
        mean, log_variance = self.encode(clip)
        return self.decode(reparameterize(mean, log_variance)), mean, log_variance


def autoencoder_loss(model, batch):
    """Reconstruction MSE + KL_WEIGHT × KL(q(z | clip) ‖ N(0, I)) per latent number."""
    clip = batch_field(batch, "video")
    reconstruction, mean, log_variance = model(clip)
    mean, log_variance = (rearrange(x, "b t c h w -> b (t c h w)") for x in (mean, log_variance))
    kl = gaussian_kl(mean, log_variance, torch.zeros_like(mean), torch.zeros_like(log_variance)) / mean.shape[1]
    return F.mse_loss(reconstruction, clip) + KL_WEIGHT * kl.mean()


def train(model, steps=3000, batch_size=16, lr=2e-3, seed=0):
    torch.manual_seed(seed)
    clips = MovingDigits(num_frames=vqvae.FRAMES, num_digits=1, split="train", length=steps * batch_size, seed=seed)
    losses = fit(model, autoencoder_loss, clips.batches(batch_size), steps, lr=lr, cosine=True, desc="autoencoder")
    return {"recipe": {"steps": steps, "batch_size": batch_size, "lr": lr, "schedule": "cosine",
                       "loss": f"MSE + {KL_WEIGHT} × KL(q(z|x) ‖ N(0, I)) per latent number",
                       "data": f"MovingDigits, 1 digit, {vqvae.FRAMES} frames, train split"},
            "seed": seed, "final_loss": final_loss(losses, digits=5), "metrics": evaluate(model)}


@torch.no_grad()
def evaluate(model, clips=256):
    """Reconstructions (from the posterior mean) of held-out clips: PSNR, and how much of the
    given digit the evaluation network still recognises."""
    model.eval()
    device = next(model.parameters()).device
    held_out = benchmark(clips, num_frames=vqvae.FRAMES)
    reconstructions = torch.cat([model.decode(model.encode(part.to(device))[0]).float().cpu()
                                 for part in held_out["video"].split(64)])
    return {"psnr_db": round(psnr(reconstructions, held_out["video"]), 2),
            "digit_accuracy": round(digit_accuracy(load_evaluator(), {**held_out, "video": reconstructions}), 4)}


@functools.lru_cache(maxsize=1)
def load_autoencoder():
    """The shipped latent autoencoder (checked against its card's sha256), loaded once."""
    autoencoder = LatentAutoencoder()
    load_checkpoint(autoencoder, "latent_autoencoder")
    return autoencoder
