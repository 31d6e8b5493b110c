"""Exercise checkers of lesson 07 (Future trends): see utils.course.checker for how they report."""
import torch

from utils.course.checker import compare_tensors, describe, rng, run_cases
from utils.models.flow_matching import classifier_free_guidance, euler_step, flow_matching_pair, sample_latents
from utils.models.space_time_transformer import LATENT_FRAMES, LATENT_SIZE, SpaceTimeTransformer


def _compare_path_point(got, expected):
    """For flow_matching_pair: (x_t, velocity)."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"expected two results (x_t, velocity), got a {describe(got)}"
    for name, g, e in zip(("x_t", "velocity"), got, expected):
        problem = compare_tensors(g, e)
        if problem:
            return f"{name}: {problem}"
    return None


def check_flow_matching_pair(student_fn):
    """flow_matching_pair(x, noise, t) → (t·x + (1 − t)·noise, x − noise), t (B,) for each clip."""
    x, noise = torch.rand(3, 4, 1, 2, 2, generator=rng(70)), torch.randn(3, 4, 1, 2, 2, generator=rng(71))
    t = torch.tensor([0.1, 0.5, 0.9])
    cases = [("t = 0 for every clip: x_t is the noise", (x, noise, torch.zeros(3)), flow_matching_pair(x, noise, torch.zeros(3))),
             ("t = 1 for every clip: x_t is the data, and the velocity points from noise to data (x − noise)",
              (x, noise, torch.ones(3)), flow_matching_pair(x, noise, torch.ones(3))),
             ("a different t for each of 3 clips (B, T, C, H, W): t must be reshaped to (B, 1, 1, 1, 1)",
              (x, noise, t), flow_matching_pair(x, noise, t))]
    return run_cases("flow_matching_pair", student_fn, cases, compare=_compare_path_point)


def check_euler_step(student_fn):
    """euler_step(x_t, velocity, t, t_next) → x_t + (t_next − t) · velocity."""
    x, v = torch.randn(2, 3, 4, generator=rng(72)), torch.randn(2, 3, 4, generator=rng(73))
    cases = [("a zero velocity: x does not move", (x, torch.zeros_like(v), 0.0, 0.5), x),
             ("one step from t = 0 to t = 1: x + v", (x, v, 0.0, 1.0), euler_step(x, v, 0.0, 1.0)),
             ("a step of Δt = 0.25 from t = 0.5: x + 0.25 · v (the step is t_next − t, not t_next)",
              (x, v, 0.5, 0.75), euler_step(x, v, 0.5, 0.75)),
             ("times given as 0-dimensional tensors", (x, v, torch.tensor(0.2), torch.tensor(0.3)), euler_step(x, v, 0.2, 0.3))]
    return run_cases("euler_step", student_fn, cases)


def check_classifier_free_guidance(student_fn):
    """classifier_free_guidance(v_unconditional, v_conditional, scale) → v_u + scale · (v_c − v_u)."""
    v_u, v_c = torch.randn(2, 5, generator=rng(74)), torch.randn(2, 5, generator=rng(75))
    cases = [("scale 1: exactly the conditional velocity", (v_u, v_c, 1.0), v_c),
             ("scale 0: exactly the unconditional velocity", (v_u, v_c, 0.0), v_u),
             ("scale 3: three times as far from the unconditional velocity as the conditional one is",
              (v_u, v_c, 3.0), classifier_free_guidance(v_u, v_c, 3.0))]
    return run_cases("classifier_free_guidance", student_fn, cases)


def _small_random_transformer():
    """A tiny space-time transformer with random weights (a fresh one predicts v = 0 everywhere)."""
    torch.manual_seed(0)
    model = SpaceTimeTransformer(dim=32, depth=1).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(0.1 * torch.randn(parameter.shape, generator=rng(76)))
    return model


def check_sample(student_fn):
    """sample(model, noise, first_latent, labels, steps, guidance) → the latent at t = 1: Euler steps
    from t = 0 with classifier-free guidance against (no first frame, no label) when guidance ≠ 1."""
    model = _small_random_transformer()
    shape = (2, LATENT_FRAMES, model.channels, LATENT_SIZE, LATENT_SIZE)
    first = torch.randn(2, model.channels, LATENT_SIZE, LATENT_SIZE, generator=rng(77))
    labels = torch.tensor([3, 7])

    def case(description, first_latent, steps, guidance, seed):
        noise = torch.randn(shape, generator=rng(seed))
        with torch.no_grad():
            expected = sample_latents(model, first_latent, labels, steps=steps, guidance=guidance, noise=noise)
        return description, (model, noise, first_latent, labels, steps, guidance), expected

    cases = [case("labels only, no guidance (w = 1), 2 steps: one network pass per step", None, 2, 1.0, 80),
             case("labels only, guided at w = 3, 3 steps: the unguided pass has no first frame and NO_LABEL", None, 3, 3.0, 81),
             case("a first frame and labels, guided at w = 2, 2 steps: times run from 0 to 1 in equal steps", first, 2, 2.0, 82)]

    def compare(got, expected):
        return compare_tensors(got.detach() if isinstance(got, torch.Tensor) else got, expected, atol=1e-4, rtol=1e-3)

    with torch.no_grad():
        return run_cases("sample", student_fn, cases, compare=compare)
