"""Training and checkpoints.

`fit` is the one training loop of the course: a tqdm progress bar, a live loss curve in notebooks,
and mixed precision on CUDA. A checkpoint is two files in data/checkpoints/:
    NAME.safetensors  the weights. safetensors holds tensors only, so loading a file cannot run
                      code (pickle-based .pt files can); the course loads nothing else.
    NAME.json         the model card: recipe, seed, steps, wall time, metrics, and the sha256 of
                      the weights, checked on every load.
`load_or_train` uses a shipped checkpoint when its sha256 matches, and trains otherwise.
"""
import datetime
import hashlib
import json
import math
import re
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from utils.data import DATA
from utils.display import plot_curves

CHECKPOINTS = DATA / "checkpoints"


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, corrupt, altered, or made for another model."""


# ---------------------------------------------------------------------------------------------
# the training loop

def to_device(batch, device):
    """Move a tensor, or the tensors inside a dict / list / tuple, to `device`."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


def _in_notebook():
    try:
        from IPython import get_ipython

        return get_ipython() is not None and "IPKernelApp" in get_ipython().config
    except ImportError:
        return False


class _LiveCurves:
    """Loss curves redrawn in place in a notebook every `every` steps; does nothing elsewhere."""

    def __init__(self, title, every, enabled=True):
        self.title, self.every, self.handle = title, every, None
        if enabled and _in_notebook():
            from IPython.display import display

            self.figure, self.ax = plt.subplots(figsize=(5, 2.6))
            self.handle = display(self.figure, display_id=True)

    def update(self, step, curves, last=False):
        if self.handle is not None and ((step + 1) % self.every == 0 or last):
            self.ax.clear()
            plot_curves(curves, title=self.title, ax=self.ax)
            self.handle.update(self.figure)

    def close(self):
        if self.handle is not None:
            plt.close(self.figure)  # already shown through the display handle


