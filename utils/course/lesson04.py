"""Exercise checkers of lesson 04 (Video generation models): see utils.course.checker for how they report."""
import torch

from utils.course.checker import compare_numbers, compare_tensors, describe, rng, run_cases
from utils.models.cyclegan import cycle_loss
from utils.models.svg import reparameterize
from utils.models.videogpt import causal_mask
from utils.models.vqvae import vector_quantize


def _compare_quantized(got, expected):
    """For vector_quantize run through _with_gradient: (z_q, tokens, loss, gradient of z_e)."""
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        return f"expected three results (z_q, tokens, loss), got a {describe(got)}"
    for name, g, e in zip(("z_q", "tokens", "loss"), got[:3], expected[:3]):
        problem = compare_tensors(g, e) if isinstance(g, torch.Tensor) else f"expected a tensor, got a {describe(g)}"
        if problem:
            return f"{name}: {problem}"
    if got[3] is None:
        return ("no gradient reached z_e: argmin and indexing have none. Use the straight-through estimator, "
                "z_q = z_e + (e - z_e).detach()")
    problem = compare_tensors(got[3], expected[3])
    return f"the gradient of z_e should be the gradient of z_q, copied straight through: {problem}" if problem else None


def _with_gradient(student_fn):
    """Run vector_quantize, then backpropagate Σ weights ⊙ z_q to see what reaches z_e."""
    def run(z_e, codebook, weights):
        z_e = z_e.clone().requires_grad_(True)
        result = student_fn(z_e, codebook)
        if not isinstance(result, (tuple, list)) or len(result) != 3 or not isinstance(result[0], torch.Tensor):
            return result
        z_q, tokens, loss = result
        gradient = None
        if z_q.requires_grad:
            (z_q * weights).sum().backward()
            gradient = z_e.grad
        return z_q.detach(), tokens, loss.detach() if isinstance(loss, torch.Tensor) else loss, gradient
    run.__name__ = getattr(student_fn, "__name__", "vector_quantize")
    return run if callable(student_fn) else student_fn


def check_vector_quantize(student_fn):
    """vector_quantize(z_e (N, D), codebook (K, D)) → z_q with the straight-through gradient,
    tokens (N,), codebook + 0.25 × commitment loss."""
    codebook = torch.randn(5, 3, generator=rng(20))
    z_e = torch.randn(6, 3, generator=rng(21))
    weights = torch.randn(6, 3, generator=rng(22))
    on_codes = codebook[[4, 0, 2]]

    def expected(z):
        z = z.clone().requires_grad_(True)
        z_q, tokens, loss = vector_quantize(z, codebook)
        (z_q * weights[:len(z)]).sum().backward()
        return z_q.detach(), tokens, loss.detach(), z.grad

    cases = [("6 random vectors, a codebook of 5", (z_e, codebook, weights), expected(z_e)),
             ("vectors that are codebook entries 4, 0, 2: tokens [4, 0, 2], loss 0", (on_codes, codebook, weights[:3]),
              expected(on_codes)),
             ("vectors far from every code: the loss is large", (z_e * 10, codebook, weights), expected(z_e * 10))]
    run_cases("vector_quantize", _with_gradient(student_fn), cases, compare=_compare_quantized)


def check_reparameterize(student_fn):
    """reparameterize(mu, log_variance, noise) → mu + exp(½ log_variance) · noise."""
    mu, log_variance = torch.randn(5, 3, generator=rng(30)), torch.randn(5, 3, generator=rng(31))
    noise = torch.randn(5, 3, generator=rng(32))
    four = torch.full((1, 2), 4.0).log()
    cases = [("a batch of 5 three-dimensional Gaussians", (mu, log_variance, noise), reparameterize(mu, log_variance, noise)),
             ("μ = 0, σ² = 4, ε = 1: z = σ = 2 (σ is exp(½ log σ²), not exp(log σ²))", (torch.zeros(1, 2), four, torch.ones(1, 2)),
              torch.full((1, 2), 2.0)),
             ("ε = 0: z = μ whatever σ", (mu, log_variance, torch.zeros_like(noise)), mu)]
    run_cases("reparameterize", student_fn, cases)


def check_cycle_loss(student_fn):
    """cycle_loss(a, b, a_to_b, b_to_a) → mean |F(G(a)) − a| + mean |G(F(b)) − b|."""
    a, b = torch.rand(2, 1, 8, 8, generator=rng(40)), torch.rand(3, 1, 8, 8, generator=rng(41))
    invert = lambda x: 1 - x
    darken, keep = lambda x: 0.5 * x, lambda x: x
    cases = [("G and F invert the image: each undoes the other, so the loss is 0", (a, b, invert, invert), cycle_loss(a, b, invert, invert)),
             ("G halves the image, F keeps it: both cycles lose half of their input", (a, b, darken, keep), cycle_loss(a, b, darken, keep)),
             ("G keeps, F squares: the two directions differ (a → b → a uses F after G, b → a → b G after F)",
              (a, b, keep, torch.square), cycle_loss(a, b, keep, torch.square))]
    run_cases("cycle_loss", student_fn, cases, compare=lambda g, e: compare_numbers(g, e.item(), atol=1e-5))


def check_causal_mask(student_fn):
    """causal_mask(n) → (n, n) booleans, True where query i may attend to key j (j ≤ i)."""
    cases = [("n = 1: a token sees itself", (1,), causal_mask(1)),
             ("n = 4: row i is True up to column i (the past and the token itself), False after", (4,), causal_mask(4)),
             ("n = 7", (7,), causal_mask(7))]
    run_cases("causal_mask", student_fn, cases)
