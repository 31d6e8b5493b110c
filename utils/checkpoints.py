"""Checkpoints: safetensors weights with a JSON model card, in data/checkpoints/.

A checkpoint is two files:
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

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from utils.data import DATA

CHECKPOINTS = DATA / "checkpoints"


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, corrupt, altered, or made for another model."""



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
    write_card(name, card, directory)
    return card


def write_card(name, card, directory=CHECKPOINTS):
    """Write the model card NAME.json (for example with re-measured metrics)."""
    _paths(name, directory)[1].write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")


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
