"""VideoGPT (Yan, Zhang, Abbeel & Srinivas 2021, "VideoGPT: Video Generation using VQ-VAE and
Transformers"): a GPT over the tokens of a VQ-VAE (utils.models.vqvae).

A clip is 5 × 8 × 8 = 320 tokens, read in raster order (latent frame, row, column). The
transformer (Vaswani et al. 2017; GPT, Radford et al. 2018) learns
    p(s) = Π_i p(s_i | s_<i)
and is trained by cross-entropy on the next token. Causal self-attention enforces the "< i": in
    Attention(Q, K, V) = softmax(Q Kᵀ / √d + M) V,     M_ij = 0 if j ≤ i, −∞ otherwise,
token i cannot look at later tokens, so one forward pass trains all 320 predictions at once.

Image-to-video: the first 64 tokens are the first frame's (the VQ-VAE tokenises it on its own), so
generating a clip from a still is continuing its tokens: encode the still, sample tokens 64…319
one at a time, decode. Sampling keeps each layer's keys and values (a "KV cache"), so each new
token costs one token's worth of computation. top_k keeps the k most likely tokens, temperature
flattens (> 1) or sharpens (< 1) the distribution.
VideoGPT itself conditions on frames through cross-attention to a ResNet's features; here the
frame's own tokens are the condition, as in later token-based video models.

Result. The shipped prior, trained on a CPU, moves the digit (its clips beat a static frame on
FVD-lite) but does not keep the digit's shape: the evaluation network recognises the given digit in
about one generated frame in ten (the card's identity_kept), far below the course's bar of 80%. The
same prior trained longer on a GPU kept it in 54% of frames, and wider, deeper priors in about 60% (the
card's scale_runs; GPU_RECIPE below).
What else was tried — tokenizers whose decoder sees the first frame, a label, a normalisation-free
tokenizer, a k-means++ codebook — is in the model card's notes, each with its measurements.
"""
import functools
import math
import os
import shutil

import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

from utils.checkpoints import CHECKPOINTS, load_checkpoint, sha256_file
from utils.data import MovingDigits
from utils.models import vqvae
from utils.models.evalnet import benchmark, image_to_video_metrics, static_frame_fvd_lite
from utils.training import final_loss, fit, rank_and_size, training_compute
from utils.video import batch_field, check_count, check_frames, check_model, check_positive, describe

LATENT_FRAMES, LATENT_SIZE = vqvae.LATENT_FRAMES, vqvae.LATENT_SIZE
TOKENS_PER_FRAME = LATENT_SIZE * LATENT_SIZE      # 64: the first frame's tokens, the condition
SEQUENCE = LATENT_FRAMES * TOKENS_PER_FRAME       # 320


def causal_mask(n):
    """(n, n) booleans, True where query i may attend to key j, i.e. j ≤ i."""
    return torch.ones(n, n, dtype=torch.bool).tril()


class SelfAttention(nn.Module):
    """Multi-head causal self-attention, with a key–value cache for sampling one token at a time."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

    def forward(self, x, cache=None, mask_fn=causal_mask):
        """x (B, n, C) → (B, n, C). With a cache (a dict), the keys and values of earlier calls
        (up to SEQUENCE tokens in all) are kept and attended to: x then holds only the new tokens.
        mask_fn(n) → (n, n) booleans, True where a query may see a key (lesson 04's exercise can stand in)."""
        q, k, v = rearrange(self.qkv(x), "b n (three h d) -> three b h n d", three=3, h=self.heads)
        if cache is not None:
            if "k" not in cache:  # room for a whole clip: each call writes in place instead of copying
                room = (*k.shape[:2], SEQUENCE, k.shape[3])                           # (B, h, 320, d)
                cache.update(k=k.new_empty(room), v=v.new_empty(room), length=0)
            start, end = cache["length"], cache["length"] + k.shape[2]
            cache["k"][:, :, start:end], cache["v"][:, :, start:end] = k, v
            cache["length"] = end
            k, v = cache["k"][:, :, :end], cache["v"][:, :, :end]
        n_new, n_all = q.shape[2], k.shape[2]
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])                  # (B, h, n_new, n_all)
        if n_new > 1:  # a single new token (sampling) comes last and may see every key
            allowed = mask_fn(n_all).to(x.device)[n_all - n_new:]                    # the new tokens' rows
            scores = scores.masked_fill(~allowed, float("-inf"))
        attention = scores.softmax(dim=-1)
        return self.out(rearrange(attention @ v, "b h n d -> b n (h d)"))


