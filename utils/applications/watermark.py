"""An invisible watermark: a 32-bit payload spread over every frame of a clip, read back after
re-encoding, downscaling and cropping.

The mark is a faint periodic texture, a 64 × 64 tile repeated over every frame: a sum of cosines
whose frequencies, chosen by a secret key, carry the payload. Bit i owns a pair of frequencies
(A_i, B_i) of the tile; the mark contains A_i when the bit is 1 and B_i when it is 0:
    mark(x, y) = α · Σ_{f on} cos(2π (u_f x + v_f y) / 64 + φ_f)
The reader never compares with the original clip. It subtracts from each frame a blurred copy (the
picture's coarse content), averages over frames (the moving picture averages out, the fixed mark
does not), folds the frame onto one tile (sums all whole tiles) and takes the tile's 2-D Fourier
transform F. Bit i is 1 where |F(A_i)| > |F(B_i)|: a comparison of two of the clip's own numbers,
with no threshold to calibrate.

Why it survives:
- a crop shifts the tiles, and a shift changes only the phases of F, not its magnitudes
  (the shift theorem; periodic marks after Kutter 1998, magnitudes after Ó Ruanaidh & Pun 1998);
- H.264 keeps coarse, static texture (4 to 11 cycles per 64 pixels: wavelengths of 6 to 16 px,
  the same in every frame, so motion prediction copies them);
- a clip downscaled by 2 is read upscaled by 2 again: the reader tries both scales and keeps the
  one where the mark is strongest.
Eight more frequencies are always on (sync): their median magnitude, against the median of the
band's unused frequencies, is the detection score; unmarked clips stay near 1, and a clip counts as
marked above DETECTION_SCORE. The score tells marked from unmarked, not which key marked it: two
keys share many frequencies, so a clip marked under one key can score high under another, and the
bits read with the wrong key are noise.

The strength α makes the mark's RMS amplitude 0.0095 (pixel values in [0, 1]), a PSNR of about
40 dB; spreading one payload over thousands of pixels and many frames (spread spectrum, Cox,
Kilian, Leighton & Shamoon 1997) is what lets so faint a mark be read. The embedder also knows the
picture, so it gives extra amplitude to the bits the picture's own texture would otherwise flip
(`informed_weights`).
"""
import numpy as np
import torch
import torch.nn.functional as F
from einops import reduce

from utils.video import check_count, check_positive, check_video, describe, to_gray

PAYLOAD_BITS = 32
SYNC = 8                   # frequencies always on: the detection score reads them
TILE = 64                  # the mark's period in pixels
BAND = (4.0, 11.0)         # the frequencies used, in cycles per tile (wavelengths 16 … 5.8 px)
STRENGTH = 0.0095          # the mark's RMS amplitude; PSNR ≈ 20·log10(1/α) ≈ 40.4 dB
MARGIN = 2.0               # informed embedding: a bit's own frequency should beat the other by this factor
DETECTION_SCORE = 3.0      # sync magnitude / median unused magnitude above which a clip counts as marked
MIN_FRAMES = 16            # a clip must be this long …
MIN_TILES = 16             # … and hold this many whole tiles (512 × 128 pixels, 256 × 256, …) to carry the payload
SCALES = (1, 2)            # the reader tries the clip as it is and upscaled by 2 (after a downscale)
BLUR = 9                   # the box filter that estimates the picture, subtracted before reading
CLIP = 1.0                 # detail beyond this many RMS is clipped: strong edges would drown the faint mark


def band_frequencies():
    """All (u, v) frequencies of the tile in the band, one of each ± pair (v > 0, or v = 0 and u > 0)."""
    span = range(-int(BAND[1]), int(BAND[1]) + 1)
    return [(u, v) for v in span for u in span
            if (v > 0 or (v == 0 and u > 0)) and BAND[0] <= (u * u + v * v) ** 0.5 <= BAND[1]]


