"""The video predictors at equal compute: each trained from scratch with its own recipe on one CPU
thread for the same number of CPU-seconds, then measured on the 10 → 10 Moving MNIST benchmark
(evalnet.prediction_metrics). The cards of the shipped checkpoints record these runs under
"equal_compute", so that models trained for different times can still be compared fairly.

    python benchmarks/equal_compute.py                       # convlstm and simvp, 300 CPU-s each (~11 min)
    python benchmarks/equal_compute.py simvp --budget 60     # a quick look
    python benchmarks/equal_compute.py --write-cards         # record the runs on the shipped cards

The number of steps a budget buys depends on the processor and on its load, so the figures move
from machine to machine and run to run; the card records the steps, the CPU and the date with them.
The two models are compared at equal compute with their own recipes: the ConvLSTM's also trains it
for image-to-video (contexts of 1..10 frames), SimVP's only for 10 → 10.
"""
import argparse
import datetime
import json
import platform

import torch

from utils.checkpoints import read_card, write_card
from utils.models import convlstm, simvp

PREDICTORS = {"convlstm": (convlstm.ConvLSTMPredictor, convlstm.train), "simvp": (simvp.SimVP, simvp.train)}
REPORTED = ("mse_10_to_10", "ssim_10_to_10", "mse_per_horizon", "sharpness", "seconds_per_clip")


def processor():
    """The CPU's model name where the system says it (Linux), else its architecture."""
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def run(name, budget):
    """Train NAME from scratch for `budget` CPU-seconds on one thread; return the card's entry."""
    build, train = PREDICTORS[name]
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = build()
    card = train(model, steps=100_000, cpu_budget=budget)
    return {"cpu_seconds": budget, "threads": 1, "steps": card["recipe"]["steps"],
            "parameters": sum(p.numel() for p in model.parameters()),
            **{key: card["metrics"][key] for key in REPORTED},
            "processor": processor(), "torch": torch.__version__,
            "date": datetime.date.today().isoformat()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"which predictors (default: all of {', '.join(PREDICTORS)})")
    parser.add_argument("--budget", type=float, default=300, help="CPU-seconds of training per model (default 300)")
    parser.add_argument("--write-cards", action="store_true", help="record each run on data/checkpoints/NAME.json")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(PREDICTORS))
    if unknown:
        parser.error(f"unknown predictor(s) {', '.join(unknown)}; expected some of {', '.join(PREDICTORS)}")
    if args.budget <= 0:
        parser.error(f"--budget must be a positive number of CPU-seconds; got {args.budget}")
    for name in args.names or PREDICTORS:
        entry = run(name, args.budget)
        print(json.dumps({name: entry}))
        if args.write_cards:
            card = read_card(name)
            card["equal_compute"] = entry
            write_card(name, card)


if __name__ == "__main__":
    main()
