"""Lesson 07's models: the latent autoencoder and the flow-matching space-time transformer —
shapes, clear errors, and the properties the lesson relies on."""
import pytest
import torch

from utils.applications import scaling
from utils.models import flow_matching, latent_autoencoder, space_time_transformer


def _randomised(model, seed=0):
    """The model with its zero-initialised layers filled in, so that every path carries signal."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            if not parameter.abs().sum():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.05)
    return model.eval()


def test_the_path_runs_from_noise_to_data_at_constant_velocity():
    x, noise = torch.rand(3, 5, 8, 8, 8), torch.randn(3, 5, 8, 8, 8)
    start, velocity = flow_matching.flow_matching_pair(x, noise, torch.zeros(3))
    end, _ = flow_matching.flow_matching_pair(x, noise, torch.ones(3))
    assert torch.equal(start, noise) and torch.allclose(end, x)
    a, _ = flow_matching.flow_matching_pair(x, noise, torch.full((3,), 0.2))
    b, _ = flow_matching.flow_matching_pair(x, noise, torch.full((3,), 0.7))
    assert torch.allclose(b - a, 0.5 * velocity, atol=1e-6)
    # one Euler step with the true velocity lands exactly on the data: the path is straight
    assert torch.allclose(flow_matching.euler_step(noise, velocity, 0.0, 1.0), x, atol=1e-6)


def test_guidance_scale_one_is_the_conditional_velocity():
    generator = torch.Generator().manual_seed(0)
    v_u, v_c = torch.randn(4, generator=generator), torch.randn(4, generator=generator)
    # absolute tolerances: v_u + (v_c − v_u) rounds in float32, which a relative test fails for values near 0
    assert torch.allclose(flow_matching.classifier_free_guidance(v_u, v_c, 1.0), v_c, atol=1e-6)
    assert torch.allclose(flow_matching.classifier_free_guidance(v_u, v_c, 3.0) - v_c, 2 * (v_c - v_u), atol=1e-5)


def test_the_untrained_network_predicts_zero_velocity_and_its_loss_is_two():
    # adaLN-Zero: v = 0 at the start, so the loss is E‖x − ε‖² = 1 + 1 for unit-scale latents
    torch.manual_seed(0)
    model = space_time_transformer.SpaceTimeTransformer()
    batch = {"latent": torch.randn(64, 5, 8, 8, 8), "labels": torch.randint(0, 10, (64,))}
    assert model(batch["latent"], torch.rand(64), None, batch["labels"]).abs().max() == 0
    assert abs(flow_matching.flow_matching_loss(model, batch).item() - 2.0) < 0.1


def test_the_network_sees_time_label_first_frame_and_other_latent_frames():
    torch.manual_seed(0)
    model = _randomised(space_time_transformer.SpaceTimeTransformer(dim=32, depth=2))
    x, t, first, labels = torch.randn(2, 5, 8, 8, 8), torch.full((2,), 0.5), torch.randn(2, 8, 8, 8), torch.tensor([3, 7])
    v = model(x, t, first, labels)
    assert v.shape == x.shape
    assert not torch.allclose(v, model(x, t + 0.2, first, labels))
    assert not torch.allclose(v, model(x, t, first, torch.tensor([4, 7])))
    assert not torch.allclose(v, model(x, t, None, labels))
    changed = x.clone()
    changed[:, 4, :, :2, :2] += 1.0                          # one token of the last latent frame
    assert not torch.allclose(v[:, 0], model(changed, t, first, labels)[:, 0])   # reaches frame 0 through time attention
    with pytest.raises(ValueError, match=r"expected \(B, 5, 8, 8, 8\) latents"):
        model(torch.randn(2, 4, 8, 8, 8), t, None, labels)


def test_the_image_share_and_the_recognition_term_of_the_loss():
    torch.manual_seed(0)
    model = _randomised(space_time_transformer.SpaceTimeTransformer(dim=32, depth=1)).train()
    batch = {"latent": torch.randn(8, 5, 8, 8, 8), "labels": torch.randint(0, 10, (8,))}
    loss = lambda **options: flow_matching.flow_matching_loss(model, batch, torch.Generator().manual_seed(1), **options)
    assert torch.isfinite(loss(image_share=1.0))                        # every clip sees its first frame
    assert not torch.allclose(loss(image_share=1.0), loss(image_share=0.0))
    # the recognition term is the cross-entropy of naming each given first frame's digit
    recognition = torch.nn.functional.cross_entropy(model.recognise(batch["latent"][:6, 0]), batch["labels"][:6])
    assert torch.allclose(loss(image_share=0.75, recognition_weight=0.1) - loss(image_share=0.75), 0.1 * recognition)
    assert model.recognise(batch["latent"][:, 0]).shape == (8, 10)


def test_image_to_video_asks_for_the_digit_the_network_recognises():
    torch.manual_seed(0)
    model = _randomised(space_time_transformer.SpaceTimeTransformer(dim=32, depth=1))
    frames = torch.rand(2, 1, 64, 64)
    first = flow_matching.encode_frames(model, frames)
    digits = model.recognise(first).argmax(dim=1)
    expected = flow_matching.sample_latents(model, first, digits, steps=2, guidance=2.0, generator=torch.Generator().manual_seed(0))
    other = flow_matching.sample_latents(model, first, (digits + 1) % 10, steps=2, guidance=2.0, generator=torch.Generator().manual_seed(0))
    expected[:, 0] = other[:, 0] = first
    clips = flow_matching.image_to_video(model, frames, steps=2, guidance=2.0, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(clips, flow_matching.decode(model, expected), atol=1e-6)
    assert not torch.allclose(clips, flow_matching.decode(model, other), atol=1e-3)


def test_sampling_is_reproducible_and_records_the_path():
    torch.manual_seed(0)
    model = _randomised(space_time_transformer.SpaceTimeTransformer(dim=32, depth=1))
    first = torch.randn(2, 8, 8, 8)
    z, path = flow_matching.sample_latents(model, first, steps=3, generator=torch.Generator().manual_seed(1), trajectory=True)
    assert z.shape == (2, 5, 8, 8, 8) and len(path) == 4 and torch.equal(path[-1], z)
    again = flow_matching.sample_latents(model, first, steps=3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(z, again)
    guided = flow_matching.sample_latents(model, labels=torch.tensor([1, 2]), steps=3, guidance=3.0)
    assert guided.shape == (2, 5, 8, 8, 8)
    assert flow_matching.sample_latents(model, n=3, steps=2).shape == (3, 5, 8, 8, 8)


def test_guidance_zero_samples_the_unconditional_model_as_the_formula_does():
    torch.manual_seed(0)
    model = _randomised(space_time_transformer.SpaceTimeTransformer(dim=32, depth=1))
    first, labels = torch.randn(2, 8, 8, 8), torch.tensor([3, 7])
    sample = lambda first, labels, guidance, **options: flow_matching.sample_latents(
        model, first, labels, n=2, steps=3, guidance=guidance, generator=torch.Generator().manual_seed(2), **options)
    by_the_formula = sample(first, labels, 0.0, guide=lambda v_u, v_c, w: v_u + w * (v_c - v_u))
    assert torch.allclose(sample(first, labels, 0.0), by_the_formula, atol=1e-6)
    assert torch.allclose(sample(None, None, 1.0), by_the_formula, atol=1e-6), "w = 0 is the unconditional model"
    assert not torch.allclose(sample(first, labels, 1.0), by_the_formula, atol=1e-3)


@pytest.mark.parametrize("labels", [torch.tensor([10]), torch.tensor([[1]]), torch.tensor([1.0])])
def test_label_to_video_rejects_bad_labels(labels):
    with pytest.raises(ValueError, match="digit classes"):
        flow_matching.label_to_video(space_time_transformer.SpaceTimeTransformer(), labels)


def test_autoencoder_shapes_and_the_first_frame_alone():
    torch.manual_seed(0)
    autoencoder = latent_autoencoder.LatentAutoencoder().eval()
    clip = torch.rand(2, 17, 1, 64, 64)
    mean, log_variance = autoencoder.encode(clip)
    assert mean.shape == log_variance.shape == (2, 5, 8, 8, 8)
    assert autoencoder.decode(mean).shape == clip.shape
    still_mean, _ = autoencoder.encode(clip[:, :1])
    assert torch.allclose(still_mean[:, 0], mean[:, 0], atol=1e-5)   # a still's latent is its clip's first latent frame
    with pytest.raises(ValueError, match=r"1 \+ 4k frames"):
        autoencoder.encode(torch.rand(2, 16, 1, 64, 64))
    assert torch.isfinite(latent_autoencoder.autoencoder_loss(autoencoder, {"video": clip}))


def test_empty_background_gets_the_same_latent_wherever_the_digit_is():
    # the property that made this latent space work where the VQ-VAE's did not (no GroupNorm in the encoder)
    torch.manual_seed(0)
    autoencoder = latent_autoencoder.LatentAutoencoder().eval()
    left, right = torch.zeros(1, 17, 1, 64, 64), torch.zeros(1, 17, 1, 64, 64)
    left[..., 4:20, 4:20] = 1.0
    right[..., 4:20, 24:40] = 1.0
    with torch.no_grad():
        a, b = autoencoder.encode(left)[0], autoencoder.encode(right)[0]
    assert torch.allclose(a[..., 6:, 6:], b[..., 6:, 6:])            # cells far from both squares: identical
    assert not torch.allclose(a[..., :3, :3], b[..., :3, :3])


def test_scaling_curves_measure_loss_at_growing_compute():
    data = {"latent": torch.randn(48, 5, 8, 8, 8), "labels": torch.randint(0, 10, (48,))}
    held_out = {key: value[:16] for key, value in data.items()}
    curves = scaling.scaling_curves((16, 32), data, held_out, steps=4, batch_size=8, points=2)
    assert list(curves) == [16, 32] and curves[32][0][0] > curves[16][0][0]
    (flops_1, loss_1), (flops_2, loss_2) = curves[16]
    assert flops_2 == 2 * flops_1 > 0 and loss_1 > 0 and loss_2 > 0
    model = space_time_transformer.SpaceTimeTransformer(dim=16, depth=2)
    assert flops_2 == scaling.training_flops(model, 4, 8) == 6 * sum(p.numel() for p in model.parameters()) * 80 * 8 * 4


def test_image_to_video_names_the_expected_first_frames():
    with pytest.raises(ValueError, match=r"expected a batch of frames \(B, 1, 64, 64\)"):
        flow_matching.image_to_video(space_time_transformer.SpaceTimeTransformer(), torch.rand(2, 64, 64))