def key_frequencies(key):
    """The key's choice: {"pairs": 32 × ((u, v) for 1, (u, v) for 0), "sync": 8 × (u, v),
    "unused": the band's others, "phases": a phase for every frequency}. Each pair's two
    frequencies have about the same radius, so that the picture's own spectrum, which falls with
    frequency, favours neither."""
    if isinstance(key, bool) or not isinstance(key, int) or key < 0:
        raise ValueError(f"key: expected a whole number ≥ 0 (the secret that picks the frequencies); got {key!r}")
    band = band_frequencies()
    rng = np.random.default_rng(key)
    shuffled = [band[i] for i in rng.permutation(len(band))]
    by_radius = sorted(shuffled, key=lambda f: f[0] ** 2 + f[1] ** 2)      # neighbours in this list have similar radii
    pairs = [tuple(by_radius[i:i + 2]) for i in range(0, len(by_radius) - 1, 2)]
    pairs = [pairs[i] for i in rng.permutation(len(pairs))]
    used = {f for pair in pairs[:PAYLOAD_BITS] for f in pair}
    sync = [f for f in shuffled if f not in used][:SYNC]
    return {"pairs": [pair if rng.random() < 0.5 else pair[::-1] for pair in pairs[:PAYLOAD_BITS]],
            "sync": sync, "unused": [f for f in band if f not in used and f not in sync],
            "phases": dict(zip(band, rng.uniform(0, 2 * np.pi, len(band))))}


def _check_payload(bits, name="payload"):
    if not isinstance(bits, torch.Tensor) or bits.shape != (PAYLOAD_BITS,) or not ((bits == 0) | (bits == 1)).all():
        hint = " The result of read()? Pass its bits: found['bits']." if isinstance(bits, dict) and "bits" in bits else ""
        raise ValueError(f"{name}: expected {PAYLOAD_BITS} bits, a tensor of 0s and 1s of shape ({PAYLOAD_BITS},); "
                         f"got {describe(bits)}.{hint}")
    return bits