def _autocast_dtype(device):
    """bfloat16 on CUDA where supported, else float16 (which needs loss scaling); None elsewhere."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def fit(model, loss_fn, batches, steps, lr=1e-3, optimizer=None, cosine=False, device=None, live_plot=True,
        plot_every=None, desc="training"):
    """Train `model` for `steps` optimiser steps; return the list of losses.

    loss_fn(model, batch) → scalar loss. batches: an iterable of batches, or a function
    step → batch (handy for generated data). cosine=True lowers the learning rate from lr to 0
    along a half cosine. On CUDA the forward pass runs in bfloat16 (or float16 with loss
    scaling where bfloat16 is not supported).
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device).train()
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    amp_dtype = _autocast_dtype(device)
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps) if cosine else None
    batch_iterator = None if callable(batches) else iter(batches)
    curves = _LiveCurves(desc, plot_every or max(steps // 10, 1), live_plot)
    losses = []
    progress = tqdm(range(steps), desc=desc)
    for step in progress:
        batch = to_device(batches(step) if batch_iterator is None else next(batch_iterator), device)
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            loss = loss_fn(model, batch)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss became {loss.item()} at step {step}; lower the learning rate ({lr})")
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if schedule is not None:
            schedule.step()
        losses.append(loss.item())
        progress.set_postfix(loss=f"{losses[-1]:.4g}")
        curves.update(step, {"loss": losses}, last=step + 1 == steps)
    curves.close()
    model.eval()
    return losses


def final_losses(history, last=50):
    """The mean of each loss over the last `last` steps, for a model card."""
    return {name: round(sum(values[-last:]) / len(values[-last:]), 4) for name, values in history.items()}


def fit_gan(gan, train_step, batches, steps, lr=2e-4, lr_discriminator=None, betas=(0.5, 0.999), device=None,
            live_plot=True, plot_every=None, desc="GAN"):
    """Train gan.generator and gan.discriminator, each with its own Adam (betas as DCGAN; the
    discriminator's learning rate is `lr` unless given), by calling
    train_step(gan, optimizer_g, optimizer_d, batches(step)) → {"discriminator": loss, ...}
    `steps` times. Returns the history of each loss. On CUDA the steps run in bfloat16 autocast."""
    device = torch.device(device) if device is not None else next(gan.parameters()).device
    gan.to(device).train()
    optimizer_g = torch.optim.Adam(gan.generator.parameters(), lr=lr, betas=betas)
    optimizer_d = torch.optim.Adam(gan.discriminator.parameters(), lr=lr_discriminator or lr, betas=betas)
    use_bf16 = _autocast_dtype(device) == torch.bfloat16  # float16 would need two loss scalers: not worth it
    curves = _LiveCurves(desc, plot_every or max(steps // 10, 1), live_plot)
    history = {}
    progress = tqdm(range(steps), desc=desc)
    for step in progress:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            losses = train_step(gan, optimizer_g, optimizer_d, to_device(batches(step), device))
        for name, value in losses.items():
            if not math.isfinite(value):
                raise FloatingPointError(f"{name} loss became {value} at step {step}; lower the learning rate ({lr})")
            history.setdefault(name, []).append(value)
        progress.set_postfix({name: f"{value:.3g}" for name, value in losses.items()})
        curves.update(step, history, last=step + 1 == steps)
    curves.close()
    gan.eval()
    return history


# ---------------------------------------------------------------------------------------------
# checkpoints

def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _paths(name, directory):
    if not re.fullmatch(r"[a-z0-9_\-]+", name):
        raise ValueError(f"checkpoint names use a-z, 0-9, '_' and '-'; got {name!r}")
    directory = Path(directory)
    return directory / f"{name}.safetensors", directory / f"{name}.json"


def save_checkpoint(model, name, card, directory=CHECKPOINTS):
    """Write NAME.safetensors and NAME.json (the card, completed with sha256, size and versions)."""
    weights_path, card_path = _paths(name, directory)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(weights_path))
    card = {
        "name": name,
        "model": type(model).__name__,
        **card,
        "parameters": sum(p.numel() for p in model.parameters()),
        "file_bytes": weights_path.stat().st_size,
        "sha256": sha256_file(weights_path),
        "torch": torch.__version__,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
    }
    _write_card(card_path, card)
    return card


def _write_card(path, card):
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")


def read_card(name, directory=CHECKPOINTS):
    """The model card of a checkpoint, as a dict."""
    _, card_path = _paths(name, directory)
    if not card_path.exists():
        raise CheckpointError(f"no model card {card_path}")
    try:
        return json.loads(card_path.read_text())
    except json.JSONDecodeError as err:
        raise CheckpointError(f"model card {card_path} is not valid JSON ({err})") from err


def load_checkpoint(model, name, directory=CHECKPOINTS):
    """Load NAME.safetensors into `model` after checking its sha256 against the card; return the card."""
    weights_path, _ = _paths(name, directory)
    card = read_card(name, directory)
    if not weights_path.exists():
        raise CheckpointError(f"the card {name}.json exists but the weights {weights_path} do not")
    actual = sha256_file(weights_path)
    if actual != card.get("sha256"):
        raise CheckpointError(f"{weights_path.name}: sha256 mismatch — the card expects {card.get('sha256')}, "
                              f"the file has {actual}. The file is corrupt or was replaced; restore it or retrain.")
    try:
        state = load_file(str(weights_path))
    except (SafetensorError, OSError) as err:
        raise CheckpointError(f"{weights_path.name} is not a readable safetensors file ({err})") from err
    device = next(model.parameters()).device
    try:
        model.load_state_dict({k: v.to(device) for k, v in state.items()})
    except RuntimeError as err:
        raise CheckpointError(f"{weights_path.name} was saved from a {card.get('model')} with "
                              f"{card.get('parameters')} parameters and does not fit this "
                              f"{type(model).__name__}:\n{err}") from err
    model.eval()
    return card


def load_or_train(model, name, train, directory=CHECKPOINTS):
    """Load the checkpoint NAME if it exists and is intact; otherwise call train(model) → card
    (recipe, seed, steps, metrics), time it, save the checkpoint, and return the card."""
    weights_path, card_path = _paths(name, directory)
    if weights_path.exists() and card_path.exists():
        try:
            return load_checkpoint(model, name, directory)
        except CheckpointError as err:
            warnings.warn(f"not using checkpoint {name!r}: {err} — training from scratch instead", stacklevel=2)
    return train_and_save(model, name, train, directory)


def train_and_save(model, name, train, directory=CHECKPOINTS):
    """Call train(model) → card (recipe, seed, metrics), add its wall time and device, save."""
    start = time.perf_counter()
    card = dict(train(model))
    card.setdefault("wall_time_s", round(time.perf_counter() - start, 1))
    card.setdefault("device", str(next(model.parameters()).device))
    return save_checkpoint(model, name, card, directory)


# ---------------------------------------------------------------------------------------------
# `python -m utils.train NAME`: train one shipped model with its fixed recipe and seed

def recipes():
    """name → (build the model, train(model) → card, evaluate(model) → metrics)."""
    # imported here: those modules import this one
    from utils import convlstm, cyclegan, diffusion, evalnet, mocogan, pix2pix, svg, vgan, videogpt, vqvae

    return {"evalnet": (evalnet.VideoClassifier, evalnet.train, evalnet.evaluate),
            "convlstm": (convlstm.ConvLSTMPredictor, convlstm.train, convlstm.evaluate),
            "vgan": (vgan.VideoGAN, vgan.train, vgan.evaluate),
            "pix2pix": (pix2pix.Pix2Pix, pix2pix.train, pix2pix.evaluate),
            "cyclegan": (cyclegan.CycleGAN, cyclegan.train, cyclegan.evaluate),
            "cyclegan_temporal": (cyclegan.CycleGAN, cyclegan.train_temporal, cyclegan.evaluate),
            "mocogan": (mocogan.MoCoGAN, mocogan.train, mocogan.evaluate),
            "svg": (svg.StochasticPredictor, svg.train, svg.evaluate),
            "vqvae": (vqvae.VQVAE, vqvae.train, vqvae.evaluate),
            "videogpt": (videogpt.VideoGPT, videogpt.train, videogpt.evaluate),
            "latent_autoencoder": (diffusion.LatentAutoencoder, diffusion.train_autoencoder, diffusion.evaluate_autoencoder),
            "flow_matching": (diffusion.SpaceTimeTransformer, diffusion.train, diffusion.evaluate)}


def main(argv=None):
    """Train a shipped model from scratch with its fixed recipe and seed; write its checkpoint and card."""
    import argparse

    from utils.runtime import pick_device

    known = recipes()
    parser = argparse.ArgumentParser(prog="python -m utils.train", description=main.__doc__)
    parser.add_argument("name", choices=sorted(known), help="the checkpoint to (re)train")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best available)")
    parser.add_argument("--directory", default=str(CHECKPOINTS), help="where to write NAME.safetensors and NAME.json")
    parser.add_argument("--remeasure", action="store_true",
                        help="do not train: measure the existing checkpoint again and update its card's metrics "
                             "(after the evaluation network was retrained)")
    args = parser.parse_args(argv)
    build, train, evaluate = known[args.name]
    torch.manual_seed(0)
    model = build().to(pick_device(args.device))
    if args.remeasure:
        card = load_checkpoint(model, args.name, args.directory)
        card["metrics"] = evaluate(model)
        _write_card(_paths(args.name, args.directory)[1], card)
    else:
        card = train_and_save(model, args.name, train, args.directory)
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
