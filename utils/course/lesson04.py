"""Exercise checkers of lesson 04 (Video generation models): see utils.course.checker for how they report."""
import torch

from utils.course.checker import compare_numbers, compare_tensors, describe, rng, run_cases
from utils.models.cyclegan import cycle_loss
from utils.models.svg import gaussian_kl, reparameterize
from utils.models.videogpt import causal_mask
from utils.models.vqvae import vector_quantize


THROUGH_Z_Q = "gradient at z_e of Σ w·z_q (w: fixed random weights)"
QUANTIZE_PARTS = ("z_q", "tokens", "loss", THROUGH_Z_Q, "gradient of the loss at z_e", "gradient of the loss at the codebook")
QUANTIZE_HINTS = {
    "loss": "each term is a mean over all N·D numbers (F.mse_loss), not a sum: "
            "mse(e, sg[z_e]) + β · mse(z_e, sg[e]), with β = 0.25",
    THROUGH_Z_Q: "z_q must pass the gradient straight through to z_e: z_q = z_e + (e − z_e).detach()",
    "gradient of the loss at z_e": "only the commitment term β · ‖z_e − sg[e]‖² may reach z_e, with β = 0.25: "
                                   "detach the codebook side there (e.detach())",
    "gradient of the loss at the codebook": "only the codebook term ‖sg[z_e] − e‖² may reach the codebook, with weight 1 "
                                            "(β belongs to the commitment term): detach z_e there (z_e.detach())",
}


def _compare_quantized(got, expected):
    """For vector_quantize run through _with_gradients: the results and the three gradients."""
    if not isinstance(got, (tuple, list)) or len(got) != len(QUANTIZE_PARTS):
        return f"expected three results (z_q, tokens, loss), got a {describe(got)}"
    for name, g, e in zip(QUANTIZE_PARTS, got, expected):
        if g is None:
            return f"{name}: none arrived. {QUANTIZE_HINTS.get(name, '')}".strip()
        problem = compare_tensors(g, e) if isinstance(g, torch.Tensor) else f"expected a tensor, got a {describe(g)}"
        if problem:
            wrong_values = problem.startswith("values differ")   # the hints explain values, not types or shapes
            return f"{name}: {problem}" + (f"\nhint: {QUANTIZE_HINTS[name]}" if name in QUANTIZE_HINTS and wrong_values else "")
    return None


def _show_quantized(result):
    """z_q, tokens and loss of a result of _with_gradients; the gradients are reported by name."""
    if isinstance(result, tuple) and len(result) == len(QUANTIZE_PARTS):
        return describe(result[:3])
    return describe(result)


def _gradient(output, wrt):
    """The gradient of `output` at each tensor of `wrt`, or None where none flows."""
    if not (isinstance(output, torch.Tensor) and output.requires_grad and output.numel() == 1):
        return [None] * len(wrt)
    return list(torch.autograd.grad(output, wrt, allow_unused=True, retain_graph=True))


def _with_gradients(vector_quantize):
    """Run a vector_quantize, then measure what reaches z_e and the codebook: the gradient of
    Σ weights ⊙ z_q (the straight-through path) and the gradient of the loss."""
    def run(z_e, codebook, weights):
        z_e, codebook = z_e.clone().requires_grad_(True), codebook.clone().requires_grad_(True)
        result = vector_quantize(z_e, codebook)
        if not isinstance(result, (tuple, list)) or len(result) != 3 or not isinstance(result[0], torch.Tensor):
            return result
        z_q, tokens, loss = result
        through = _gradient((z_q * weights).sum(), [z_e])[0] if z_q.shape == weights.shape else None
        at_z_e, at_codebook = _gradient(loss, [z_e, codebook])
        detached = [x.detach() if isinstance(x, torch.Tensor) else x for x in (z_q, tokens, loss)]
        return (*detached, through, at_z_e, at_codebook)
    return run


def check_vector_quantize(student_fn):
    """vector_quantize(z_e (N, D), codebook (K, D)) → z_q with the straight-through gradient,
    tokens (N,), and the loss ‖sg[z_e] − e‖² + 0.25 · ‖z_e − sg[e]‖² (means): its values and
    where its gradients go."""
    codebook = torch.randn(5, 3, generator=rng(20))
    z_e = torch.randn(6, 3, generator=rng(21))
    weights = torch.randn(6, 3, generator=rng(22))

    def measured(vector_quantize):   # the case's (z_e, codebook) → the three results and the three gradients
        return lambda z_e, codebook: _with_gradients(vector_quantize)(z_e, codebook, weights[:len(z_e)])

    expected = measured(vector_quantize)
    on_codes = codebook[[4, 0, 2]]
    cases = [("6 random vectors, a codebook of 5", (z_e, codebook), expected(z_e, codebook)),
             ("vectors that are codebook entries 4, 0, 2: tokens [4, 0, 2], loss 0", (on_codes, codebook),
              expected(on_codes, codebook)),
             ("vectors far from every code: the loss is large", (z_e * 10, codebook), expected(z_e * 10, codebook))]
    student = student_fn
    if callable(student_fn):
        student = measured(student_fn)
        student.__name__ = getattr(student_fn, "__name__", "vector_quantize")
    return run_cases("vector_quantize", student, cases, compare=_compare_quantized, shown=_show_quantized)


