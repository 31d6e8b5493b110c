"""`python -m utils.leaderboard`: every shipped MovingDigits generator on one benchmark (lesson 09).

The benchmark is lesson 03's: held-out first frames (evalnet.benchmark), each generator makes a
16-frame clip from them (Pix2Pix from the first two; MoCoGAN draws its own digit), and the
evaluation network measures the clips (evalnet.measure):

    identity kept   frames 1.. in which the network still reads the given digit          higher is better
    speed           px/frame the digit moves (real clips: about 2–4; a still frame: 0)
    FVD-lite        Fréchet distance of the clips' features to other real clips          lower is better
    MSE, SSIM       frames 1.. against the true continuation (one of many possible)     MSE lower, SSIM higher
    sharpness       mean squared difference of neighbouring pixels: blur lowers it

beside what each generator costs: seconds per clip (measured here, on this machine), parameters and
file size (with the first stage it decodes through: VideoGPT's VQ-VAE, flow matching's autoencoder)
and training time (from the cards). Two rows frame the generators: the real clips they start from
(what real video scores) and the first frame repeated (no motion at all). FVD-lite from a few
hundred clips is noisy, and biased upwards the fewer the clips: `real_fvd_spread` measures how far
other real clips are from the reference, and only numbers from the same number of clips compare.

    python -m utils.leaderboard                 the table, sorted by FVD-lite (128 clips, ~1 min on a 2-core CPU)
    python -m utils.leaderboard --clips 256     the cards' number of clips (also: make leaderboard CLIPS=256)
"""
import argparse
import time

import torch

from utils.applications.generate import ALL_DIGIT_GENERATORS, digit_clips
from utils.checkpoints import CHECKPOINTS, read_card
from utils.models.evalnet import REFERENCE_SEED, analyse, benchmark, frechet_distance, load_evaluator, measure, reference_features
from utils.video import describe

REAL, STILL = "real clips", "first frame repeated"
CONDITIONED_ON = {"pix2pix": "2 frames", "mocogan": "nothing"}   # the others: the first frame
FIRST_STAGE = {"videogpt": "vqvae", "flow_matching": "latent_autoencoder"}
LOWER_IS_BETTER = {"FVD-lite": True, "MSE": True, "identity kept": False, "SSIM": False}
QUALITY = tuple(LOWER_IS_BETTER)
COSTS = ("ms per clip", "parameters", "file MB", "training min")


def cost(name):
    """Parameters, megabytes on disk and training minutes of a generator and its first stage."""
    cards = [read_card(name)] + ([read_card(FIRST_STAGE[name])] if name in FIRST_STAGE else [])
    return {"parameters": sum(card["parameters"] for card in cards),
            "file MB": round(sum(card["file_bytes"] for card in cards) / 1e6, 2),
            "training min": round(sum(card["wall_time_s"] for card in cards) / 60, 1)}


def _row(name, videos, held_out, reference, seconds):
    """One leaderboard row from the clips a generator made; MoCoGAN's identity is its own first
    frame's digit, and it has no true continuation to compare with."""
    unconditioned = CONDITIONED_ON.get(name) == "nothing"
    measured = measure(videos, {"video": videos} if unconditioned else held_out, reference)
    return {"model": name, "given": CONDITIONED_ON.get(name, "1 frame"),
            "identity kept": measured["identity_kept"], "speed px/frame": measured["speed_px_per_frame"],
            "FVD-lite": measured["fvd_lite"],
            "MSE": float("nan") if unconditioned else measured["mse"],
            "SSIM": float("nan") if unconditioned else measured["ssim"],
            "sharpness": measured["sharpness"], "ms per clip": round(1000 * seconds / len(videos), 2)}


