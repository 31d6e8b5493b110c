"""Caption agreement of the shipped caption-to-video model against the guidance scale, on more
clips than the card's metrics (which the tests reproduce, so they stay small). The card records
this run under "guidance_sweep"; lesson 07 reads it.

    python benchmarks/caption_guidance.py                          # 16 clips per caption, w = 0 1 2 3 5 (~6 min)
    python benchmarks/caption_guidance.py --per-caption 2 --guidances 1 3     # a quick look
    python benchmarks/caption_guidance.py --write-card             # record the run on the card
"""
import argparse
import datetime
import json
import time

import torch

from utils.checkpoints import load_checkpoint, read_card, write_card
from utils.models import caption_to_video
from utils.models.flow_matching import STEPS


def run(per_caption, guidances):
    """Agreement at each scale, `per_caption` clips per caption; the card's entry."""
    model = caption_to_video.CaptionToVideo()
    load_checkpoint(model, "caption_to_video")
    start = time.perf_counter()
    metrics = caption_to_video.guidance_agreement(model, per_caption, guidances, torch.Generator().manual_seed(0))
    held_out = len(caption_to_video.HELD_OUT_CAPTIONS)
    return {"clips_per_caption": per_caption, "seen_clips": per_caption * (len(caption_to_video.ALL_CAPTIONS) - held_out),
            "held_out_clips": per_caption * held_out, "steps": STEPS, "metrics": metrics,
            "seconds": round(time.perf_counter() - start, 1), "torch": torch.__version__,
            "date": datetime.date.today().isoformat()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-caption", type=int, default=16, help="clips per caption (default 16)")
    parser.add_argument("--guidances", type=float, nargs="+", default=[0.0, 1.0, 2.0, caption_to_video.CAPTION_GUIDANCE, 5.0],
                        help="guidance scales (default 0 1 2 3 5)")
    parser.add_argument("--write-card", action="store_true", help="record the run on data/checkpoints/caption_to_video.json")
    args = parser.parse_args(argv)
    if args.per_caption < 1:
        parser.error(f"--per-caption must be a positive number of clips; got {args.per_caption}")
    if any(w < 0 for w in args.guidances):
        parser.error(f"--guidances must be scales ≥ 0; got {args.guidances}")
    entry = run(args.per_caption, args.guidances)
    print(json.dumps(entry, indent=1))
    if args.write_card:
        card = read_card("caption_to_video")
        card["guidance_sweep"] = entry
        write_card("caption_to_video", card)


if __name__ == "__main__":
    main()
