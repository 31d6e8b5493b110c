"""A variational autoencoder (Kingma & Welling 2014, "Auto-Encoding Variational Bayes") as a
stochastic video predictor, in the spirit of SVG-LP (Denton & Fergus 2018, "Stochastic Video
Generation with a Learned Prior").

One frame does not fix its future (which way will the digit go?). A deterministic predictor
trained with MSE averages the possible futures into a blur (lesson 03's ConvLSTM). A latent
variable z names one future:
    posterior  q(z | x_0:T) = N(μ_q, σ_q²)   an encoder that sees the whole clip (training only)
    prior      p(z | x_0)   = N(μ_p, σ_p²)   learned, sees only the first frame — the "LP" of SVG-LP
    decoder    x̂ = D(x_0, z)
Training maximises the evidence lower bound (ELBO), i.e. minimises the loss of the course's
source text, L = L_recon + λ L_KL:
    L_recon = Σ_t,pixels (x̂ − x)²   (−log p(x | z) of a Gaussian decoder, up to constants)
    L_KL    = KL(q(z | x_0:T) ‖ p(z | x_0))
z is sampled with the reparameterisation trick, z = μ + σ ⊙ ε with ε ~ N(0, I), so that the
gradient reaches μ and σ through a sample. To generate, draw z from the prior; each draw is
another future. Best-of-N — the closest of N samples to the true future — falls as N grows.

Departures from SVG-LP: one z for the whole clip rather than one per frame (in MovingDigits only
the start is uncertain: after that the digit moves straight and bounces), and the decoder is lesson
03's warp-based two-stream generator (utils.models.vgan.Generator) with z in place of its motion code.

What the squared error does here: where the decoder is unsure where the digit is (mostly after a
bounce), its background stream paints a soft grey blob over the likely places — an average costs
less squared error than a sharp guess in the wrong place. The samples move and best-of-N falls,
but the digit is often lost after a bounce (see the card's identity_kept). SAVP (Lee et al. 2018)
adds an adversarial loss to such a VAE for this reason; lesson 03's VGAN shows what that term buys.
"""
import torch
import torch.nn as nn
from einops import rearrange

from utils.blocks import down
from utils.data import MovingDigits
from utils.models.evalnet import benchmark, image_to_video_metrics, static_frame_fvd_lite
from utils.models.vgan import FRAMES, Generator
from utils.training import final_loss, fit
from utils.video import batch_field, check_batch, check_count, check_frames, check_model, describe

LATENT = 8
KL_WEIGHT = 1.0       # λ


def reparameterize(mu, log_variance, noise=None):
    """z = μ + σ ⊙ ε with σ = exp(½ log σ²), ε ~ N(0, I) (or the given noise)."""
    noise = torch.randn_like(mu) if noise is None else noise
    return mu + (0.5 * log_variance).exp() * noise


def gaussian_kl(mu_q, log_variance_q, mu_p, log_variance_p):
    """KL(N(μ_q, σ_q²) ‖ N(μ_p, σ_p²)) of diagonal Gaussians, summed over dimensions: (B, Z) → (B,)
        ½ Σ [log σ_p² − log σ_q² + (σ_q² + (μ_q − μ_p)²) / σ_p² − 1]"""
    return 0.5 * (log_variance_p - log_variance_q
                  + (log_variance_q.exp() + (mu_q - mu_p).square()) / log_variance_p.exp() - 1).sum(dim=1)


class StochasticPredictor(nn.Module):
    """A VAE over futures: z from a learned prior p(z | first frame) picks one future of the still.
    Training encodes the whole clip with the posterior q(z | clip); the VGAN-style Generator draws it."""

    def __init__(self, width=16, latent=LATENT):
        super().__init__()
        w = width
        # posterior: the whole clip, (1, 16, 64, 64) → (4w, 2, 8, 8) → μ, log σ²
        self.posterior = nn.Sequential(down(1, w, dims=3), down(w, 2 * w, dims=3), down(2 * w, 4 * w, dims=3),
                                       nn.Flatten(), nn.Linear(4 * w * 2 * 8 * 8, 2 * latent))
        # prior: the first frame, (1, 64, 64) → (4w, 8, 8) → μ, log σ²
        self.prior = nn.Sequential(down(1, w), down(w, 2 * w), down(2 * w, 4 * w), nn.Flatten(), nn.Linear(4 * w * 8 * 8, 2 * latent))
        self.decoder = Generator(width, noise=latent)

    def posterior_of(self, clip):
        """clip (B, 16, 1, 64, 64) → μ_q, log σ_q² (B, Z) each."""
        if check_batch(clip, "clip").shape[1:] != (FRAMES, 1, 64, 64):
            raise ValueError(f"clip: expected one-digit clips (B, {FRAMES}, 1, 64, 64); got {describe(clip)}")
        return self.posterior(rearrange(clip, "b t c h w -> b c t h w") * 2 - 1).chunk(2, dim=1)

    def prior_of(self, first_frame):
        """first_frame (B, 1, 64, 64) → μ_p, log σ_p² (B, Z) each."""
        return self.prior(first_frame * 2 - 1).chunk(2, dim=1)

    def forward(self, first_frame, z=None, reparameterize_fn=reparameterize):
        """first_frame (B, 1, 64, 64) → a clip (B, 16, 1, 64, 64), z drawn from the prior unless
        given (by reparameterize_fn(μ, log σ², ε): lesson 04's exercise can stand in)."""
        if z is None:
            mu, log_variance = self.prior_of(first_frame)
            z = reparameterize_fn(mu, log_variance, torch.randn_like(mu))
        return self.decoder(first_frame, z)


