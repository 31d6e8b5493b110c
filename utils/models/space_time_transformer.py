"""The space-time transformer of lesson 07: v_θ(x_t, t, first frame, label), the velocity that
utils.models.flow_matching trains and samples.

After DiT (Peebles & Xie 2023) and the factorised attention of Latte (Ma et al. 2024): the latent
is cut into 2 × 2 patches, 16 tokens per latent frame. Each block attends within a latent frame
(space), then across the 5 latent frames at each place (time), then an MLP — per clip
5 · 16² + 16 · 5² = 1,680 query-key pairs instead of 80² = 6,400 for full attention. The time t
and the label set the scale, shift and gate of each block's normalisation (adaLN-Zero):
    h = x + gate · f(LayerNorm(x) · (1 + scale) + shift),   (shift, scale, gate) = Linear(condition)
The first frame is given twice, as in Stable Video Diffusion (Blattmann et al. 2023): its latent is
concatenated, as extra channels, to every latent frame (where things are), and a small CNN,
max-pooled over positions, sums it up in a vector added to the condition (what it shows; SVD uses
a CLIP embedding of the frame).
    latent (B, 5, 8, 8, 8) → tokens (B, 5, 16, C) → blocks → velocity (B, 5, 8, 8, 8)
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

from utils.models import vqvae
from utils.models.latent_autoencoder import LATENT_CHANNELS

LATENT_FRAMES, LATENT_SIZE = vqvae.LATENT_FRAMES, vqvae.LATENT_SIZE   # 5 latent frames of 8 × 8
PATCH = 2             # latent cells per token side
CLASSES = 10
NO_LABEL = CLASSES    # the label embedding's extra row: "no label", for classifier-free guidance


def time_embedding(t, dim):
    """t (B,) in [0, 1] → (B, dim) sines and cosines of t at geometric frequencies (Vaswani et al. 2017)."""
    frequencies = torch.exp(-math.log(10_000) * torch.arange(dim // 2, device=t.device) / (dim // 2))
    angles = 1000 * t[:, None] * frequencies                                        # (B, dim/2)
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class Attention(nn.Module):
    """Multi-head self-attention over the second axis of (B, n, C), no mask: every token sees all."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x):
        q, k, v = rearrange(self.qkv(x), "b n (three h d) -> three b h n d", three=3, h=self.heads)
        return self.out(rearrange(F.scaled_dot_product_attention(q, k, v), "b h n d -> b n (h d)"))


def modulate(x, shift, scale):
    """adaLN: a LayerNorm without its own parameters, scaled and shifted by the condition.
    x (B, T, N, C), shift and scale (B, C)."""
    return x * (1 + scale[:, None, None]) + shift[:, None, None]


class SpaceTimeBlock(nn.Module):
    """Attention within each latent frame, attention across latent frames at each place, MLP —
    each as x + gate · f(modulate(norm(x))), with shift, scale and gate computed from the condition."""

    def __init__(self, dim, heads):
        super().__init__()
        self.norm = nn.LayerNorm(dim, elementwise_affine=False)
        self.space, self.time = Attention(dim, heads), Attention(dim, heads)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, 9 * dim))
        nn.init.zeros_(self.modulation[1].weight)   # every block starts as the identity (DiT's "adaLN-Zero")
        nn.init.zeros_(self.modulation[1].bias)

    def forward(self, x, condition):
        """x (B, T, N, C) tokens, condition (B, C) → (B, T, N, C)."""
        B, T = x.shape[:2]
        shift1, scale1, gate1, shift2, scale2, gate2, shift3, scale3, gate3 = self.modulation(condition).chunk(9, dim=1)
        h = rearrange(modulate(self.norm(x), shift1, scale1), "b t n c -> (b t) n c")
        x = x + gate1[:, None, None] * rearrange(self.space(h), "(b t) n c -> b t n c", b=B)
        h = rearrange(modulate(self.norm(x), shift2, scale2), "b t n c -> (b n) t c")
        x = x + gate2[:, None, None] * rearrange(self.time(h), "(b n) t c -> b t n c", b=B)
        return x + gate3[:, None, None] * self.mlp(modulate(self.norm(x), shift3, scale3))


