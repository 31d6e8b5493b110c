"""How fast the shipped models are on this machine: sampling one 16-frame 64×64 clip from a
loaded checkpoint (each model's own task: from a frame, two frames, noise, or translating a clip),
10 frames from 10 for the two predictors of lesson 03, and one training step at batch 16.

    python benchmarks/speed.py                 # best device (CUDA → MPS → CPU)
    python benchmarks/speed.py --device cpu

Prints the median of several runs after a warm-up. Speed is measured here, not in the tests.
"""
import argparse
import statistics
import time

import torch

from utils import checkpoints, training
from utils.models import (convlstm, cyclegan, evalnet, flow_matching, latent_autoencoder, mocogan, pix2pix,
                          simvp, space_time_transformer, svg, vgan, videogpt, vqvae)
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


def _loaded(build, name, device):
    model = build()
    checkpoints.load_checkpoint(model, name)
    return model.to(device).eval()


def sampling(device, repeats):
    """name → seconds to produce one 16-frame clip (each model's own task: see lesson 04's table),
    and for the two predictors 10 frames from 10."""
    clip = evalnet.benchmark(1)["video"].to(device)                                 # (1, 16, 1, 64, 64)
    first, two = clip[:, 0], clip[:, :2]
    predictor, gan = _loaded(convlstm.ConvLSTMPredictor, "convlstm", device), _loaded(vgan.VideoGAN, "vgan", device)
    p2p, cycle = _loaded(pix2pix.Pix2Pix, "pix2pix", device), _loaded(cyclegan.CycleGAN, "cyclegan_temporal", device)
    moco, vae = _loaded(mocogan.MoCoGAN, "mocogan", device), _loaded(svg.StochasticPredictor, "svg", device)
    gpt, tokenizer = _loaded(videogpt.VideoGPT, "videogpt", device), videogpt.load_tokenizer().to(device)
    flow = _loaded(space_time_transformer.SpaceTimeTransformer, "flow_matching", device)   # its autoencoder follows it to the device
    simvp_net, ten_frames = _loaded(simvp.SimVP, "simvp", device), evalnet.benchmark(1, num_frames=10)["video"].to(device)
    jobs = {"convlstm": lambda: predictor(first[:, None], 15),
            "convlstm (10 given → 10)": lambda: predictor(ten_frames, 10),
            "simvp (10 given → 10)": lambda: simvp_net(ten_frames),
            "vgan": lambda: gan.generator(first),
            "pix2pix": lambda: pix2pix.rollout(p2p, two),
            "cyclegan": lambda: cyclegan.translate(cycle, clip),
            "mocogan": lambda: moco(*mocogan.random_codes(1, device=device)),
            "svg": lambda: vae(first),
            "videogpt": lambda: videogpt.generate(gpt, tokenizer, first),
            f"flow (image, {flow_matching.STEPS} steps, guided)": lambda: flow_matching.image_to_video(flow, first),
            f"flow (label, {flow_matching.STEPS} steps, guided)": lambda: flow_matching.label_to_video(flow, torch.tensor([3], device=device))}
    with torch.no_grad():
        return {name: _median_seconds(job, device, repeats) for name, job in jobs.items()}


def _step(model, loss_fn, batch):
    optimizer = torch.optim.Adam(model.parameters())

    def step():
        loss = loss_fn(model, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def _gan_step(gan, train_step, batch):
    optimizer_g, optimizer_d = torch.optim.Adam(gan.generator.parameters()), torch.optim.Adam(gan.discriminator.parameters())
    return lambda: train_step(gan, optimizer_g, optimizer_d, batch)


def training_step(device, repeats):
    """name → seconds for one training step at batch 16 (CycleGAN: 16 pairs of frames)."""
    torch.manual_seed(0)
    on = lambda batch: training.to_device(batch, device)
    clips = on(evalnet.benchmark(16, split="train"))
    long_clips = on(evalnet.benchmark(16, num_frames=20, split="train"))
    clips17 = on(evalnet.benchmark(16, num_frames=vqvae.FRAMES, split="train"))
    cycle_batch = on(cyclegan.training_batch(clips, evalnet.benchmark(16, split="train", seed=5), torch.Generator().manual_seed(0)))
    tokens = on({"tokens": torch.randint(vqvae.CODES, (16, videogpt.SEQUENCE))})
    latents = on({"latent": torch.randn(16, space_time_transformer.LATENT_FRAMES, latent_autoencoder.LATENT_CHANNELS, 8, 8), "labels": torch.arange(16) % 10})
    jobs = {"convlstm": _step(convlstm.ConvLSTMPredictor().to(device), convlstm.prediction_loss, {**long_clips, "context": 10}),
            "simvp": _step(simvp.SimVP().to(device), simvp.prediction_loss, long_clips),
            "vgan": _gan_step(vgan.VideoGAN().to(device), vgan.train_step, clips),
            "pix2pix": _gan_step(pix2pix.Pix2Pix().to(device), pix2pix.train_step, {"video": clips["video"][:, :3]}),
            "cyclegan": _gan_step(cyclegan.CycleGAN().to(device), lambda *a: cyclegan.train_step(*a, temporal_weight=1.0), cycle_batch),
            "mocogan": _gan_step(mocogan.MoCoGAN().to(device), mocogan.train_step, clips),
            "svg": _step(svg.StochasticPredictor().to(device), lambda m, b: svg.elbo_loss(m, b)[0], clips),
            "vqvae": _step(vqvae.VQVAE().to(device), vqvae.vqvae_loss, clips17),
            "videogpt": _step(videogpt.VideoGPT().to(device), videogpt.next_token_loss, tokens),
            "autoencoder": _step(latent_autoencoder.LatentAutoencoder().to(device), latent_autoencoder.autoencoder_loss, clips17),
            "flow": _step(space_time_transformer.SpaceTimeTransformer().to(device), flow_matching.flow_matching_loss, latents)}
    return {name: _median_seconds(job, device, repeats) for name, job in jobs.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    device = pick_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} CPU threads"
    print(f"device: {device} ({name}), torch {torch.__version__}")
    for model, seconds in sampling(device, args.repeats).items():
        print(f"sample one 64×64 clip           {model:30s} {1000 * seconds:8.1f} ms")
    for model, seconds in training_step(device, args.repeats).items():
        print(f"one training step (batch 16)     {model:30s} {1000 * seconds:8.1f} ms")


if __name__ == "__main__":
    main()
