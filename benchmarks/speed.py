"""How fast the shipped models are on this machine: sampling one 16-frame 64×64 clip from a
loaded checkpoint, and one training step at the recipe's batch size.

    python benchmarks/speed.py                 # best device (CUDA → MPS → CPU)
    python benchmarks/speed.py --device cpu

Prints the median of several runs after a warm-up. Speed is measured here, not in the tests.
"""
import argparse
import statistics
import time

import torch

from utils import convlstm, evalnet, train, vgan
from utils.runtime import pick_device


def _median_seconds(fn, device, repeats):
    fn()  # warm-up: first calls allocate and pick kernels
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sampling(device, repeats):
    first = evalnet.benchmark(1)["video"][:, 0].to(device)  # (1, 1, 64, 64)
    predictor, gan = convlstm.ConvLSTMPredictor(), vgan.VideoGAN()
    train.load_checkpoint(predictor, "convlstm")
    train.load_checkpoint(gan, "vgan")
    predictor.to(device), gan.to(device)
    with torch.no_grad():
        return {"convlstm": _median_seconds(lambda: predictor(first[:, None], 15), device, repeats),
                "vgan": _median_seconds(lambda: gan.generator(first), device, repeats)}


def training_step(device, repeats):
    torch.manual_seed(0)
    predictor, gan = convlstm.ConvLSTMPredictor().to(device), vgan.VideoGAN().to(device)
    clips = evalnet.benchmark(16, num_frames=20, split="train")["video"].to(device)
    gan_batch = {key: value.to(device) for key, value in evalnet.benchmark(16, split="train").items()}
    optimizer = torch.optim.Adam(predictor.parameters())
    optimizer_g = torch.optim.Adam(gan.generator.parameters())
    optimizer_d = torch.optim.Adam(gan.discriminator.parameters())

    def convlstm_step():
        loss = convlstm.prediction_loss(predictor, {"video": clips, "context": 10})
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return {"convlstm": _median_seconds(convlstm_step, device, repeats),
            "vgan": _median_seconds(lambda: vgan.train_step(gan, optimizer_g, optimizer_d, gan_batch), device, repeats)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    device = pick_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} CPU threads"
    print(f"device: {device} ({name}), torch {torch.__version__}")
    for model, seconds in sampling(device, args.repeats).items():
        print(f"sample one 16-frame 64×64 clip  {model:9s} {1000 * seconds:8.1f} ms")
    for model, seconds in training_step(device, args.repeats).items():
        print(f"one training step (batch 16)     {model:9s} {1000 * seconds:8.1f} ms")


if __name__ == "__main__":
    main()