def measure_generators(clips=128, names=ALL_DIGIT_GENERATORS, seed=0, progress=True):
    """The leaderboard as a list of rows (dicts), measured now: `clips` held-out clips per
    generator, each generator timed after one warm-up clip; the two framing rows first."""
    from tqdm.auto import tqdm
    held_out, reference = benchmark(clips), benchmark(clips, seed=REFERENCE_SEED)["video"]
    rows = [{**_row(REAL, held_out["video"], held_out, reference, 0), "given": "—", "ms per clip": float("nan"),
             "parameters": 0, "file MB": 0.0, "training min": 0.0},
            {**_row(STILL, held_out["video"][:, :1].expand_as(held_out["video"]), held_out, reference, 0),
             "ms per clip": 0.0, "parameters": 0, "file MB": 0.0, "training min": 0.0}]
    for name in tqdm(names, desc="generators", disable=not progress):
        digit_clips(name, held_out["video"][:1], seed)   # warm-up: the first call loads the model and builds caches
        start = time.perf_counter()
        videos = torch.cat([digit_clips(name, part, seed) for part in held_out["video"].split(64)])
        rows.append({**_row(name, videos, held_out, reference, time.perf_counter() - start), **cost(name)})
    return rows


def real_fvd_spread(clips=128, seeds=range(3, 8)):
    """FVD-lite of other sets of real held-out clips against the same reference: the differences
    between generators that sampling alone makes. A list, one value per seed."""
    evaluator, reference = load_evaluator(), benchmark(clips, seed=REFERENCE_SEED)["video"]
    return [round(frechet_distance(analyse(evaluator, benchmark(clips, seed=seed)["video"])[2],
                                   reference_features(evaluator, reference)), 2) for seed in seeds]


def card_measures(name):
    """The benchmark's measures as a generator's card holds them: 256 clips, measured when it was
    trained (ConvLSTM's under image_to_video, Pix2Pix's with the prefix rollout_)."""
    metrics = read_card(name)["metrics"]
    if name == "convlstm":
        return metrics["image_to_video"]
    if name == "pix2pix":
        return {key.removeprefix("rollout_"): value for key, value in metrics.items() if key.startswith("rollout_")}
    return metrics


def generators(rows):
    """The rows of the generators, without the two framing rows."""
    if not (isinstance(rows, list) and all(isinstance(row, dict) and "model" in row for row in rows)):
        hint = " A table? Pass the rows it was made from (measure_generators' list)." if hasattr(rows, "columns") else ""
        raise TypeError(f"rows: expected the list of rows (dicts) that measure_generators returns; got {describe(rows)}.{hint}")
    return [row for row in rows if row["model"] not in (REAL, STILL)]