class Block(nn.Module):
    """Pre-norm transformer block: x + attention(norm(x)), then x + MLP(norm(x))."""

    def __init__(self, dim, heads):
        super().__init__()
        self.norm1, self.attention = nn.LayerNorm(dim), SelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x, cache=None, mask_fn=causal_mask):
        x = x + self.attention(self.norm1(x), cache, mask_fn)
        return x + self.mlp(self.norm2(x))


class VideoGPT(nn.Module):
    """The prior over a clip's tokens. Its tokenizer (a VQVAE) is a separate checkpoint."""

    def __init__(self, codes=vqvae.CODES, dim=128, layers=4, heads=4):
        super().__init__()
        self.token_embedding = nn.Embedding(codes, dim)
        self.position_embedding = nn.Parameter(torch.zeros(SEQUENCE, dim))
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(layers)])
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, codes, bias=False)
        nn.init.normal_(self.position_embedding, std=0.02)

    def forward(self, tokens, caches=None, mask_fn=causal_mask):
        """tokens (B, n) → next-token logits (B, n, K). With caches (one dict per block), tokens
        are the new ones, placed after those already cached. mask_fn: see SelfAttention."""
        start = caches[0].get("length", 0) if caches else 0
        x = self.token_embedding(tokens) + self.position_embedding[start:start + tokens.shape[1]]
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i], mask_fn)
        return self.head(self.norm(x))


def next_token_loss(model, batch, mask_fn=causal_mask):
    """Cross-entropy of tokens 64…319 given all tokens before them (the first frame's are given)."""
    tokens = batch_field(batch, "tokens")                                          # (B, 320)
    if not (isinstance(tokens, torch.Tensor) and tokens.ndim == 2 and tokens.shape[1] == SEQUENCE):
        hint = " A clip's tokens as a grid? Flatten them: tokens.flatten(1)." if isinstance(tokens, torch.Tensor) and tokens.ndim > 2 else ""
        raise ValueError(f"batch['tokens']: expected (B, {SEQUENCE}) token ids per clip; got {describe(tokens)}.{hint}")
    logits = model(tokens[:, :-1], mask_fn=mask_fn)[:, TOKENS_PER_FRAME - 1:]      # predictions of 64…319
    return F.cross_entropy(rearrange(logits, "b n k -> (b n) k"), tokens[:, TOKENS_PER_FRAME:].flatten())


