"""Video generation by flow matching — the training objective of today's video diffusion models —
with a space-time transformer conditioned on a first frame and on a digit label.

Flow matching (Lipman et al. 2023, "Flow Matching for Generative Modeling"; rectified flow, Liu,
Gong & Liu 2023). Draw a clip x (data) and pure noise ε ~ N(0, I), and a time t ∈ [0, 1]. The
straight line between them
    x_t = t · x + (1 − t) · ε            (t = 0: noise, t = 1: data)
moves with constant velocity v = x − ε. A network v_θ(x_t, t, condition) learns that velocity:
    L = E_{x, ε, t} ‖v_θ(x_t, t, c) − (x − ε)‖²
To generate, start from noise at t = 0 and follow the learned velocity to t = 1 with a few Euler
steps, x_{t+Δt} = x_t + Δt · v_θ(x_t, t, c).

The DDPM view (Ho, Jain & Abbeel 2020; Video Diffusion Models, Ho et al. 2022). DDPM noises data
as x_t = √ᾱ_t · x + √(1 − ᾱ_t) · ε and trains a network to predict ε. It is the same family of
paths with other coefficients: here α_t = t and σ_t = 1 − t. A velocity prediction gives both
of DDPM's quantities, ε̂ = x_t − t · v̂ and x̂ = x_t + (1 − t) · v̂, so "predict the noise" and
"predict the velocity" are two parametrisations of one model. The straight path is what makes
few-step sampling work: a trajectory that is nearly straight is followed well by a few Euler steps.

Classifier-free guidance (Ho & Salimans 2021). Train with the condition dropped now and then (an
empty label, no first frame), so one network knows both v(x_t | c) and v(x_t | ∅). Sample with
    v = v(x_t | ∅) + w · (v(x_t | c) − v(x_t | ∅))
w = 1 is the plain conditional model; w > 1 pushes samples further towards the condition.

The network works in a latent space, as Stable Video Diffusion (Blattmann et al. 2023) does: a
17-frame clip is 5 × 8 × 8 × 8 = 2,560 numbers instead of 17 × 64 × 64 = 69,632 pixels, so every
step of training and sampling is small enough for a CPU. The autoencoder (LatentAutoencoder) keeps
the causal clip layout of lesson 04's VQ-VAE — the first frame is encoded on its own, so a still's
latent is exactly the first latent frame of its clip. The VQ-VAE's own latent was tried first and
failed: its empty background takes many different codes, and a flow model trained on it for 1500
steps drew scattered strokes (digit kept in 11% of frames). See LatentAutoencoder for the fix.

The network (after DiT, Peebles & Xie 2023, and the factorised attention of Latte, Ma et al.
2024): the latent is cut into 2 × 2 patches, 16 tokens per latent frame. Each block attends
within a latent frame (space), then across the 5 latent frames at each place (time), then an MLP.
The time t and the label set the scale and shift of each block's normalisation (adaLN). The
first frame is given twice, as in Stable Video Diffusion: its latent is concatenated, as extra
channels, to every latent frame (where things are), and a small CNN, max-pooled over positions,
sums it up in a vector added to the condition (what it shows; SVD uses a CLIP embedding of the
frame). With the channels alone, the model trained first (same recipe) started the digit in the
right place and moved it, but changed its shape: the given digit was kept in 11.6% of frames.
    latent (B, 5, 8, 8, 8) → tokens (B, 5, 16, C) → blocks → velocity (B, 5, 8, 8, 8)

Image-to-video keeps the given digit by naming it. A linear head on the first frame's summary
(`recognise`) learns the digit's class, and sampling conditions on the frame *and* that label,
with guidance against the unconditional model — as image-to-video systems pair the image with a
caption of it. Training has two stages, as SVD's does: stage 1 trains every condition equally
often (3000 steps); stage 2 fine-tunes for image-to-video on fresh clips (3000 steps, three
quarters of them with their first frame, plus the head's cross-entropy). Digit kept, on the
256 benchmark clips: after stage 1, frame only, 28%. After stage 2: frame only 49%, frame +
named digit 54%; guided, w = 2 / 3 / 4 / 5: 75 / 80 / 81 / 81% (FVD-lite 1.7 → 2.1); frame only
guided at w = 4, 78%; with the true label instead of the named one, 82%. The head names held-out
digits right 96% of the time.
"""
import functools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

