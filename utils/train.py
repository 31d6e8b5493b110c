"""`python -m utils.train NAME`: train one shipped model with its fixed recipe and seed.

This is the one module that imports every model: the registry of recipes sits on top of the
package, so nothing below it imports it back. Each recipe is the model family's own `train` and
`evaluate`; this module only looks them up, times the run and writes the checkpoint and its card
(`utils.checkpoints`).

    python -m utils.train convlstm                  retrain the shipped ConvLSTM (writes data/checkpoints/)
    python -m utils.train convlstm --steps 20 --directory /tmp/try --device cuda
    python -m utils.train vgan --remeasure          re-measure the shipped checkpoint's card
    torchrun --nproc_per_node 8 -m utils.train videogpt --device cuda    the same, on 8 GPUs

It needs only torch, torchvision, numpy, scipy, scikit-learn, scikit-image, einops, safetensors,
tqdm and matplotlib — what a typical GPU image holds: PyAV and IPython are imported only by the
code that reads video files or shows things in a notebook.
"""
import argparse
import json

import torch
import torch.distributed as dist

from utils.applications import detector
from utils.checkpoints import CHECKPOINTS, load_checkpoint, train_and_save, write_card
from utils.models import (caption_to_video, convlstm, cyclegan, evalnet, flow_matching, interpolator, latent_autoencoder, mocogan,
                          pix2pix, shape_classifier, simvp, space_time_transformer, svg, vgan, videogpt, vqvae)
from utils.runtime import join_torchrun

# name → (build the model, train(model, **options) → card, evaluate(model) → metrics)
RECIPES = {
    "evalnet": (evalnet.VideoClassifier, evalnet.train, evalnet.evaluate),
    "convlstm": (convlstm.ConvLSTMPredictor, convlstm.train, convlstm.evaluate),
    "simvp": (simvp.SimVP, simvp.train, simvp.evaluate),
    "vgan": (vgan.VideoGAN, vgan.train, vgan.evaluate),
    "pix2pix": (pix2pix.Pix2Pix, pix2pix.train, pix2pix.evaluate),
    "cyclegan": (cyclegan.CycleGAN, cyclegan.train, cyclegan.evaluate),
    "cyclegan_temporal": (cyclegan.CycleGAN, cyclegan.train_temporal, cyclegan.evaluate),
    "mocogan": (mocogan.MoCoGAN, mocogan.train, mocogan.evaluate),
    "svg": (svg.StochasticPredictor, svg.train, svg.evaluate),
    "vqvae": (vqvae.VQVAE, vqvae.train, vqvae.evaluate),
    "videogpt": (videogpt.VideoGPT, videogpt.train, videogpt.evaluate),
    "latent_autoencoder": (latent_autoencoder.LatentAutoencoder, latent_autoencoder.train, latent_autoencoder.evaluate),
    "flow_matching": (space_time_transformer.SpaceTimeTransformer, flow_matching.train, flow_matching.evaluate),
    "shape_classifier": (shape_classifier.ShapeClassifier, shape_classifier.train, shape_classifier.evaluate),
    "caption_to_video": (caption_to_video.CaptionToVideo, caption_to_video.train, caption_to_video.evaluate),
    "frame_interpolator": (interpolator.IFNet, interpolator.train, interpolator.evaluate),
    "detector": (detector.Detector, detector.train, detector.evaluate),
}


def main(argv=None):
    """Train a shipped model from scratch with its fixed recipe and seed; write its checkpoint and card."""
    parser = argparse.ArgumentParser(prog="python -m utils.train", description=main.__doc__)
    parser.add_argument("name", choices=sorted(RECIPES), help="the checkpoint to (re)train")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best available)")
    parser.add_argument("--directory", default=str(CHECKPOINTS), help="where to write NAME.safetensors and NAME.json")
    parser.add_argument("--steps", type=int, default=None,
                        help="optimiser steps (default: the recipe's own; fewer for a quick try, which the card records)")
    parser.add_argument("--remeasure", action="store_true",
                        help="do not train: measure the existing checkpoint again and update its card's metrics "
                             "(after the evaluation network was retrained)")
    args = parser.parse_args(argv)
    if args.steps is not None and args.steps < 1:
        parser.error(f"--steps must be a positive number of optimiser steps; got {args.steps}")
    build, train, evaluate = RECIPES[args.name]
    torch.manual_seed(0)
    device = join_torchrun(args.device)
    if args.remeasure and dist.is_initialized():
        parser.error("--remeasure measures on one device: run it without torchrun")
    model = build().to(device)
    if args.remeasure:
        card = load_checkpoint(model, args.name, args.directory)
        card["metrics"] = evaluate(model)
        write_card(args.name, card, args.directory)
    else:
        options = {} if args.steps is None else {"steps": args.steps}
        card = train_and_save(model, args.name, lambda m: train(m, **options), args.directory)
    if not dist.is_initialized() or dist.get_rank() == 0:
        print(json.dumps(card, indent=2, ensure_ascii=False))
    if dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
