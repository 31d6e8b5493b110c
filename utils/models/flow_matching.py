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

The network works in the latent space of utils.models.latent_autoencoder (a 17-frame clip is
5 × 8 × 8 × 8 numbers), as Stable Video Diffusion (Blattmann et al. 2023) does. That autoencoder has
no codebook, so an empty background is one smooth region of the latent rather than many different
codes for the network to choose between (the card's notes measure the VQ-VAE's tokens here).

The network is utils.models.space_time_transformer.

Image-to-video keeps the given digit by naming it. A linear head on the first frame's summary
(`recognise`) learns the digit's class, and sampling conditions on the frame *and* that label,
with guidance against the unconditional model — as image-to-video systems pair the image with a
caption of it. Training has two stages, as SVD's does: stage 1 trains every condition equally
often; stage 2 fine-tunes for image-to-video on fresh clips (three quarters of them with their
first frame, plus the head's cross-entropy). The model card records what each stage measured.
"""
import functools
import math

import torch
import torch.nn.functional as F

from utils.checkpoints import CHECKPOINTS, sha256_file
from utils.data import MovingDigits
from utils.models import vqvae
from utils.models.evalnet import (analyse, benchmark, image_to_video_metrics, load_evaluator, measure,
                                  static_frame_fvd_lite)
from utils.models.latent_autoencoder import LatentAutoencoder, load_autoencoder
from utils.models.space_time_transformer import CLASSES, SpaceTimeTransformer
from utils.training import final_loss, fit
from utils.video import batch_field, check_count, check_frames, check_generator, check_model, describe

DROP = 0.5            # in training, each condition is dropped with this probability
STEPS = 24            # Euler steps when sampling (the lesson measures how few are enough)
FINETUNE_IMAGE_SHARE = 0.75   # stage 2 of training: the share of clips that see their first frame
RECOGNITION_WEIGHT = 0.1      # stage 2: weight of the loss that teaches the network to name the given digit
IMAGE_GUIDANCE = 4.0          # image-to-video's default guidance scale (1 … 5 measured: see the model card)


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


def flow_matching_loss(model, batch, generator=None, image_share=0.5, recognition_weight=0.0, time_mean=0.0):
    """The flow-matching loss of a batch {"latent": (B, 5, D, 8, 8) normalised, "labels": (B,)}.
    A share `image_share` of the clips sees its first frame; each label is dropped with probability
    DROP (a clip with neither trains the unconditional model). With recognition_weight > 0 the
    network also learns to name the digit of each first frame it sees (cross-entropy).
    Times are drawn logit-normal (Esser et al. 2024), logit(t) ~ N(time_mean, 1): more of
    them in the middle, where the velocity is hardest to predict; a negative time_mean moves them
    towards the noise."""
    x, labels = batch_field(batch, "latent"), batch_field(batch, "labels")
    B, device = x.shape[0], x.device
    noise = torch.randn(x.shape, device=device, generator=generator)
    t = (time_mean + torch.randn(B, device=device, generator=generator)).sigmoid()
    x_t, target = flow_matching_pair(x, noise, t)
    keep_label = torch.rand(B, device=device, generator=generator) > DROP
    keep_label = keep_label.view(-1, *[1] * (labels.dim() - 1))    # labels may be (B,) classes or (B, L) tokens
    dropped = torch.where(keep_label, labels, torch.full_like(labels, model.no_label))
    # the clips with and without a first frame run as two calls (the "image given" flag is per call)
    given = round(B * image_share)
    velocity = [model(x_t[:given], t[:given], x[:given, 0], dropped[:given])] if given else []
    if given < B:
        velocity.append(model(x_t[given:], t[given:], None, dropped[given:]))
    loss = F.mse_loss(torch.cat(velocity), target)
    if recognition_weight and given:
        loss = loss + recognition_weight * F.cross_entropy(model.recognise(x[:given, 0]), labels[:given])
    return loss


def _check_sampling(model, first_latent, labels, n, steps, guidance, generator):
    """sample_latents' arguments, or a clear error."""
    check_model(model, SpaceTimeTransformer)
    check_count(steps, "steps", meaning="the number of Euler steps")
    check_generator(generator)
    if not (isinstance(guidance, (int, float)) and math.isfinite(guidance)):
        raise ValueError(f"guidance: expected a finite number (1 = none); got {guidance!r}")
    if labels is not None:
        if not (isinstance(labels, torch.Tensor) and labels.dtype == torch.long):
            raise ValueError(f"labels: expected a long tensor, (B,) digit classes or (B, L) caption tokens; got {describe(labels)}")
        model.check_labels(labels)                                   # the shape and values the model takes
    latent_shape = (model.channels, model.size, model.size)
    if first_latent is not None and not (isinstance(first_latent, torch.Tensor) and first_latent.shape[1:] == latent_shape):
        raise ValueError(f"first_latent: expected encoded first frames (B, {', '.join(map(str, latent_shape))}), as encode_frames "
                         f"gives them; got {describe(first_latent)}")
    if first_latent is not None and labels is not None and len(first_latent) != len(labels):
        raise ValueError(f"first_latent and labels: expected one label per first frame; got {len(first_latent)} and {len(labels)}")
    if first_latent is None and labels is None:
        check_count(n, "n", meaning="how many clips to draw (neither a first frame nor labels says)")


@torch.no_grad()
def sample_latents(model, first_latent=None, labels=None, n=None, steps=STEPS, guidance=1.0, generator=None,
                   trajectory=False, step=euler_step, guide=classifier_free_guidance, noise=None):
    """Integrate dx/dt = v from noise (t = 0) to data (t = 1) with `steps` Euler steps.
    first_latent (B, D, 8, 8) normalised, or None; labels (B,) or None; n: the batch size when
    neither is given. guidance w: classifier-free guidance against the fully unconditional
    model (w = 1: none, and half the cost; w = 0: the unconditional model alone, half the cost
    too). trajectory=True also returns every x_t. `step` and `guide` are the two formulas of the
    loop (lesson 07's exercises can stand in for them); `noise` (B, 5, D, 8, 8), if given, is the
    starting point instead of a fresh draw."""
    _check_sampling(model, first_latent, labels, n, steps, guidance, generator)
    device = next(model.parameters()).device
    B = n if first_latent is None and labels is None else len(first_latent if first_latent is not None else labels)
    labels = torch.full((B,), model.no_label, dtype=torch.long, device=device) if labels is None else labels.to(device)
    no_label = torch.full_like(labels, model.no_label)
    shape = (B, model.frames, model.channels, model.size, model.size)
    x = torch.randn(shape, generator=generator).to(device) if noise is None else noise.to(device)
    times = torch.linspace(0, 1, steps + 1, device=device)
    path = [x]
    model.eval()
    for i in range(steps):
        t = times[i].expand(B)
        if guidance == 0:   # v(∅) + 0 · (v(c) − v(∅)) is v(∅): the conditional pass would be wasted
            v = model(x, t, None, no_label)
        else:
            v = model(x, t, first_latent, labels)
            if guidance != 1.0:
                v = guide(model(x, t, None, no_label), v, guidance)
        x = step(x, v, times[i], times[i + 1])
        path.append(x)
    return (x, path) if trajectory else x


def _check_digit_model(model):
    """The digit model: a SpaceTimeTransformer, not a subclass conditioned on something else (CaptionToVideo)."""
    if check_model(model, SpaceTimeTransformer).label_embedding is None:
        raise TypeError(f"model: expected the digit model, a SpaceTimeTransformer; got a {type(model).__name__}, "
                        f"which has no digit labels")
    return model


@torch.no_grad()
def decode(model, z):
    """Unit-scale latents (B, 5, C, 8, 8) → clips (B, 16, 1, 64, 64) on the CPU (the autoencoder's
    17 frames, less the last)."""
    _check_digit_model(model)
    return load_autoencoder().to(z.device).decode(model.from_latent(z))[:, :vqvae.FRAMES - 1].float().cpu()


@torch.no_grad()
def encode_frames(model, frames):
    """Still frames (B, 1, 64, 64) → their unit-scale latents (B, C, 8, 8), the image condition."""
    _check_digit_model(model)
    check_frames(frames, "first frames")
    device = next(model.parameters()).device
    mean, _ = load_autoencoder().to(device).encode(frames.to(device)[:, None])
    return model.to_latent(mean[:, 0])


@torch.no_grad()
def image_to_video(model, first_frames, steps=STEPS, guidance=IMAGE_GUIDANCE, generator=None, **sampler):
    """first_frames (B, 1, 64, 64) → clips (B, 16, 1, 64, 64) that start from them. The network
    names the digit it sees (`recognise`) and is conditioned on the frame and that label, guided
    against the unconditional model. The first latent frame of the output is the still's own
    latent: the condition is known, not generated."""
    first = encode_frames(model, first_frames)
    digits = model.recognise(first).argmax(dim=1)
    z = sample_latents(model, first, digits, steps=steps, guidance=guidance, generator=generator, **sampler)
    z[:, 0] = first
    return decode(model, z)


@torch.no_grad()
def label_to_video(model, labels, steps=STEPS, guidance=3.0, generator=None, **sampler):
    """labels (B,) digit classes → clips (B, 16, 1, 64, 64) of that digit moving, from noise alone."""
    _check_digit_model(model)
    _check_labels(labels)
    return decode(model, sample_latents(model, labels=labels, steps=steps, guidance=guidance, generator=generator, **sampler))


# ---------------------------------------------------------------------------------------------
# the recipe: `python -m utils.train flow_matching` (after `python -m utils.train latent_autoencoder`)

@torch.no_grad()
def encode_clips(autoencoder, n, seed=0, chunk=64):
    """n one-digit training clips → their latents (the posterior means) (n, 5, C, 8, 8) and digit labels (n,)."""
    check_model(autoencoder, LatentAutoencoder, "autoencoder")
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
    torch.manual_seed(seed)
    latents, labels = encode_clips(load_autoencoder().to(next(model.parameters()).device), clips, seed)
    model.set_latent_statistics(latents)
    losses = fit_latents(model, latents, labels, steps, batch_size, lr, flow_matching_loss, "flow matching")
    finetune_losses = finetune_image_to_video(model, finetune_steps, batch_size, finetune_lr, clips, seed + 1)
    return {"recipe": {"stage 1": {"steps": steps, "batch_size": batch_size, "lr": lr, "schedule": "cosine",
                                   "optimizer": "AdamW, weight decay 0.01",
                                   "loss": f"flow matching (velocity MSE), logit-normal t; half the clips see their first frame; "
                                           f"labels dropped with p = {DROP}",
                                   "final_loss": final_loss(losses)},
                       "stage 2": {"steps": finetune_steps, "batch_size": batch_size, "lr": finetune_lr, "schedule": "cosine",
                                   "loss": f"as stage 1, with {FINETUNE_IMAGE_SHARE:.0%} of the clips seeing their first frame, "
                                           f"+ {RECOGNITION_WEIGHT} × cross-entropy of the first frame's digit",
                                   "final_loss": final_loss(finetune_losses)},
                       "data": f"{clips} MovingDigits clips per stage (1 digit, {vqvae.FRAMES} frames, train split, "
                               f"seeds {seed} and {seed + 1}) in the latent autoencoder's space"},
            "autoencoder": {"checkpoint": "latent_autoencoder", "sha256": sha256_file(CHECKPOINTS / "latent_autoencoder.safetensors")},
            "sampling": f"{STEPS} Euler steps; image-to-video with the recognised digit as label, guidance {IMAGE_GUIDANCE:g}; "
                        f"label-to-video with guidance 3 (and 1 for comparison)",
            "seed": seed, "metrics": evaluate(model)}


def _check_labels(labels, count=None):
    """(B,) long digit classes 0…9, B = `count` if given."""
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or labels.dtype != torch.long or not len(labels):
        raise ValueError(f"labels: expected a (B,) long tensor of digit classes 0…{CLASSES - 1}; got {describe(labels)}")
    if labels.min() < 0 or labels.max() >= CLASSES:
        raise ValueError(f"labels: expected digit classes 0…{CLASSES - 1}; got values from {labels.min().item()} to {labels.max().item()}")
    if count is not None and len(labels) != count:
        raise ValueError(f"labels: expected one label per clip ({count}); got {len(labels)}")
    return labels


def label_agreement(videos, labels):
    """The fraction of clips whose digit, by the evaluation network's vote over frames, is the requested label."""
    _check_labels(labels, count=len(videos) if isinstance(videos, torch.Tensor) else None)
    digits, _, _ = analyse(load_evaluator(), videos)
    return (digits.mode(dim=1).values == labels).float().mean().item()


def evaluate(model, clips=256, guidance=3.0, label_clips=128):
    """Image-to-video on `clips` held-out first frames (the lesson 03 benchmark), how often the network
    names their digit right (digit_recognised), and label-to-video of `label_clips` clips without and
    with guidance: does the evaluation network see the requested digit? (label_fvd_lite_N_clips:
    of the guided label-to-video clips, against as many real ones; a Fréchet distance from fewer
    clips is higher, so it compares only with others from as many.)"""
    generator = torch.Generator().manual_seed(0)
    metrics = image_to_video_metrics(lambda first: image_to_video(model, first, generator=generator), clips)
    held_out = benchmark(clips)
    with torch.no_grad():
        named = model.recognise(encode_frames(model, held_out["video"][:, 0])).argmax(dim=1).cpu()
    metrics["digit_recognised"] = round((named == held_out["labels"][:, 0]).float().mean().item(), 4)
    labels = torch.arange(label_clips) % CLASSES
    agreement = {}
    for scale in (1.0, guidance):
        videos = torch.cat([label_to_video(model, part, guidance=scale, generator=generator) for part in labels.split(64)])
        agreement[scale] = round(label_agreement(videos, labels), 4)
    return {**metrics, "fvd_lite_static_frame": static_frame_fvd_lite(clips),
            "label_agreement_no_guidance": agreement[1.0], f"label_agreement_guidance_{guidance:g}": agreement[guidance],
            f"label_fvd_lite_{label_clips}_clips": measure(videos, benchmark(label_clips))["fvd_lite"]}
