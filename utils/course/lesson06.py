"""Exercise checkers of lesson 06 (Advantages and challenges): see utils.course.checker for how they report."""
import copy
import json

import torch

from utils.applications import anonymise, provenance, watermark
from utils.course.checker import compare_tensors, describe, rng, run_cases


def _compare_bits(got, expected):
    if not isinstance(got, torch.Tensor) or got.is_floating_point() or tuple(got.shape) != tuple(expected.shape):
        return f"expected {len(expected)} bits as a 1-D tensor of 0s and 1s (dtype torch.long); got a {describe(got)}"
    wrong = (got.long() != expected).nonzero().flatten()
    if len(wrong):
        return (f"{len(wrong)} of {len(expected)} bits are wrong, the first at bit {int(wrong[0])}: expected "
                f"{expected.tolist()}, got {got.long().tolist()}")
    return None


def check_read_bits(student_fn):
    """read_bits(folded, pairs): the magnitudes of the tile's 2-D FFT, compared at each bit's pair."""
    pairs = watermark.key_frequencies(3)["pairs"]
    bits = watermark.random_payload(5)
    clean = watermark.mark_tile(bits, 3)
    noisy = clean + 0.5 * torch.randn(clean.shape, generator=rng(1))
    others = watermark.mark_tile(1 - bits, 3)
    cases = [("the tile of a payload, exactly as it was added (key 3)", (clean, pairs), bits),
             ("the same tile shifted by (17, 40) pixels, as after a crop: the magnitudes do not change",
              (torch.roll(clean, (17, 40), dims=(0, 1)), pairs), bits),
             ("the tile under noise of half the mark's RMS", (noisy, pairs), watermark.read_bits(noisy, pairs)),
             ("the opposite payload", (others, pairs), 1 - bits),
             ("only the first 4 pairs: 4 bits", (clean, pairs[:4]), bits[:4])]
    return run_cases("read_bits", student_fn, cases, compare=_compare_bits)


def check_gaussian_blur_box(student_fn):
    """gaussian_blur_box(image, box, sigma): inside the box, the Gaussian blur of the whole image
    (radius int(3σ), at least 1; border pixels repeated); outside, the image unchanged."""
    image = torch.rand(3, 20, 30, generator=rng(2))
    gray = torch.rand(1, 16, 16, generator=rng(3))
    cases = [(f"a random RGB image, box {box}, sigma {sigma}", (image, box, sigma),
              anonymise.gaussian_blur_box(image, box, sigma))
             for box, sigma in [((5, 4, 15, 12), 2.0), ((0, 0, 30, 20), 1.0), ((20, 10, 30, 20), 3.0), ((8, 8, 9, 9), 0.5)]]
    cases.append(("a gray image, a box touching the top-left corner", (gray, (0, 0, 7, 5), 1.5),
                  anonymise.gaussian_blur_box(gray, (0, 0, 7, 5), 1.5)))
    cases.append(("a box with fractional corners, as a tracker gives: rounded to whole pixels", (image, (4.6, 3.2, 12.4, 9.7), 1.0),
                  anonymise.gaussian_blur_box(image, (4.6, 3.2, 12.4, 9.7), 1.0)))
    return run_cases("gaussian_blur_box", student_fn, cases, compare=lambda got, expected: compare_tensors(got, expected, atol=1e-5))


def _compare_status(got, expected):
    status = got.get("status") if isinstance(got, dict) else None
    if status not in ("intact", "edited after signing"):
        return f"expected a dict with 'status' 'intact' or 'edited after signing'; got a {describe(got)}"
    return None if status == expected["status"] else f"expected status {expected['status']!r} ({expected['reason']}); got {status!r}"


def check_verify_manifest(student_fn):
    """verify_manifest(signed, frames_hash, public_key) → {"status": "intact" | "edited after signing", …}."""
    key, stranger = provenance.new_key(), provenance.new_key()
    frames = torch.rand(4, 3, 8, 8, generator=rng(4))
    manifest = provenance.make_manifest(frames, "vgan", "0" * 64, ["caption"])
    signed = provenance.parse(json.dumps(provenance.sign(manifest, key)))              # as read from a file
    good_hash = provenance.frames_sha256(frames)
    other_hash = provenance.frames_sha256(frames.flip(0))
    renamed = copy.deepcopy(signed)
    renamed["manifest"]["generator"] = "a camera"
    forged = {**signed, "signature": bytes(b ^ 1 if i == 0 else b for i, b in enumerate(signed["signature"]))}
    cases = [("the manifest as signed, and the frames it describes", (signed, good_hash, key.public_key())),
             ("one frame changed after signing (the frames hash to another value)", (signed, other_hash, key.public_key())),
             ("the manifest's generator changed from 'vgan' to 'a camera' after signing", (renamed, good_hash, key.public_key())),
             ("one bit of the signature flipped", (forged, good_hash, key.public_key())),
             ("checked against another signer's public key", (signed, good_hash, stranger.public_key()))]
    cases = [(description, args, provenance.verify_manifest(*args)) for description, args in cases]
    return run_cases("verify_manifest", student_fn, cases, compare=_compare_status)