class SpaceTimeTransformer(nn.Module):
    """v_θ(x_t, t, first frame, label): the velocity of a noisy latent clip.

    The latent statistics (per-channel mean and std over training clips) are buffers, so they
    travel with the checkpoint: the network sees latents of unit scale. `no_label` is the label
    that means "none" (utils.models.caption_to_video's sibling conditions on captions instead)."""

    no_label = NO_LABEL

    def __init__(self, dim=128, depth=4, heads=4, channels=LATENT_CHANNELS, patch=PATCH, frames=LATENT_FRAMES,
                 size=LATENT_SIZE):
        super().__init__()
        self.channels, self.patch, self.frames, self.size = channels, patch, frames, size
        patch_values = channels * patch * patch
        tokens_per_frame = (size // patch) ** 2
        self.embed = nn.Linear(2 * patch_values, dim)                  # noisy latent ++ first-frame latent
        self.space_position = nn.Parameter(torch.randn(tokens_per_frame, dim) * 0.02)
        self.time_position = nn.Parameter(torch.randn(frames, dim) * 0.02)
        self.time_mlp = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.label_embedding = nn.Embedding(CLASSES + 1, dim)           # + "no label"
        self.image_given = nn.Embedding(2, dim)                         # whether a first frame is given
        self.image_encoder = nn.Sequential(nn.Conv2d(channels, dim, 3, padding=1), nn.SiLU(),  # what the first frame shows,
                                           nn.Conv2d(dim, dim, 3, padding=1), nn.AdaptiveMaxPool2d(1),  # wherever it is
                                           nn.Flatten(), nn.Linear(dim, dim))
        self.blocks = nn.ModuleList([SpaceTimeBlock(dim, heads) for _ in range(depth)])
        self.final_norm = nn.LayerNorm(dim, elementwise_affine=False)
        self.final_modulation = nn.Sequential(nn.SiLU(), nn.Linear(dim, 2 * dim))
        self.unembed = nn.Linear(dim, patch_values)
        for layer in (self.final_modulation[1], self.unembed):          # the first prediction is v = 0
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.register_buffer("latent_mean", torch.zeros(channels, 1, 1))
        self.register_buffer("latent_std", torch.ones(channels, 1, 1))
        self.digit_head = nn.Linear(dim, CLASSES)                       # names the digit the first frame shows

    def forward(self, x_t, t, first_latent, labels):
        """x_t (B, 5, D, 8, 8) noisy latent; t (B,); first_latent (B, D, 8, 8), or None when no clip
        of the batch is given its first frame; labels (B,), NO_LABEL where none → velocity (B, 5, D, 8, 8)."""
        B, T, D, H, W = x_t.shape
        if (T, D, H, W) != (self.frames, self.channels, self.size, self.size):
            raise ValueError(f"x_t: expected (B, {self.frames}, {self.channels}, {self.size}, {self.size}) latents; "
                             f"got {tuple(x_t.shape)}")
        given = first_latent is not None
        first = first_latent if given else torch.zeros_like(x_t[:, 0])
        inputs = torch.cat([x_t, first[:, None].expand_as(x_t)], dim=2)                # (B, T, 2D, 8, 8)
        x = self.embed(rearrange(inputs, "b t c (h p) (w q) -> b t (h w) (p q c)", p=self.patch, q=self.patch))
        x = x + self.space_position + self.time_position[:, None]                      # (B, T, N, C)
        condition = (self.time_mlp(time_embedding(t, x.shape[-1])) + self.embed_labels(labels)
                     + self.image_given(torch.full((B,), int(given), device=x_t.device)))   # (B, C)
        if given:
            condition = condition + self.image_encoder(first_latent)
        for block in self.blocks:
            x = block(x, condition)
        shift, scale = self.final_modulation(condition).chunk(2, dim=1)
        x = self.unembed(modulate(self.final_norm(x), shift, scale))                    # (B, T, N, p·p·D)
        return rearrange(x, "b t (h w) (p q c) -> b t c (h p) (w q)", h=H // self.patch, p=self.patch, q=self.patch)

    def embed_labels(self, labels):
        """labels (B,) → (B, C): what the condition adds for the label."""
        return self.label_embedding(labels)

    def check_labels(self, labels):
        """labels (B,) long: digit classes 0…9, NO_LABEL for none; or a clear error."""
        if labels.ndim != 1 or labels.numel() == 0 or not 0 <= labels.min() <= labels.max() <= NO_LABEL:
            raise ValueError(f"labels: expected (B,) digit classes 0…{CLASSES - 1}, or {NO_LABEL} for none; got shape "
                             f"{tuple(labels.shape)} with values {labels.unique().tolist()[:12]}")

    def recognise(self, first_latent):
        """first_latent (B, D, 8, 8) → (B, 10) logits of the digit it shows, from the same summary
        the network is conditioned on."""
        return self.digit_head(self.image_encoder(first_latent))

    @torch.no_grad()
    def set_latent_statistics(self, latents):
        """Record the per-channel mean and std of training latents (N, T, D, H, W)."""
        self.latent_mean.copy_(latents.mean(dim=(0, 1, 3, 4))[:, None, None])
        self.latent_std.copy_(latents.std(dim=(0, 1, 3, 4))[:, None, None])

    def to_latent(self, z):
        """The autoencoder's latent → the unit-scale latent this network models."""
        return (z - self.latent_mean) / self.latent_std

    def from_latent(self, z):
        return z * self.latent_std + self.latent_mean
