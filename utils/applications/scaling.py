"""A small scaling experiment: SpaceTimeTransformers of several widths trained by flow matching
on the same latent clips, their held-out loss measured against training compute (lesson 07).

Scaling laws (Kaplan et al. 2020, "Scaling Laws for Neural Language Models"; Hoffmann et al. 2022)
say that loss falls as a power law of model size N, data D and compute C, with the compute of
training estimated as
    C ≈ 6 · N · D          (2 FLOPs per parameter and token forward, 4 backward)
and that at a fixed C the best N grows with C. The same holds for diffusion transformers (DiT,
Peebles & Xie 2023). Here D counts the latent tokens seen: frames × (size / patch)² per clip.
"""
import torch
from tqdm.auto import tqdm

from utils.models.flow_matching import flow_matching_loss
from utils.models.space_time_transformer import SpaceTimeTransformer
from utils.training import fit, training_compute


@torch.no_grad()
def validation_loss(model, batch, seed=0):
    """The flow-matching loss on a fixed batch with fixed noise, times and dropped conditions:
    comparable across models and training steps."""
    model.eval()
    return flow_matching_loss(model, batch, generator=torch.Generator(batch["latent"].device).manual_seed(seed)).item()


def training_flops(model, steps, batch_size):
    """Training FLOPs of `steps` steps of `batch_size` clips (`training_compute`)."""
    tokens = model.frames * (model.size // model.patch) ** 2
    return training_compute(sum(p.numel() for p in model.parameters()), tokens * batch_size * steps)


def scaling_curves(widths, train_set, held_out_set, steps, batch_size=16, points=4, depth=2, lr=2e-3, seed=0):
    """Train a SpaceTimeTransformer of each width on {"latent" (unit scale), "labels"} for `steps`
    steps; at `points` evenly spaced moments, measure (training FLOPs, held-out loss). Returns
    {width: [(FLOPs, loss), …]}, with one progress bar for the whole experiment."""
    n = len(train_set["latent"])
    batch_at = lambda step: {key: value[torch.arange(step * batch_size, (step + 1) * batch_size) % n] for key, value in train_set.items()}
    curves = {}
    with tqdm(total=len(widths) * steps, desc="scaling experiment") as bar:
        for width in widths:
            torch.manual_seed(seed)
            model = SpaceTimeTransformer(dim=width, depth=depth).to(train_set["latent"].device)
            optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
            curves[width], done = [], 0
            for point in range(1, points + 1):
                until = steps * point // points
                fit(model, flow_matching_loss, lambda step: batch_at(done + step), until - done, optimizer=optimizer,
                    live_plot=False, progress=False)
                bar.update(until - done)
                bar.set_postfix(width=width)
                done = until
                curves[width].append((training_flops(model, done, batch_size), validation_loss(model, held_out_set)))
    return curves