@torch.no_grad()
def sample(model, prefix, temperature=1.0, top_k=None, generator=None):
    """prefix (B, n0) tokens → (B, SEQUENCE) tokens, one new token at a time with a KV cache."""
    if not (isinstance(prefix, torch.Tensor) and prefix.ndim == 2 and prefix.dtype == torch.long
            and 0 < prefix.shape[1] < SEQUENCE):
        raise ValueError(f"prefix: expected (B, n) long tokens with 0 < n < {SEQUENCE}; got {describe(prefix)}")
    codes = model.token_embedding.num_embeddings
    if prefix.min() < 0 or prefix.max() >= codes:
        raise ValueError(f"prefix: expected codebook indices 0 … {codes - 1}; got values in "
                         f"[{prefix.min().item()}, {prefix.max().item()}]")
    check_positive(temperature, "temperature", "a sampling temperature")
    if top_k is not None and check_count(top_k, "top_k", meaning="None (no cut) or how many tokens to keep") > codes:
        raise ValueError(f"top_k: expected at most {codes}, the size of the codebook; got {top_k}")
    model.eval()
    caches = [{} for _ in model.blocks]
    tokens, new = prefix, prefix
    while tokens.shape[1] < SEQUENCE:
        logits = model(new, caches)[:, -1] / temperature                            # (B, K)
        if top_k is not None:
            kth = logits.topk(top_k, dim=-1).values[:, -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        probabilities = logits.float().softmax(dim=-1)
        new = torch.multinomial(probabilities.cpu(), 1, generator=generator).to(tokens.device)
        tokens = torch.cat([tokens, new], dim=1)
    return tokens


@torch.no_grad()
def clip_tokens(tokenizer, video):
    """video (B, T, 1, 64, 64) on the tokenizer's device → its tokens (B, t·h·w) in raster order."""
    return rearrange(tokenizer.tokenize(video), "b t h w -> b (t h w)")


@torch.no_grad()
def generate(model, tokenizer, first_frames, temperature=1.0, top_k=16, generator=None):
    """first_frames (B, 1, 64, 64) → clips (B, 16, 1, 64, 64) on the CPU: tokenise the still,
    continue its tokens, decode. (The tokenizer's clips have 17 frames; the course's have 16.)"""
    check_model(model, VideoGPT)
    check_model(tokenizer, vqvae.VQVAE, "tokenizer")
    check_frames(first_frames)
    device = next(model.parameters()).device
    tokenizer.to(device).eval()
    first = first_frames.to(device)[:, None]                                        # (B, 1, 1, 64, 64)
    prefix = clip_tokens(tokenizer, first)                                          # (B, 64)
    tokens = sample(model, prefix, temperature, top_k, generator)
    grid = rearrange(tokens, "b (t h w) -> b t h w", t=LATENT_FRAMES, h=LATENT_SIZE)
    return tokenizer.detokenize(grid)[:, :vqvae.FRAMES - 1].float().cpu()


@functools.lru_cache(maxsize=1)
def load_tokenizer():
    """The shipped VQ-VAE (checked against its card's sha256), loaded once."""
    tokenizer = vqvae.VQVAE()
    load_checkpoint(tokenizer, "vqvae")
    return tokenizer


# ---------------------------------------------------------------------------------------------
# the recipes: `python -m utils.train videogpt` (after `python -m utils.train vqvae`) trains with the
# CPU recipe; with `--device cuda` (also under torchrun) with the GPU recipe: the same model, a larger
# batch, more steps and more clips, and a held-out report every `report_every` steps.

CPU_RECIPE = {"steps": 2000, "batch_size": 16, "lr": 1e-3, "clips": 12_000}
# The GPU run trains for a fixed time, not a fixed number of steps: what a step of batch 256 costs
# depends on the GPU (on one H100, 7,943 steps of batch 64 took 5.3 minutes: the card's scale_runs),
# and a device call limited to ten minutes must end, evaluated and saved, within them. The cosine runs along
# the six minutes; 20,000 steps is only an upper bound. 48,000 clips: fewer repeats of each clip.
GPU_RECIPE = {"steps": 20_000, "wall_budget_s": 360, "batch_size": 256, "lr": 1e-3, "clips": 48_000,
              "report_every": 1000}


def clip_workers(chunk=64, most=8):
    """How many processes may draw training clips for `tokenize_clips`. Each hands its chunks over
    through /dev/shm, up to two at a time, while this process tokenises a third; a container may
    keep /dev/shm small (Docker's default is 64 MB), and where it cannot hold that, the clips are
    drawn in this process (0)."""
    try:
        room = shutil.disk_usage("/dev/shm").free
    except OSError:                                   # no /dev/shm: not Linux
        return 0
    chunk_bytes = chunk * vqvae.FRAMES * 64 * 64 * 4  # float32 clips of 64 × 64
    return int(min(most, os.cpu_count() or 1, room // (3 * chunk_bytes)))


@torch.no_grad()
def tokenize_clips(tokenizer, n, seed=0, chunk=64, workers=0):
    """n training clips → tokens (n, 320). workers: processes drawing the clips (0: this one)."""
    check_model(tokenizer, vqvae.VQVAE, "tokenizer")
    clips = MovingDigits(num_frames=vqvae.FRAMES, num_digits=1, split="train", length=n, seed=seed)
    device = tokenizer.codebook.device
    return torch.cat([clip_tokens(tokenizer, batch["video"].to(device)).cpu()
                      for batch in torch.utils.data.DataLoader(clips, batch_size=chunk, num_workers=workers)])


@torch.no_grad()
def held_out_report(model, clips=64):
    """How training is going on clips it never sees: the next-token loss on held-out clips, and
    identity kept and FVD-lite of image-to-video from held-out first frames."""
    tokenizer = load_tokenizer()
    device = next(model.parameters()).device
    held_out = benchmark(clips, num_frames=vqvae.FRAMES)["video"].to(tokenizer.codebook.device)
    tokens = clip_tokens(tokenizer, held_out).to(device)
    metrics = sampled_metrics(model, clips)
    return {"held_out_loss": round(next_token_loss(model, {"tokens": tokens}).item(), 4),
            "identity_kept": metrics["identity_kept"], "fvd_lite": metrics["fvd_lite"]}


def training_flops(model, steps, batch_size):
    """Training FLOPs of `steps` steps of `batch_size` clips of 319 input tokens (`training_compute`)."""
    return training_compute(sum(p.numel() for p in model.parameters()), (SEQUENCE - 1) * batch_size * steps)


def recipe_for(device):
    """"gpu" on CUDA, "cpu" elsewhere."""
    return "gpu" if torch.device(device).type == "cuda" else "cpu"


def train(model, steps=None, recipe=None, seed=0):
    """Train with the recipe for the model's device (or recipe="cpu" / "gpu"); steps: fewer (or
    more) than the recipe's own (under the GPU recipe's time budget, at most that many). Returns
    the card: recipe with the steps done, final loss, the held-out reports along the way (GPU
    recipe), metrics."""
    device = next(model.parameters()).device
    recipe = recipe or recipe_for(device)
    settings = {**{"cpu": CPU_RECIPE, "gpu": GPU_RECIPE}[recipe], **({} if steps is None else {"steps": steps})}
    steps, batch_size, clips = settings["steps"], settings["batch_size"], settings["clips"]
    torch.manual_seed(seed)
    tokenizer = load_tokenizer().to(device)
    tokens = tokenize_clips(tokenizer, clips, seed, workers=0 if recipe == "cpu" else clip_workers())
    order = torch.randperm(steps * batch_size) % clips
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings["lr"], betas=(0.9, 0.95), weight_decay=0.1)
    reports = []

    def report(steps_done, prior_so_far):
        reports.append({"steps": steps_done, **held_out_report(prior_so_far)})
        if rank_and_size()[0] == 0:
            print(f"VideoGPT after {steps_done} steps: {reports[-1]}", flush=True)

    losses = fit(model, next_token_loss, lambda step: {"tokens": tokens[order[step * batch_size:(step + 1) * batch_size]]},
                 steps, optimizer=optimizer, cosine=True, desc="VideoGPT", wall_budget=settings.get("wall_budget_s"),
                 report=report if "report_every" in settings else None, report_every=settings.get("report_every"))
    budget = {"steps_at_most": steps, "wall_budget_s": settings["wall_budget_s"]} if "wall_budget_s" in settings else {}
    card = {"recipe": {"for": recipe, "steps": len(losses), **budget, "batch_size": batch_size, "lr": settings["lr"],
                       "schedule": "cosine" + (" along the time budget" if budget else ""),
                       "optimizer": "AdamW (0.9, 0.95), weight decay 0.1", "loss": "next-token cross-entropy on tokens 64…319",
                       "data": f"{clips} MovingDigits clips (1 digit, {vqvae.FRAMES} frames, train split), tokenised"},
            "tokenizer": {"checkpoint": "vqvae", "sha256": sha256_file(CHECKPOINTS / "vqvae.safetensors")},
            "seed": seed, "final_loss": final_loss(losses)}
    if reports:
        card["held_out_reports"] = reports
    return {**card, "metrics": evaluate(model)}


def sampled_metrics(model, clips):
    """Image-to-video from `clips` held-out first frames (top-k 16, temperature 1, sampling seed 0),
    measured by the evaluation network (`evalnet.image_to_video_metrics`)."""
    tokenizer, generator = load_tokenizer(), torch.Generator().manual_seed(0)
    return image_to_video_metrics(lambda first: generate(model, tokenizer, first, generator=generator), clips)


def evaluate(model, clips=256):
    """`sampled_metrics` on 256 clips, with a static repeated first frame's FVD-lite for comparison."""
    return {**sampled_metrics(model, clips), "fvd_lite_static_frame": static_frame_fvd_lite(clips)}
