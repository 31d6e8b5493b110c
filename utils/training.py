"""The training loops of the course.

`fit` trains a model on one loss, `fit_gan` a generator against a discriminator. Both show a tqdm
progress bar, redraw the loss curves in place when run in a notebook, and on CUDA run the forward
pass in mixed precision. Saving and loading what they train is `utils.checkpoints`.
"""
import math
import time

import matplotlib.pyplot as plt
import torch
from tqdm.auto import tqdm

from utils.display import plot_curves


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
        plot_every=None, desc="training", progress=True, cpu_budget=None):
    """Train `model` for `steps` optimiser steps; return the list of losses.

    loss_fn(model, batch) → scalar loss. batches: an iterable of batches, or a function
    step → batch (handy for generated data). cosine=True lowers the learning rate from lr to 0
    along a half cosine. progress=False hides the progress bar, for a loop that shows its own.
    cpu_budget=S stops once this process has used S CPU-seconds (all its threads together), even
    before `steps`, and the cosine then runs along the budget: how models are compared at equal
    compute (benchmarks/equal_compute.py).
    On CUDA the forward pass runs in bfloat16 (or float16 with loss scaling where bfloat16 is
    not supported).
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device).train()
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    amp_dtype = _autocast_dtype(device)
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps) if cosine and cpu_budget is None else None
    base_lrs = [group["lr"] for group in optimizer.param_groups]
    start_cpu = time.process_time()
    batch_iterator = None if callable(batches) else iter(batches)
    curves = _LiveCurves(desc, plot_every or max(steps // 10, 1), live_plot)
    losses = []
    bar = tqdm(range(steps) if cpu_budget is None else iter(range(steps)), desc=desc, disable=not progress)  # no total under a budget
    for step in bar:
        if cpu_budget is not None:
            spent = (time.process_time() - start_cpu) / cpu_budget
            if spent >= 1:
                break
            if cosine:
                for group, base_lr in zip(optimizer.param_groups, base_lrs):
                    group["lr"] = base_lr * 0.5 * (1 + math.cos(math.pi * spent))
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
        bar.set_postfix(loss=f"{losses[-1]:.4g}")
        curves.update(step, {"loss": losses}, last=step + 1 == steps)
    if len(losses) < steps:  # stopped by the budget: show the curve to its end
        curves.update(len(losses) - 1, {"loss": losses}, last=True)
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
