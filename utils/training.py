"""The training loops of the course.

`fit` trains a model on one loss, `fit_gan` a generator against a discriminator. Both show a tqdm
progress bar, redraw the loss curves in place when run in a notebook, and on CUDA run the forward
pass in mixed precision. Saving and loading what they train is `utils.checkpoints`.

Under torchrun (several processes, one per GPU, on one machine or several) `fit` trains with
PyTorch's DistributedDataParallel: every process builds the same batch, keeps its own share of it,
and the gradients are averaged across processes before each step, so the processes train the same
weights one process would train on the whole batch (`python -m utils.train` joins the process group).
"""
import math
import time

import matplotlib.pyplot as plt
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from utils.display import plot_curves
from utils.video import check_model, describe


def to_device(batch, device):
    """Move a tensor, or the tensors inside a dict / list / tuple, to `device`."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


def rank_and_size():
    """(this process's rank, the number of processes): (0, 1) outside a torchrun process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def shard(batch, rank, size):
    """Process `rank`'s share of a batch: the rank-th of `size` equal slices along dim 0 of each
    tensor (inside a dict / list / tuple too)."""
    if size == 1:
        return batch
    if isinstance(batch, torch.Tensor):
        if len(batch) % size:
            raise ValueError(f"a batch of {len(batch)} cannot be split evenly across {size} processes; "
                             f"expected a batch size divisible by {size}")
        return batch.chunk(size)[rank]
    if isinstance(batch, dict):
        return {k: shard(v, rank, size) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(shard(v, rank, size) for v in batch)
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
        plot_every=None, desc="training", progress=True, cpu_budget=None, wall_budget=None, report=None,
        report_every=None):
    """Train `model` for `steps` optimiser steps; return the list of losses.

    loss_fn(model, batch) → scalar loss. batches: an iterable of batches, or a function
    step → batch (handy for generated data). cosine=True lowers the learning rate from lr to 0
    along a half cosine. progress=False hides the progress bar, for a loop that shows its own.
    cpu_budget=S stops once this process has used S CPU-seconds (all its threads together), even
    before `steps`, and the cosine then runs along the budget: how models are compared at equal
    compute (benchmarks/equal_compute.py). wall_budget=S does the same with S seconds of the
    clock on the wall, reports included: a GPU run that must end within a time limit.
    report(steps_done, model) is called every `report_every` steps, the model in eval mode: a
    held-out measurement along the way.
    On CUDA the forward pass runs in bfloat16 (or float16 with loss scaling where bfloat16 is
    not supported).
    Under torchrun, `batches` gives the whole batch (the same in every process) and each process
    trains on its share; the losses are those of the whole batch. loss_fn then receives the
    DistributedDataParallel wrapper, so it must call the model's forward, not reach into its parts.
    A budget ends for every process when the first has spent it.
    """
    check_model(model, torch.nn.Module)
    batch_at = _batch_source(batches, steps)
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device).train()
    if report is not None and not (isinstance(report_every, int) and report_every > 0):
        raise ValueError(f"report_every: expected a positive number of steps between reports; got {report_every!r}")
    if cpu_budget is not None and wall_budget is not None:
        raise ValueError(f"expected one budget, cpu_budget or wall_budget; got both ({cpu_budget}, {wall_budget})")
    budget, clock = (cpu_budget, time.process_time) if wall_budget is None else (wall_budget, time.perf_counter)
    rank, processes = rank_and_size()
    trained = model if processes == 1 else DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    amp_dtype = _autocast_dtype(device)
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps) if cosine and budget is None else None
    base_lrs = [group["lr"] for group in optimizer.param_groups]
    start = clock()
    curves = _LiveCurves(desc, plot_every or max(steps // 10, 1), live_plot and rank == 0)
    losses = []
    bar = tqdm(range(steps) if budget is None else iter(range(steps)), desc=desc,  # no total under a budget
               disable=not progress or rank != 0)
    for step in bar:
        if budget is not None:
            spent = _share_spent((clock() - start) / budget, processes, device)
            if spent >= 1:
                break
            if cosine:
                for group, base_lr in zip(optimizer.param_groups, base_lrs):
                    group["lr"] = base_lr * 0.5 * (1 + math.cos(math.pi * spent))
        batch = batch_at(step)
        with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            try:
                loss = _checked_loss(loss_fn(trained, to_device(shard(batch, rank, processes), device)), step)
            except AttributeError as error:
                if processes == 1:
                    raise
                raise TypeError(f"under torchrun the loss receives the DistributedDataParallel wrapper, which has only "
                                f"the model's forward: this loss reaches into the model ({error})") from error
        whole_batch_loss = loss.detach().float()
        if processes > 1:  # every process then sees the same loss, and stops on the same step
            dist.all_reduce(whole_batch_loss)
            whole_batch_loss /= processes
        if not torch.isfinite(whole_batch_loss):
            raise FloatingPointError(f"loss became {whole_batch_loss.item()} at step {step}; lower the learning rate ({lr})")
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if schedule is not None:
            schedule.step()
        losses.append(whole_batch_loss.item())
        bar.set_postfix(loss=f"{losses[-1]:.4g}")
        curves.update(step, {"loss": losses}, last=step + 1 == steps)
        if report is not None and (step + 1) % report_every == 0:
            model.eval()
            report(step + 1, model)
            model.train()
    if len(losses) < steps:  # stopped by the budget: show the curve to its end
        curves.update(len(losses) - 1, {"loss": losses}, last=True)
    curves.close()
    model.eval()
    return losses


def _batch_source(batches, steps):
    """batches (an iterable of batches, or a function step → batch) → a function step → batch that
    says what went wrong: one batch given for all, batches run out, None, an empty batch."""
    if isinstance(batches, dict):
        raise TypeError("batches: expected an iterable of batches or a function step → batch; got one batch (a dict). "
                        "To train on it at every step, pass itertools.repeat(batch).")
    if not callable(batches) and not hasattr(batches, "__iter__"):
        raise TypeError(f"batches: expected an iterable of batches or a function step → batch; got {describe(batches)}")
    iterator = None if callable(batches) else iter(batches)

    def batch_at(step):
        batch = batches(step) if iterator is None else next(iterator, None)
        if batch is None and iterator is not None:
            raise ValueError(f"batches: ran out after {step} batches, and training needs one per step ({steps} steps). "
                             f"Pass fewer steps, more batches, or a function step → batch.")
        if batch is None:
            raise ValueError(f"batches({step}) returned None: expected a batch. Does the function end with return?")
        sizes = [len(value) for value in (batch.values() if isinstance(batch, dict) else [batch])
                 if isinstance(value, torch.Tensor) and value.ndim]
        if sizes and min(sizes) == 0:
            raise ValueError(f"the batch of step {step} is empty (0 examples): did a slice run past the end of the data? "
                             f"Make more data, or train for fewer steps.")
        return batch
    return batch_at


def _checked_loss(loss, step):
    if not isinstance(loss, torch.Tensor):
        hint = " Return the tensor itself, not loss.item()." if isinstance(loss, float) else ""
        raise TypeError(f"the loss function returned {describe(loss)} at step {step}: expected a scalar tensor.{hint}")
    if loss.numel() != 1:
        raise ValueError(f"the loss function returned a tensor of shape {tuple(loss.shape)} at step {step}: expected one "
                         f"number to minimise. Reduce it, e.g. with .mean().")
    return loss


def _share_spent(share, processes, device):
    """The share of the budget spent. Under torchrun each process reads its own clock, and every
    process takes the largest share, so that all of them stop on the same step."""
    if processes == 1:
        return share
    share = torch.tensor([share], dtype=torch.float64, device=device)
    dist.all_reduce(share, op=dist.ReduceOp.MAX)
    return share.item()


def training_compute(parameters, tokens_seen):
    """Training FLOPs by the usual rule (Kaplan et al. 2020): ≈ 6 × parameters × tokens seen
    (2 for the forward pass, 4 for the backward)."""
    return 6 * parameters * tokens_seen


def final_loss(losses, last=50, digits=4):
    """The mean loss over the last `last` steps (all of them in a shorter run), for a model card."""
    return round(sum(losses[-last:]) / len(losses[-last:]), digits)


def final_losses(history, last=50):
    """final_loss of each named loss of a history."""
    return {name: final_loss(values, last) for name, values in history.items()}


def fit_gan(gan, train_step, batches, steps, lr=2e-4, lr_discriminator=None, betas=(0.5, 0.999), device=None,
            live_plot=True, plot_every=None, desc="GAN"):
    """Train gan.generator and gan.discriminator, each with its own Adam (betas as DCGAN; the
    discriminator's learning rate is `lr` unless given), by calling
    train_step(gan, optimizer_g, optimizer_d, batches(step)) → {"discriminator": loss, ...}
    `steps` times. Returns the history of each loss. On CUDA the steps run in bfloat16 autocast."""
    if rank_and_size()[1] > 1:
        raise RuntimeError("fit_gan trains in one process (its generator and discriminator are not wrapped in "
                           "DistributedDataParallel): run this recipe without torchrun")
    check_model(gan, torch.nn.Module, "gan")
    if not all(isinstance(getattr(gan, part, None), torch.nn.Module) for part in ("generator", "discriminator")):
        raise TypeError(f"gan: expected a GAN with a .generator and a .discriminator (VideoGAN, Pix2Pix, MoCoGAN, CycleGAN); "
                        f"got a {type(gan).__name__}")
    batch_at = _batch_source(batches, steps)
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
            losses = train_step(gan, optimizer_g, optimizer_d, to_device(batch_at(step), device))
        if not isinstance(losses, dict):
            raise TypeError(f"train_step returned {describe(losses)} at step {step}: expected the step's losses as "
                            f"{{name: number}}, e.g. {{'discriminator': 0.69, 'generator': 0.71}}")
        for name, value in losses.items():
            if not math.isfinite(value):
                raise FloatingPointError(f"{name} loss became {value} at step {step}; lower the learning rate ({lr})")
            history.setdefault(name, []).append(value)
        progress.set_postfix({name: f"{value:.3g}" for name, value in losses.items()})
        curves.update(step, history, last=step + 1 == steps)
    curves.close()
    gan.eval()
    return history