def _check_markable(video):
    check_video(video)
    T, _, H, W = video.shape
    if T < MIN_FRAMES or (H // TILE) * (W // TILE) < MIN_TILES:
        raise ValueError(f"video: too small to carry the payload: expected at least {MIN_FRAMES} frames holding at least "
                         f"{MIN_TILES} whole {TILE} × {TILE} tiles (512 × 128 pixels, 256 × 256, …); got {T} frames of {H} × {W}")
    return video


def mark_tile(bits, key, weights=None):
    """The tile (TILE, TILE) added to every frame, RMS 1: the sync cosines and, for each bit, the
    cosine of its pair that says 1 or 0, each at the key's phase. weights: {(u, v): relative
    amplitude} for some of them (default 1 each)."""
    _check_payload(bits)
    chosen = key_frequencies(key)
    on = chosen["sync"] + [pair[0] if bit else pair[1] for pair, bit in zip(chosen["pairs"], bits.tolist())]
    weights = weights or {}
    y, x = torch.meshgrid(torch.arange(TILE, dtype=torch.float64), torch.arange(TILE, dtype=torch.float64), indexing="ij")
    tile = sum(weights.get((u, v), 1.0) * torch.cos(2 * np.pi * (u * x + v * y) / TILE + chosen["phases"][(u, v)]) for u, v in on)
    return (tile / tile.square().mean().sqrt()).float()


def _filter_gain(u, v):
    """How much of a cosine of frequency (u, v) the reader's residual keeps: 1 − the box blur's response."""
    box = lambda f: sum(np.cos(2 * np.pi * f * k / TILE) for k in range(-(BLUR // 2), BLUR // 2 + 1)) / BLUR  # noqa: E731
    return 1 - box(u) * box(v)


def informed_weights(video, bits, key):
    """Relative amplitudes that give more of the mark to the bits the picture itself would flip.
    The embedder knows the picture: where the clip's own residual is stronger at a bit's other
    frequency than at its own, that bit's cosine gets the extra amplitude it would need to win by
    MARGIN (its energy adds to the picture's there, on average); the others keep weight 1. The
    amplitudes are sized at the unboosted tile's scale: mark_tile then brings the whole tile back to
    RMS 1, which lowers every cosine a little, so a boosted bit's lead falls somewhat short of MARGIN.
    (Informed embedding: Cox, Miller & Bloom 2002, "Digital Watermarking".)"""
    H, W = video.shape[-2:]
    host = spectrum(fold(residual(video)))
    tiles = (H // TILE) * (W // TILE)
    unit = STRENGTH * (2 / (PAYLOAD_BITS + SYNC)) ** 0.5 * tiles * TILE * TILE / 2   # |F| of one cosine at weight 1, before the filter
    weights = {}
    for (one, zero), bit in zip(key_frequencies(key)["pairs"], bits.tolist()):
        (u, v), (u_off, v_off) = (one, zero) if bit else (zero, one)
        need = (MARGIN * host[v_off % TILE, u_off % TILE]) ** 2 - host[v % TILE, u % TILE] ** 2
        weights[(u, v)] = (1 + max(0.0, need.item()) / (unit * _filter_gain(u, v)) ** 2) ** 0.5
    return weights


def embed(video, bits, key, strength=STRENGTH):
    """video (T, C, H, W) in [0, 1] → the same clip carrying `bits` (32 zeros and ones) under `key`.
    The mark is added equally to every channel: it changes brightness, not colour."""
    _check_markable(video)
    _check_payload(bits)
    check_positive(strength, "strength", meaning="the mark's amplitude")
    H, W = video.shape[-2:]
    tile = mark_tile(bits, key, informed_weights(video.cpu(), bits, key))
    mark = tile.to(video.device).repeat(-(-H // TILE), -(-W // TILE))[:H, :W]
    return (video + strength * mark).clamp(0, 1)


def residual(video):
    """The clip's fine detail averaged over frames (H, W): each frame's luma minus its blurred copy,
    so that the picture's coarse content does not drown the mark."""
    gray = to_gray(video).float()
    padded = F.pad(gray, [BLUR // 2] * 4, mode="replicate")
    blurred = F.avg_pool2d(F.avg_pool2d(padded, (BLUR, 1), stride=1), (1, BLUR), stride=1)     # a box blur, in two passes
    detail = gray - blurred
    limit = CLIP * detail.square().mean(dim=(1, 2, 3), keepdim=True).sqrt()
    return reduce(detail.clamp(-limit, limit), "t 1 h w -> h w", "mean")


def fold(image):
    """(H, W) → (TILE, TILE): the sum of all whole tiles. A crop shifts every tile alike, so the
    fold is the shifted tile."""
    if not isinstance(image, torch.Tensor) or image.ndim != 2:
        raise ValueError(f"image: expected one gray image (H, W), such as residual(video) gives; got {describe(image)}")
    H, W = (side // TILE * TILE for side in image.shape)
    return reduce(image[:H, :W], "(i h) (j w) -> h w", "sum", h=TILE, w=TILE)


def spectrum(folded):
    """|F(u, v)|: the magnitudes of the folded tile's 2-D Fourier transform (TILE, TILE), indexed
    [v % TILE, u % TILE] (row frequency v, column frequency u)."""
    return torch.fft.fft2(folded.double()).abs()


def read_bits(folded, pairs):
    """Bit i = 1 where |F| at its first frequency beats |F| at its second: a (32,) long tensor.
    folded: the folded residual (TILE, TILE); pairs: 32 × ((u1, v1), (u0, v0)) from key_frequencies."""
    magnitude = spectrum(folded)
    return torch.tensor([int(magnitude[v1 % TILE, u1 % TILE] > magnitude[v0 % TILE, u0 % TILE])
                         for (u1, v1), (u0, v0) in pairs])


def detection_score(magnitude, chosen):
    """The sync frequencies' median magnitude over the median magnitude of the unused ones, from
    `spectrum` of the folded residual. Medians, so that one strong frequency of the picture cannot
    raise it."""
    at = lambda frequencies: torch.stack([magnitude[v % TILE, u % TILE] for u, v in frequencies])  # noqa: E731
    return (at(chosen["sync"]).median() / at(chosen["unused"]).median()).item()


def read(video, key):
    """Look for the key's mark in `video` (T, C, H, W): returns {"bits": (32,) long, "score": the
    detection score, "marked": score ≥ DETECTION_SCORE, "scale": 1 or 2, the scale read at}.
    The bits are read whether or not the clip is marked."""
    check_video(video)
    if min(video.shape[-2:]) < TILE // 2:
        raise ValueError(f"video: too small to read: expected frames at least {TILE // 2} pixels on each side; got {tuple(video.shape)}")
    chosen, found, gray = key_frequencies(key), [], to_gray(video).float()
    for scale in SCALES:
        scaled = gray if scale == 1 else F.interpolate(gray, scale_factor=scale, mode="bilinear", align_corners=False)
        if min(scaled.shape[-2:]) >= TILE:
            folded = fold(residual(scaled))
            found.append({"bits": read_bits(folded, chosen["pairs"]), "score": detection_score(spectrum(folded), chosen),
                          "scale": scale})
    best = max(found, key=lambda f: f["score"])
    return {**best, "marked": best["score"] >= DETECTION_SCORE}


def bit_accuracy(found_bits, bits):
    """The share of the 32 bits read right."""
    return (_check_payload(found_bits, "found_bits") == _check_payload(bits)).float().mean().item()


def random_payload(seed):
    """32 random bits (a long tensor of 0s and 1s)."""
    check_count(seed, "seed", minimum=0, meaning="a seed")
    return torch.randint(0, 2, (PAYLOAD_BITS,), generator=torch.Generator().manual_seed(seed))