def _check_column(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def ranking(rows, metric):
    """The generators best first by `metric` (see LOWER_IS_BETTER); those it does not apply to
    (NaN: MoCoGAN has no true continuation) are left out."""
    _check_column(metric, "metric", QUALITY)
    measured = [row for row in generators(rows) if row[metric] == row[metric]]
    return [row["model"] for row in sorted(measured, key=lambda row: row[metric], reverse=not LOWER_IS_BETTER[metric])]


def pareto_front(points):
    """points: {name: (quality, cost)}, both lower is better → the names no other point beats on
    both (at least as good on each, better on one), cheapest first: the choices worth making."""
    if not isinstance(points, dict) or not all(isinstance(point, tuple) and len(point) == 2 for point in points.values()):
        raise ValueError(f"points: expected {{name: (quality, cost)}}, e.g. {{'vgan': (2.47, 41.0)}}; got {describe(points)}")
    def beaten(name):
        q, c = points[name]
        return any(q2 <= q and c2 <= c and (q2, c2) != (q, c) for q2, c2 in points.values())
    return sorted((name for name in points if not beaten(name)), key=lambda name: points[name][::-1])


def kendall_tau(first, second):
    """Kendall's rank correlation of two orderings of the same names (best first): the share of
    pairs they put in the same order minus the share they swap; +1 same order, −1 reversed."""
    if len(first) < 2 or sorted(first) != sorted(second):
        raise ValueError(f"expected two orderings of the same two or more names; got {first} and {second}")
    position = {name: i for i, name in enumerate(second)}
    pairs = [(a, b) for i, a in enumerate(first) for b in first[i + 1:]]
    return sum(1 if position[a] < position[b] else -1 for a, b in pairs) / len(pairs)


def mean_rank(rankings):
    """rankings: {metric: names best first} → [(name, mean position)], best first; position 1 is
    the best; a name is averaged over the rankings that hold it."""
    places = {}
    for names in rankings.values():
        for place, name in enumerate(names, start=1):
            places.setdefault(name, []).append(place)
    return sorted(((name, sum(p) / len(p)) for name, p in places.items()), key=lambda item: (item[1], item[0]))


def plot_tradeoff(rows, cost, quality="FVD-lite", noise=None, ax=None):
    """Each generator's `quality` against its `cost` (log scale), the Pareto front joined, and
    the band real clips span (`noise`: (low, high)) shaded: below its top, a generator is as close
    to real as sampling allows."""
    import matplotlib.pyplot as plt
    _check_column(quality, "quality", QUALITY)
    _check_column(cost, "cost", COSTS)
    ax = ax or plt.subplots(figsize=(5.5, 4))[1]
    points = {row["model"]: (row[quality], row[cost]) for row in generators(rows)}
    front = pareto_front(points)
    if noise:
        ax.axhspan(*noise, color="tab:green", alpha=0.15, label="real clips vs real clips")
    ax.plot([points[n][1] for n in front], [points[n][0] for n in front], "--", color="tab:red", label="Pareto front")
    for name, (q, c) in points.items():
        ax.scatter(c, q, color="tab:red" if name in front else "tab:blue", zorder=3)
        ax.annotate(name, (c, q), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel(f"{cost} (log scale)")
    ax.set_ylabel(f"{quality} ({'lower' if LOWER_IS_BETTER[quality] else 'higher'} is better)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def format_table(rows):
    """The rows as an aligned text table, sorted by FVD-lite (framing rows first)."""
    columns = list(rows[0])
    ordered = [row for row in rows if row["model"] in (REAL, STILL)] + sorted(generators(rows), key=lambda row: row["FVD-lite"])
    cells = [[f"{row[c]:,}" if isinstance(row[c], int) else "—" if row[c] != row[c] else f"{row[c]:g}"
              if isinstance(row[c], float) else str(row[c]) for c in columns] for row in ordered]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths))]
    return "\n".join(lines + ["  ".join(v.rjust(w) for v, w in zip(line, widths)) for line in cells])


def main(argv=None):
    """Measure every shipped MovingDigits generator on the held-out benchmark and print the table."""
    parser = argparse.ArgumentParser(prog="python -m utils.leaderboard", description=main.__doc__)
    parser.add_argument("--clips", type=int, default=128, help="held-out clips per generator (default 128; the cards use 256)")
    args = parser.parse_args(argv)
    if args.clips < 2:
        parser.error(f"--clips must be at least 2 (FVD-lite fits a Gaussian); got {args.clips}")
    with torch.no_grad():
        rows, spread = measure_generators(args.clips), real_fvd_spread(args.clips)
    print(format_table(rows))
    print(f"\nOther sets of real clips against the reference: FVD-lite {min(spread):g} to {max(spread):g}. "
          "A generator inside that band is as close to real as this many clips can tell.")
    print(f"{args.clips} held-out clips per generator; checkpoints from {CHECKPOINTS}; "
          f"ms per clip measured now on {torch.get_num_threads()} CPU thread(s).")
    for cost in ("ms per clip", "parameters"):
        front = pareto_front({row["model"]: (row["FVD-lite"], row[cost]) for row in generators(rows)})
        print(f"Pareto front, FVD-lite against {cost}: {' → '.join(front)}")


if __name__ == "__main__":
    main()
