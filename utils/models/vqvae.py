"""VQ-VAE for video clips (van den Oord, Vinyals & Kavukcuoglu 2017, "Neural Discrete
Representation Learning"): a video becomes a small grid of integers — tokens — that a transformer
can model (utils.models.videogpt).

    z_e = E(x)                             encoder output, one D-vector per latent cell
    k   = argmin_j ‖z_e − e_j‖²            the nearest of K codebook vectors e_1 … e_K: the token
    z_q = e_k,   x̂ = D(z_q)               decode from the codebook vectors
    L = ‖x − x̂‖² + ‖sg[z_e] − e_k‖² + β ‖z_e − sg[e_k]‖²      (sg: stop-gradient, β = 0.25)
argmin has no gradient. The straight-through estimator copies the decoder's gradient from z_q to
z_e: in code, z_q = z_e + (e_k − z_e).detach() — the value of e_k, the gradient of z_e. The second
term moves the codebook towards the encoder's outputs, the third ("commitment") keeps the encoder
near its codes.

The clip layout follows the causal video tokenizers of MAGVIT-v2 (Yu et al. 2024) and CogVideoX
(Yang et al. 2024): a clip has 1 + 4k frames; the first frame is tokenised on its own (as if it
were a still held for 4 frames), then each group of 4 frames becomes one latent frame. So the first
frame's tokens are exactly the tokens of the still image, and image-to-video is "continue these
tokens". Each frame is first encoded by 2D convolutions (64×64 → 8×8); a group's 4 feature maps
are stacked as channels and mixed by a convolution — space-to-depth in time.
    clip (B, 17, 1, 64, 64) → latent (B, 5, D, 8, 8) → 5 × 8 × 8 = 320 tokens
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange, reduce, repeat

from utils.blocks import ResidualBlock, down, up
from utils.data import MovingDigits
from utils.metrics import psnr
from utils.models.evalnet import benchmark
from utils.training import final_loss, fit
from utils.video import batch_field, check_batch, check_generator, check_model

FRAMES = 17          # 1 + 4 groups of 4
GROUP = 4            # frames per latent frame
LATENT_FRAMES, LATENT_SIZE = 1 + (FRAMES - 1) // GROUP, 8   # a clip's latent: 5 frames of 8 × 8 cells
CODES = 256          # K: codebook size, the transformer's vocabulary
CODE_DIM = 32        # D
COMMITMENT = 0.25    # β


def vector_quantize(z_e, codebook):
    """z_e (N, D), codebook (K, D) → z_q (N, D) with the straight-through gradient, tokens (N,),
    and the codebook + commitment loss."""
    distances = torch.cdist(z_e, codebook)                                        # (N, K)
    tokens = distances.argmin(dim=1)
    e = codebook[tokens]
    loss = F.mse_loss(e, z_e.detach()) + COMMITMENT * F.mse_loss(z_e, e.detach())
    z_q = z_e + (e - z_e).detach()
    return z_q, tokens, loss


def pad_first_frame(clip):
    """(B, 1 + 4k, ...) → (B, 4 + 4k, ...): the first frame held for a whole group."""
    return torch.cat([repeat(clip[:, :1], "b 1 ... -> b g ...", g=GROUP - 1), clip], dim=1)


def encode_groups(frame_encoder, group_encoder, clip):
    """The causal clip layout: clip (B, 1 + 4k, 1, 64, 64) in [0, 1] → (B, 1 + k, D, h, w). Each
    frame is encoded alone, then each group of 4 frames' maps (the first frame's held copies
    included) is stacked as channels and mixed."""
    check_batch(clip, "clip")
    if (clip.shape[1] - 1) % GROUP or clip.shape[2:] != (1, 64, 64):
        raise ValueError(f"clip: expected (B, 1 + {GROUP}k frames, 1, 64, 64), e.g. (B, {FRAMES}, 1, 64, 64); "
                         f"got {tuple(clip.shape)}")
    B = clip.shape[0]
    maps = frame_encoder(rearrange(pad_first_frame(clip), "b t c h w -> (b t) c h w") * 2 - 1)   # (B·T, c, h, w)
    groups = rearrange(maps, "(b t g) c h w -> (b t) (g c) h w", b=B, g=GROUP)          # (B·(1+k), 4c, h, w)
    return rearrange(group_encoder(groups), "(b t) d h w -> b t d h w", b=B)


def group_and_frame_decoders(width, hidden, channels_in):
    """The decoders of `decode_groups`: a latent frame → 4 feature maps (8 × 8) → 4 frames (64 × 64)."""
    w = width
    group_decoder = nn.Sequential(nn.Conv2d(channels_in, hidden, 3, padding=1), ResidualBlock(hidden),
                                  nn.GroupNorm(8, hidden), nn.SiLU(), nn.Conv2d(hidden, GROUP * 2 * w, 3, padding=1))
    frame_decoder = nn.Sequential(up(2 * w, 2 * w), up(2 * w, w), nn.ConvTranspose2d(w, 1, 4, stride=2, padding=1))
    return group_decoder, frame_decoder


def decode_groups(group_decoder, frame_decoder, z):
    """The inverse layout: (B, 1 + k, D, h, w) → clip (B, 1 + 4k, 1, 64, 64) in [0, 1]."""
    B = z.shape[0]
    groups = group_decoder(rearrange(z, "b t d h w -> (b t) d h w"))                  # (B·(1+k), 4c, h, w)
    maps = rearrange(groups, "(b t) (g c) h w -> (b t g) c h w", b=B, g=GROUP)
    frames = rearrange(frame_decoder(maps), "(b t) c h w -> b t c h w", b=B).sigmoid()
    return frames[:, GROUP - 1:]                                                     # drop the held copies


class VQVAE(nn.Module):
    def __init__(self, width=16, hidden=96, codes=CODES, code_dim=CODE_DIM):
        super().__init__()
        w = width
        self.frame_encoder = nn.Sequential(down(1, w), down(w, 2 * w), down(2 * w, 2 * w))     # 64 → 8
        self.group_encoder = nn.Sequential(nn.Conv2d(GROUP * 2 * w, hidden, 3, padding=1), ResidualBlock(hidden),
                                           nn.GroupNorm(8, hidden), nn.SiLU(), nn.Conv2d(hidden, code_dim, 1))
        self.codebook = nn.Parameter(torch.randn(codes, code_dim))
        self.group_decoder, self.frame_decoder = group_and_frame_decoders(w, hidden, code_dim)

    def encode(self, clip):
        """clip (B, 1 + 4k, 1, 64, 64) in [0, 1] → z_e (B, 1 + k, D, 8, 8)."""
        return encode_groups(self.frame_encoder, self.group_encoder, clip)

    def quantize(self, z_e, step=vector_quantize):
        """z_e (B, t, D, h, w) → z_q (same shape), tokens (B, t, h, w), VQ loss. `step` is the VQ step
        (lesson 04's exercise can stand in)."""
        B, t, _, h, _ = z_e.shape
        z_q, tokens, loss = step(rearrange(z_e, "b t d h w -> (b t h w) d"), self.codebook)
        return (rearrange(z_q, "(b t h w) d -> b t d h w", b=B, t=t, h=h),
                rearrange(tokens, "(b t h w) -> b t h w", b=B, t=t, h=h), loss)

    def decode(self, z_q):
        """z_q (B, 1 + k, D, 8, 8) → clip (B, 1 + 4k, 1, 64, 64) in [0, 1]."""
        return decode_groups(self.group_decoder, self.frame_decoder, z_q)

    def tokenize(self, clip):
        """clip → tokens (B, 1 + k, 8, 8), integers in [0, K)."""
        return self.quantize(self.encode(clip))[1]

    def detokenize(self, tokens):
        """tokens (B, 1 + k, 8, 8) → clip (B, 1 + 4k, 1, 64, 64)."""
        return self.decode(rearrange(self.codebook[tokens], "b t h w d -> b t d h w"))

    def forward(self, clip, step=vector_quantize):
        """clip → reconstruction, tokens, VQ loss."""
        z_q, tokens, vq_loss = self.quantize(self.encode(clip), step)
        return self.decode(z_q), tokens, vq_loss


def vqvae_loss(model, batch, used=None):
    """‖x − x̂‖² + the VQ loss. used: optional (K,) booleans, set True for the codes this batch chose."""
    clip = batch_field(batch, "video")
    reconstruction, tokens, vq_loss = model(clip)
    if used is not None:
        used[tokens.unique()] = True
    return F.mse_loss(reconstruction, clip) + vq_loss


@torch.no_grad()
def restart_dead_codes(model, clip, used):
    """Codes no encoder output chose for a while never receive a gradient again: move each of
    them onto a random encoder output of this batch (a common fix, e.g. Dhariwal et al. 2020)."""
    dead = (~used).nonzero().flatten()
    if len(dead):
        z_e = rearrange(model.encode(clip), "b t d h w -> (b t h w) d")
        model.codebook[dead] = z_e[torch.randint(len(z_e), (len(dead),), device=z_e.device)]
    return len(dead)


# ---------------------------------------------------------------------------------------------
# the recipe: `python -m utils.train vqvae`

def train(model, steps=2000, batch_size=16, lr=2e-3, seed=0, restart_every=100):
    torch.manual_seed(seed)
    clips = MovingDigits(num_frames=FRAMES, num_digits=1, split="train", length=steps * batch_size, seed=seed)
    batch_at = clips.batches(batch_size)
    device = model.codebook.device
    used = torch.zeros(model.codebook.shape[0], dtype=torch.bool, device=device)  # chosen since the last restart
    restarts = []

    def batches(step):  # every `restart_every` steps (not near the end), restart the codes nobody chose
        batch = batch_at(step)
        if step and step % restart_every == 0 and step < steps * 3 // 4:
            restarts.append(restart_dead_codes(model, batch["video"].to(device), used))
            used.zero_()
        return batch

    restart_dead_codes(model, batch_at(0)["video"].to(device), used)  # start the codebook on encoder outputs
    losses = fit(model, lambda model, batch: vqvae_loss(model, batch, used), batches, steps, lr=lr, cosine=True, desc="VQ-VAE")
    return {"recipe": {"steps": steps, "batch_size": batch_size, "lr": lr, "schedule": "cosine",
                       "loss": f"MSE + codebook + {COMMITMENT} × commitment; dead codes restarted every {restart_every} steps",
                       "data": f"MovingDigits, 1 digit, {FRAMES} frames, train split"},
            "seed": seed, "codes_restarted": sum(restarts), "final_loss": final_loss(losses, digits=5),
            "metrics": evaluate(model)}


@torch.no_grad()
def evaluate(model, clips=256):
    """Reconstruction of held-out clips: PSNR, and how many codes are in use."""
    model.eval()
    device = model.codebook.device
    held_out = benchmark(clips, num_frames=FRAMES)["video"]
    reconstructions, tokens = [], []
    for part in held_out.split(64):
        reconstruction, token, _ = model(part.to(device))
        reconstructions.append(reconstruction.float().cpu())
        tokens.append(token.cpu())
    tokens = torch.cat(tokens)
    return {"psnr_db": round(psnr(torch.cat(reconstructions), held_out), 2),
            "codes_used": int(tokens.unique().numel()), "tokens_per_clip": int(tokens[0].numel())}


@torch.no_grad()
def token_stability(model, clips, noise=0.01, generator=None):
    """How firmly the tokens pin down what a clip shows, on clips (B, 1 + 4k, 1, 64, 64):
    changed — the share of tokens that change when noise too faint to see (σ = `noise`) is added;
    background_codes — how many different codes the cells take that have no ink within two cells
    (16 px) during their group, i.e. cells that all show the same black background."""
    check_model(model, VQVAE)
    check_generator(generator)
    model.eval()
    tokens = model.tokenize(clips)
    noisy = (clips + noise * torch.randn(clips.shape, generator=generator).to(clips.device)).clamp(0, 1)
    ink = reduce(pad_first_frame(clips), "b (t g) 1 (h p) (w q) -> b t h w", "max", g=GROUP, p=8, q=8)  # per cell
    near_ink = F.max_pool2d(ink, 5, stride=1, padding=2)                                                 # (B, 1 + k, 8, 8)
    return {"changed": (model.tokenize(noisy) != tokens).float().mean().item(),
            "background_codes": tokens[near_ink < 0.05].unique().numel()}
