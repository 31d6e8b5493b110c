"""Device choice, seeding, and the one-line setup report printed at the top of every notebook."""
import numbers
import os
import platform
import random
import sys

import numpy as np
import torch
import torch.distributed as dist


def pick_device(prefer=None):
    """CUDA if present, else Apple MPS, else CPU. `prefer="cpu"` forces a device."""
    if prefer is not None:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def join_torchrun(prefer=None):
    """This process's device. Under torchrun (WORLD_SIZE > 1 in the environment) join its process
    group first: NCCL and the GPU numbered LOCAL_RANK on CUDA, gloo on the CPU."""
    device = pick_device(prefer)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def seed_everything(seed):
    """Seed Python, NumPy and torch (all devices) so that a notebook re-runs identically."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed: expected a whole number ≥ 0; got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS generators


def versions():
    """The versions that matter when a result differs between two machines."""
    import skimage
    import sklearn
    import torchvision

    try:
        import av

        av_version = av.__version__
    except ImportError:
        av_version = "not installed (video files cannot be read or written)"
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "av": av_version,
        "scikit-image": skimage.__version__,
        "scikit-learn": sklearn.__version__,
    }


def setup(seed=0, device=None):
    """Pick the device, seed everything, print one line saying so, and return the device."""
    device = pick_device(device)
    seed_everything(seed)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine()
    threads = torch.get_num_threads()
    report = " | ".join(f"{k} {v}" for k, v in versions().items())
    print(f"device: {device} ({name}, {threads} CPU thread{'s' if threads != 1 else ''}) | seed {seed} | {report}", file=sys.stdout)
    return device