def elbo_loss(model, batch):
    """Negative ELBO per clip: Σ (x̂ − x)² + λ KL(q(z | clip) ‖ p(z | first frame)); returns
    the loss and its two terms."""
    clip = batch_field(batch, "video")
    mu_q, log_variance_q = model.posterior_of(clip)
    mu_p, log_variance_p = model.prior_of(clip[:, 0])
    reconstruction = model.decoder(clip[:, 0], reparameterize(mu_q, log_variance_q))
    recon = (reconstruction - clip).square().sum(dim=(1, 2, 3, 4)).mean()
    kl = gaussian_kl(mu_q, log_variance_q, mu_p, log_variance_p).mean()
    return recon + KL_WEIGHT * kl, recon, kl


@torch.no_grad()
def generate(model, first_frames, samples=1, reparameterize_fn=reparameterize):
    """first_frames (B, 1, 64, 64) → futures (B, 16, 1, 64, 64), or (samples, B, ...) if samples > 1,
    on the CPU; each z drawn from the prior by reparameterize_fn."""
    check_model(model, StochasticPredictor)
    check_frames(first_frames)
    check_count(samples, "samples", meaning="how many futures to draw")
    device = next(model.parameters()).device
    model.eval()
    futures = torch.stack([model(first_frames.to(device), reparameterize_fn=reparameterize_fn).float().cpu()
                           for _ in range(samples)])
    return futures[0] if samples == 1 else futures


def best_of(futures, true):
    """futures (N, B, T, ...), true (B, T, ...) → the mean over clips of the smallest MSE (OpenSTL,
    frames 1..) among the first n futures, for n = 1 … N: a list."""
    check_batch(true, "true")
    if not isinstance(futures, torch.Tensor) or futures.ndim != true.ndim + 1 or futures.shape[1:] != true.shape:
        hint = " One future per clip? Sample several: generate(model, first_frames, samples=N)." \
            if isinstance(futures, torch.Tensor) and futures.shape == true.shape else ""
        raise ValueError(f"futures: expected N futures of the true clips, (N, {', '.join(map(str, true.shape))}); "
                         f"got {describe(futures)}.{hint}")
    check_batch(rearrange(futures, "n b t c h w -> (n b) t c h w"), "futures")
    errors = (futures[:, :, 1:] - true[None, :, 1:]).square().sum(dim=(3, 4, 5)).mean(dim=2)     # (N, B)
    return [errors[:n].min(dim=0).values.mean().item() for n in range(1, len(futures) + 1)]


# ---------------------------------------------------------------------------------------------
# the recipe: `python -m utils.train svg`

def train(model, steps=2000, batch_size=16, lr=1e-3, seed=0):
    torch.manual_seed(seed)
    clips = MovingDigits(num_frames=FRAMES, num_digits=1, split="train", length=steps * batch_size, seed=seed)
    losses = fit(model, lambda m, batch: elbo_loss(m, batch)[0], clips.batches(batch_size),
                 steps, lr=lr, cosine=True, desc="VAE")
    return {"recipe": {"steps": steps, "batch_size": batch_size, "lr": lr, "schedule": "cosine", "latent": LATENT,
                       "loss": f"negative ELBO: sum of squared errors + {KL_WEIGHT:g} × KL(posterior ‖ learned prior)",
                       "data": f"MovingDigits, 1 digit, {FRAMES} frames, train split"},
            "seed": seed, "final_loss": final_loss(losses, digits=2), "metrics": evaluate(model)}


def evaluate(model, clips=256, samples=5):
    """Image-to-video from the prior on held-out clips, measured by the evaluation network; the
    best-of-1 … best-of-5 MSE; and a static repeated frame's FVD-lite."""
    torch.manual_seed(0)
    metrics = image_to_video_metrics(lambda first: generate(model, first), clips)
    held_out = benchmark(clips)
    futures = generate(model, held_out["video"][:, 0], samples)
    return {**metrics, **{f"best_of_{n}_mse": round(e, 2) for n, e in enumerate(best_of(futures, held_out["video"]), 1)},
            "fvd_lite_static_frame": static_frame_fvd_lite(clips)}