from utils import vqvae
from utils.data import MovingDigits
from utils.metrics import psnr
from utils.svg import gaussian_kl, reparameterize

LATENT_FRAMES, LATENT_SIZE = 1 + (vqvae.FRAMES - 1) // vqvae.GROUP, 8   # 5 latent frames of 8 × 8
PATCH = 2             # latent cells per token side
CLASSES = 10
NO_LABEL = CLASSES    # the label embedding's extra row: "no label", for classifier-free guidance
DROP = 0.5            # in training, each condition is dropped with this probability
STEPS = 24            # Euler steps when sampling (the lesson measures how few are enough)
LATENT_CHANNELS = 8
KL_WEIGHT = 1e-4
FINETUNE_IMAGE_SHARE = 0.75   # stage 2 of training: the share of clips that see their first frame
RECOGNITION_WEIGHT = 0.1      # stage 2: weight of the loss that teaches the network to name the given digit
IMAGE_GUIDANCE = 4.0          # image-to-video's default guidance scale (1 … 5 measured: see above)


# ---------------------------------------------------------------------------------------------
# the latent space

class LatentAutoencoder(nn.Module):
    """Clip (B, 17, 1, 64, 64) ↔ latent (B, 5, 8, 8, 8): the VQ-VAE's causal clip layout
    (utils.vqvae: the first frame alone, then groups of 4 frames), with three changes that suit a
    diffusion model.
    1. No normalisation layers in the encoder. GroupNorm mixes statistics over the whole frame, so
       a cell's latent depends on the digit even far from it; without it, background beyond the
       encoder's reach always gets the same latent.
    2. No codebook: the latent is continuous, 8 numbers per cell, and varies smoothly near the
       digit instead of jumping between codes (the VQ-VAE gave black background cells 158
       different codes in 128 held-out clips).
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
    clip = batch["video"]
    reconstruction, mean, log_variance = model(clip)
    mean, log_variance = (rearrange(x, "b t c h w -> b (t c h w)") for x in (mean, log_variance))
    kl = gaussian_kl(mean, log_variance, torch.zeros_like(mean), torch.zeros_like(log_variance)) / mean.shape[1]
    return F.mse_loss(reconstruction, clip) + KL_WEIGHT * kl.mean()


def train_autoencoder(model, steps=3000, batch_size=16, lr=2e-3, seed=0):
    from utils.train import fit

    torch.manual_seed(seed)
    clips = MovingDigits(num_frames=vqvae.FRAMES, num_digits=1, split="train", length=steps * batch_size, seed=seed)
    losses = fit(model, autoencoder_loss, clips.batches(batch_size), steps, lr=lr, cosine=True, desc="autoencoder")
    return {"recipe": {"steps": steps, "batch_size": batch_size, "lr": lr, "schedule": "cosine",
                       "loss": f"MSE + {KL_WEIGHT} × KL(q(z|x) ‖ N(0, I)) per latent number",
                       "data": f"MovingDigits, 1 digit, {vqvae.FRAMES} frames, train split"},
            "seed": seed, "final_loss": round(sum(losses[-50:]) / 50, 5), "metrics": evaluate_autoencoder(model)}


@torch.no_grad()
def evaluate_autoencoder(model, clips=256):
    """Reconstructions (from the posterior mean) of held-out clips: PSNR, and how much of the
    given digit the evaluation network still recognises."""
    from utils.evalnet import benchmark, digit_accuracy, load_evaluator

    model.eval()
    device = next(model.parameters()).device
    held_out = benchmark(clips, num_frames=vqvae.FRAMES)
    reconstructions = torch.cat([model.decode(model.encode(part.to(device))[0]).float().cpu()
                                 for part in held_out["video"].split(64)])
    return {"psnr_db": round(psnr(reconstructions, held_out["video"]), 2),
            "digit_accuracy": round(digit_accuracy(load_evaluator(), {**held_out, "video": reconstructions}), 4)}


# ---------------------------------------------------------------------------------------------
# flow matching

def flow_matching_pair(x, noise, t):
    """The point on the straight path from noise to data at time t, and the velocity along it.
    x, noise (B, ...); t (B,) in [0, 1] → x_t (B, ...), target velocity (B, ...)."""
    t = t.view(-1, *[1] * (x.dim() - 1))
    return t * x + (1 - t) * noise, x - noise


def euler_step(x_t, velocity, t, t_next):
    """One Euler step along the velocity field, from time t to t_next."""
    return x_t + (t_next - t) * velocity


def classifier_free_guidance(v_unconditional, v_conditional, scale):
    """v(∅) + w · (v(c) − v(∅)): scale 0 ignores the condition, 1 is the plain conditional model."""
    return v_unconditional + scale * (v_conditional - v_unconditional)


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
    travel with the checkpoint: the network sees latents of unit scale."""

    def __init__(self, dim=128, depth=4, heads=4, channels=LATENT_CHANNELS, patch=PATCH):
        super().__init__()
        self.channels, self.patch = channels, patch
        patch_values = channels * patch * patch
        tokens_per_frame = (LATENT_SIZE // patch) ** 2
        self.embed = nn.Linear(2 * patch_values, dim)                  # noisy latent ++ first-frame latent
        self.space_position = nn.Parameter(torch.randn(tokens_per_frame, dim) * 0.02)
        self.time_position = nn.Parameter(torch.randn(LATENT_FRAMES, dim) * 0.02)
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
        if (T, H, W) != (LATENT_FRAMES, LATENT_SIZE, LATENT_SIZE):
            raise ValueError(f"x_t: expected (B, {LATENT_FRAMES}, D, {LATENT_SIZE}, {LATENT_SIZE}) latents; "
                             f"got {tuple(x_t.shape)}")
        given = first_latent is not None
        first = first_latent if given else torch.zeros_like(x_t[:, 0])
        inputs = torch.cat([x_t, first[:, None].expand_as(x_t)], dim=2)                # (B, T, 2D, 8, 8)
        x = self.embed(rearrange(inputs, "b t c (h p) (w q) -> b t (h w) (p q c)", p=self.patch, q=self.patch))
        x = x + self.space_position + self.time_position[:, None]                      # (B, T, N, C)
        condition = (self.time_mlp(time_embedding(t, x.shape[-1])) + self.label_embedding(labels)
                     + self.image_given(torch.full_like(labels, int(given))))           # (B, C)
        if given:
            condition = condition + self.image_encoder(first_latent)
        for block in self.blocks:
            x = block(x, condition)
        shift, scale = self.final_modulation(condition).chunk(2, dim=1)
        x = self.unembed(modulate(self.final_norm(x), shift, scale))                    # (B, T, N, p·p·D)
        return rearrange(x, "b t (h w) (p q c) -> b t c (h p) (w q)", h=H // self.patch, p=self.patch, q=self.patch)

    def recognise(self, first_latent):
        """first_latent (B, D, 8, 8) → (B, 10) logits of the digit it shows, from the same summary
        the network is conditioned on."""
        return self.digit_head(self.image_encoder(first_latent))

    def to_latent(self, z):
        """The autoencoder's latent → the unit-scale latent this network models."""
        return (z - self.latent_mean) / self.latent_std

    def from_latent(self, z):
        return z * self.latent_std + self.latent_mean


def flow_matching_loss(model, batch, generator=None, image_share=0.5, recognition_weight=0.0):
    """The flow-matching loss of a batch {"latent": (B, 5, D, 8, 8) normalised, "labels": (B,)}.
    A share `image_share` of the clips sees its first frame; each label is dropped with probability
    DROP (a clip with neither trains the unconditional model). With recognition_weight > 0 the
    network also learns to name the digit of each first frame it sees (cross-entropy).
    Times are drawn logit-normal (Esser et al. 2024): more of them in the middle, where the
    velocity is hardest to predict."""
    x, labels = batch["latent"], batch["labels"]
    B, device = x.shape[0], x.device
    noise = torch.randn(x.shape, device=device, generator=generator)
    t = torch.randn(B, device=device, generator=generator).sigmoid()
    x_t, target = flow_matching_pair(x, noise, t)
    keep_label = torch.rand(B, device=device, generator=generator) > DROP
    dropped = torch.where(keep_label, labels, torch.full_like(labels, NO_LABEL))
    # the clips with and without a first frame run as two calls (the "image given" flag is per call)
    given = round(B * image_share)
    velocity = [model(x_t[:given], t[:given], x[:given, 0], dropped[:given])] if given else []
    if given < B:
        velocity.append(model(x_t[given:], t[given:], None, dropped[given:]))
    loss = F.mse_loss(torch.cat(velocity), target)
    if recognition_weight and given:
        loss = loss + recognition_weight * F.cross_entropy(model.recognise(x[:given, 0]), labels[:given])
    return loss


@torch.no_grad()
def sample_latents(model, first_latent=None, labels=None, n=None, steps=STEPS, guidance=1.0, generator=None,
                   trajectory=False):
    """Integrate dx/dt = v from noise (t = 0) to data (t = 1) with `steps` Euler steps.
    first_latent (B, D, 8, 8) normalised, or None; labels (B,) or None; n: the batch size when
    neither is given. guidance w: classifier-free guidance against the fully unconditional
    model (w = 1: none, and half the cost). trajectory=True also returns every x_t."""
    device = next(model.parameters()).device
    B = n if first_latent is None and labels is None else len(first_latent if first_latent is not None else labels)
    no_label = torch.full((B,), NO_LABEL, dtype=torch.long, device=device)
    labels = no_label if labels is None else labels.to(device)
    shape = (B, LATENT_FRAMES, model.channels, LATENT_SIZE, LATENT_SIZE)
    x = torch.randn(shape, generator=generator).to(device)
    times = torch.linspace(0, 1, steps + 1, device=device)
    path = [x]
    model.eval()
    for i in range(steps):
        t = times[i].expand(B)
        v = model(x, t, first_latent, labels)
        if guidance != 1.0:
            v = classifier_free_guidance(model(x, t, None, no_label), v, guidance)
        x = euler_step(x, v, times[i], times[i + 1])
        path.append(x)
    return (x, path) if trajectory else x


@torch.no_grad()
def decode(model, z):
    """Unit-scale latents (B, 5, C, 8, 8) → clips (B, 16, 1, 64, 64) on the CPU (the autoencoder's
    17 frames, less the last)."""
    return load_autoencoder().to(z.device).decode(model.from_latent(z))[:, :vqvae.FRAMES - 1].float().cpu()


@torch.no_grad()
def encode_frames(model, frames):
    """Still frames (B, 1, 64, 64) → their unit-scale latents (B, C, 8, 8), the image condition."""
    if frames.dim() != 4 or frames.shape[1:] != (1, 64, 64):
        raise ValueError(f"first frames: expected (B, 1, 64, 64) gray frames in [0, 1]; got {tuple(frames.shape)}")
    device = next(model.parameters()).device
    mean, _ = load_autoencoder().to(device).encode(frames.to(device)[:, None])
    return model.to_latent(mean[:, 0])


@torch.no_grad()
def image_to_video(model, first_frames, steps=STEPS, guidance=IMAGE_GUIDANCE, generator=None):
    """first_frames (B, 1, 64, 64) → clips (B, 16, 1, 64, 64) that start from them. The network
    names the digit it sees (`recognise`) and is conditioned on the frame and that label, guided
    against the unconditional model. The first latent frame of the output is the still's own
    latent: the condition is known, not generated."""
    first = encode_frames(model, first_frames)
    digits = model.recognise(first).argmax(dim=1)
    z = sample_latents(model, first, digits, steps=steps, guidance=guidance, generator=generator)
    z[:, 0] = first
    return decode(model, z)


@torch.no_grad()
def label_to_video(model, labels, steps=STEPS, guidance=3.0, generator=None):
    """labels (B,) digit classes → clips (B, 16, 1, 64, 64) of that digit moving, from noise alone."""
    if labels.dim() != 1 or labels.dtype != torch.long or labels.min() < 0 or labels.max() >= CLASSES:
        raise ValueError(f"labels: expected a (B,) long tensor of digit classes 0…{CLASSES - 1}; "
                         f"got {tuple(labels.shape)} {labels.dtype}")
    return decode(model, sample_latents(model, labels=labels, steps=steps, guidance=guidance, generator=generator))


@functools.lru_cache(maxsize=1)
def load_autoencoder():
    """The shipped latent autoencoder (checked against its card's sha256), loaded once."""
    from utils.train import load_checkpoint

    autoencoder = LatentAutoencoder()
    load_checkpoint(autoencoder, "latent_autoencoder")
    return autoencoder


# ---------------------------------------------------------------------------------------------
# the recipe: `python -m utils.train flow_matching` (after `python -m utils.train latent_autoencoder`)

@torch.no_grad()
def encode_clips(autoencoder, n, seed=0, chunk=64):
    """n one-digit training clips → their latents (the posterior means) (n, 5, C, 8, 8) and digit labels (n,)."""
    clips = MovingDigits(num_frames=vqvae.FRAMES, num_digits=1, split="train", length=n, seed=seed)
    device = next(autoencoder.parameters()).device
    latents, labels = [], []
    for start in range(0, n, chunk):
        batch = clips.batch(min(chunk, n - start), start=start)
        latents.append(autoencoder.encode(batch["video"].to(device))[0])
        labels.append(batch["labels"][:, 0].to(device))
    return torch.cat(latents), torch.cat(labels)


def fit_latents(model, latents, labels, steps, batch_size, lr, loss, desc):
    """AdamW with a cosine schedule on batches drawn from encoded clips (latents in the
    autoencoder's scale, normalised here); return the losses."""
    from utils.train import fit

    order = torch.randperm(steps * batch_size) % len(latents)

    def batches(step):
        chosen = order[step * batch_size:(step + 1) * batch_size]
        return {"latent": model.to_latent(latents[chosen]), "labels": labels[chosen]}

    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    return fit(model, loss, batches, steps, optimizer=optimizer, cosine=True, desc=desc)


def finetune_image_to_video(model, steps=3000, batch_size=64, lr=5e-4, clips=16_000, seed=1):
    """Stage 2: fresh clips; three quarters of each batch see their first frame, and the network
    also learns to name the digit in it (`recognise`), which image_to_video then asks for."""
    torch.manual_seed(seed)
    latents, labels = encode_clips(load_autoencoder().to(next(model.parameters()).device), clips, seed)
    loss = functools.partial(flow_matching_loss, image_share=FINETUNE_IMAGE_SHARE, recognition_weight=RECOGNITION_WEIGHT)
    return fit_latents(model, latents, labels, steps, batch_size, lr, loss, "image-to-video fine-tuning")


def train(model, steps=3000, finetune_steps=3000, batch_size=64, lr=1e-3, finetune_lr=5e-4, clips=16_000, seed=0):
    """Two stages, as video models are trained (Stable Video Diffusion pretrains, then fine-tunes
    for image-to-video): stage 1 trains every condition equally often; stage 2 is
    finetune_image_to_video."""
    from utils.train import CHECKPOINTS, sha256_file

    torch.manual_seed(seed)
    latents, labels = encode_clips(load_autoencoder().to(next(model.parameters()).device), clips, seed)
    model.latent_mean.copy_(latents.mean(dim=(0, 1, 3, 4))[:, None, None])
    model.latent_std.copy_(latents.std(dim=(0, 1, 3, 4))[:, None, None])
    losses = fit_latents(model, latents, labels, steps, batch_size, lr, flow_matching_loss, "flow matching")
    finetune_losses = finetune_image_to_video(model, finetune_steps, batch_size, finetune_lr, clips, seed + 1)
    return {"recipe": {"stage 1": {"steps": steps, "batch_size": batch_size, "lr": lr, "schedule": "cosine",
                                   "optimizer": "AdamW, weight decay 0.01",
                                   "loss": f"flow matching (velocity MSE), logit-normal t; half the clips see their first frame; "
                                           f"labels dropped with p = {DROP}",
                                   "final_loss": round(sum(losses[-50:]) / 50, 4)},
                       "stage 2": {"steps": finetune_steps, "batch_size": batch_size, "lr": finetune_lr, "schedule": "cosine",
                                   "loss": f"as stage 1, with {FINETUNE_IMAGE_SHARE:.0%} of the clips seeing their first frame, "
                                           f"+ {RECOGNITION_WEIGHT} × cross-entropy of the first frame's digit",
                                   "final_loss": round(sum(finetune_losses[-50:]) / 50, 4)},
                       "data": f"{clips} MovingDigits clips per stage (1 digit, {vqvae.FRAMES} frames, train split, "
                               f"seeds {seed} and {seed + 1}) in the latent autoencoder's space"},
            "autoencoder": {"checkpoint": "latent_autoencoder", "sha256": sha256_file(CHECKPOINTS / "latent_autoencoder.safetensors")},
            "sampling": f"{STEPS} Euler steps; image-to-video with the recognised digit as label, guidance {IMAGE_GUIDANCE:g}; "
                        f"label-to-video with guidance 3 (and 1 for comparison)",
            "seed": seed, "metrics": evaluate(model)}


@torch.no_grad()
def validation_loss(model, batch, seed=0):
    """The flow-matching loss on a fixed batch with fixed noise, times and dropped conditions:
    comparable across models and training steps."""
    model.eval()
    return flow_matching_loss(model, batch, generator=torch.Generator(batch["latent"].device).manual_seed(seed)).item()


def training_flops(model, steps, batch_size):
    """Training compute by the usual rule (Kaplan et al. 2020): ≈ 6 × parameters × tokens seen
    (2 for the forward pass, 4 for the backward)."""
    tokens = LATENT_FRAMES * (LATENT_SIZE // model.patch) ** 2
    return 6 * sum(p.numel() for p in model.parameters()) * tokens * batch_size * steps


def scaling_curve(dim, train_set, held_out_set, steps, batch_size=16, points=4, depth=2, lr=2e-3, seed=0):
    """Train a SpaceTimeTransformer of width `dim` on {"latent" (unit scale), "labels"} for
    `steps` steps; at `points` evenly spaced moments, return (training FLOPs, held-out loss)."""
    from utils.train import fit

    torch.manual_seed(seed)
    device = train_set["latent"].device
    model = SpaceTimeTransformer(dim=dim, depth=depth).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    n = len(train_set["latent"])
    batch_at = lambda step: {key: value[torch.arange(step * batch_size, (step + 1) * batch_size) % n] for key, value in train_set.items()}
    curve, done = [], 0
    for point in range(1, points + 1):
        until = steps * point // points
        fit(model, flow_matching_loss, lambda step: batch_at(done + step), until - done, optimizer=optimizer, live_plot=False,
            desc=f"width {dim}")
        done = until
        curve.append((training_flops(model, done, batch_size), validation_loss(model, held_out_set)))
    return curve


def label_agreement(videos, labels):
    """The fraction of clips whose digit, by the evaluation network's vote over frames, is the requested label."""
    from utils.evalnet import analyse, load_evaluator

    digits, _, _ = analyse(load_evaluator(), videos)
    return (digits.mode(dim=1).values == labels).float().mean().item()


def evaluate(model, clips=256, guidance=3.0):
    """Image-to-video on held-out first frames (the lesson 03 benchmark), how often the network
    names their digit right (digit_recognised), and label-to-video without and with guidance: does
    the evaluation network see the requested digit? (label_fvd_lite: of the guided label-to-video clips.)"""
    from utils.evalnet import benchmark, image_to_video_metrics, measure

    generator = torch.Generator().manual_seed(0)
    metrics = image_to_video_metrics(lambda first: image_to_video(model, first, generator=generator), clips)
    held_out = benchmark(clips)
    with torch.no_grad():
        named = model.recognise(encode_frames(model, held_out["video"][:, 0])).argmax(dim=1).cpu()
    metrics["digit_recognised"] = round((named == held_out["labels"][:, 0]).float().mean().item(), 4)
    static = held_out["video"][:, :1].expand_as(held_out["video"])
    labels = torch.arange(clips) % CLASSES
    agreement = {}
    for scale in (1.0, guidance):
        videos = torch.cat([label_to_video(model, part, guidance=scale, generator=generator) for part in labels.split(64)])
        agreement[scale] = round(label_agreement(videos, labels), 4)
    return {**metrics, "fvd_lite_static_frame": measure(static, held_out)["fvd_lite"],
            "label_agreement_no_guidance": agreement[1.0], f"label_agreement_guidance_{guidance:g}": agreement[guidance],
            "label_fvd_lite": measure(videos, held_out)["fvd_lite"]}
