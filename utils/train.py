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


def fit(model, loss_fn, batches, steps, lr=1e-3, optimizer=None, device=None, live_plot=True,
        plot_every=None, desc="training"):
    """Train `model` for `steps` optimiser steps; return the list of losses.

    loss_fn(model, batch) → scalar loss. batches: an iterable of batches, or a function
    step → batch (handy for generated data). On CUDA the forward pass runs in bfloat16 (or
    float16 with loss scaling where bfloat16 is not supported).
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device).train()
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    use_amp = device.type == "cuda"
    amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
    batch_iterator = None if callable(batches) else iter(batches)
    plot_every = plot_every or max(steps // 10, 1)
    figure, handle = None, None
    if live_plot and _in_notebook():
        from IPython.display import display

        figure, ax = plt.subplots(figsize=(5, 2.6))
        handle = display(figure, display_id=True)
    losses = []
    progress = tqdm(range(steps), desc=desc)
    for step in progress:
        batch = to_device(batches(step) if batch_iterator is None else next(batch_iterator), device)
        with torch.autocast(device.type, dtype=amp_dtype, enabled=use_amp):
            loss = loss_fn(model, batch)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss became {loss.item()} at step {step}; lower the learning rate ({lr})")
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
        progress.set_postfix(loss=f"{losses[-1]:.4g}")
        if handle is not None and ((step + 1) % plot_every == 0 or step + 1 == steps):
            ax.clear()
            plot_curves({"loss": losses}, title=desc, ax=ax)
            handle.update(figure)
    if figure is not None:
        plt.close(figure)  # already shown through the display handle
    model.eval()
    return losses


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
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    return card


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
    start = time.perf_counter()
    card = dict(train(model))
    card.setdefault("wall_time_s", round(time.perf_counter() - start, 1))
    card.setdefault("device", str(next(model.parameters()).device))
    return save_checkpoint(model, name, card, directory)