def check_reparameterize(student_fn):
    """reparameterize(mu, log_variance, noise) → mu + exp(½ log_variance) · noise."""
    mu, log_variance = torch.randn(5, 3, generator=rng(30)), torch.randn(5, 3, generator=rng(31))
    noise = torch.randn(5, 3, generator=rng(32))
    four = torch.full((1, 2), 4.0).log()
    cases = [("a batch of 5 three-dimensional Gaussians", (mu, log_variance, noise), reparameterize(mu, log_variance, noise)),
             ("μ = 0, σ² = 4, ε = 1: z = σ = 2 (σ is exp(½ log σ²), not exp(log σ²))", (torch.zeros(1, 2), four, torch.ones(1, 2)),
              torch.full((1, 2), 2.0)),
             ("ε = 0: z = μ whatever σ", (mu, log_variance, torch.zeros_like(noise)), mu)]
    return run_cases("reparameterize", student_fn, cases)


def check_gaussian_kl(student_fn):
    """gaussian_kl(mu_q, log_variance_q, mu_p, log_variance_p): (B, Z) each → (B,), the KL
    divergence of two diagonal Gaussians summed over the Z dimensions."""
    mu_q, log_variance_q = torch.randn(4, 3, generator=rng(33)), torch.randn(4, 3, generator=rng(34))
    mu_p, log_variance_p = torch.randn(4, 3, generator=rng(35)), torch.randn(4, 3, generator=rng(36))
    zeros, one = torch.zeros(1, 1), torch.ones(1, 1)
    four = torch.full((1, 1), 4.0).log()
    cases = [("q = p: the divergence is 0 for every clip", (mu_q, log_variance_q, mu_q, log_variance_q), torch.zeros(4)),
             ("q = N(1, 1), p = N(0, 1) in one dimension: ½ μ² = 0.5", (one, zeros, zeros, zeros), torch.full((1,), 0.5)),
             ("q = N(0, 1), p = N(0, 4): log σ_p − log σ_q + σ_q² / (2σ_p²) − ½ = log 2 − 3/8 (the inputs are log-variances)",
              (zeros, zeros, zeros, four), gaussian_kl(zeros, zeros, zeros, four)),
             ("4 clips, 3 dimensions each: sum over the dimensions, one number per clip",
              (mu_q, log_variance_q, mu_p, log_variance_p), gaussian_kl(mu_q, log_variance_q, mu_p, log_variance_p))]
    return run_cases("gaussian_kl", student_fn, cases)


def check_cycle_loss(student_fn):
    """cycle_loss(a, b, a_to_b, b_to_a) → mean |F(G(a)) − a| + mean |G(F(b)) − b|."""
    a, b = torch.rand(2, 1, 8, 8, generator=rng(40)), torch.rand(3, 1, 8, 8, generator=rng(41))
    invert = lambda x: 1 - x
    darken, keep = lambda x: 0.5 * x, lambda x: x
    cases = [("G and F invert the image: each undoes the other, so the loss is 0", (a, b, invert, invert), cycle_loss(a, b, invert, invert)),
             ("G halves the image, F keeps it: both cycles lose half of their input", (a, b, darken, keep), cycle_loss(a, b, darken, keep)),
             ("G halves, F squares: a → b → a is F(G(a)) = (a/2)², not G(F(a)) = a²/2, and b → a → b is G(F(b))",
              (a, b, darken, torch.square), cycle_loss(a, b, darken, torch.square))]
    return run_cases("cycle_loss", student_fn, cases, compare=lambda g, e: compare_numbers(g, e.item(), atol=1e-5))


def check_causal_mask(student_fn):
    """causal_mask(n) → (n, n) booleans, True where query i may attend to key j (j ≤ i)."""
    cases = [("n = 1: a token sees itself", (1,), causal_mask(1)),
             ("n = 4: row i is True up to column i (the past and the token itself), False after", (4,), causal_mask(4)),
             ("n = 7", (7,), causal_mask(7))]
    return run_cases("causal_mask", student_fn, cases)
