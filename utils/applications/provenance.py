"""Signed provenance for a generated video, in the spirit of C2PA (the Coalition for Content
Provenance and Authenticity's "Content Credentials").

A manifest says how the clip was made — the generator, the sha256 of its checkpoint, the edits
applied — and binds that to the content through a hash of the decoded frames. The manifest is
signed with Ed25519 (Bernstein et al. 2012), a digital signature: anyone holding the public key
can check that the private key's owner signed exactly these bytes, and no one without the private
key can make a signature that checks. The signed manifest goes inside the MP4, as a metadata tag.

Verification answers one of three things:
- "intact": the signature checks and the frames hash to the signed value;
- "edited after signing": the manifest or its signature was changed (the signature does not check),
  or the frames were (they no longer hash to the signed value);
- "not signed": the file carries no manifest.
A manifest proves who signed what; it does not prove the content true, and stripping it leaves an
unsigned file (which is why C2PA pairs manifests with watermarks: lesson 06).

Real C2PA embeds a JUMBF box signed with COSE and X.509 certificates; this is the same idea in a
hundred lines, with the trusted public key handed to the verifier directly.
"""
import base64
import datetime
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from utils.video import check_video, describe, to_uint8
from utils.videofile import read_tag, read_video, write_tag

TAG = "provenance"                     # the MP4 metadata tag that holds the signed manifest
CLAIM_GENERATOR = "video-generation-course utils.applications.provenance"
FIELDS = ("generator", "checkpoint_sha256", "edits")


class ProvenanceError(ValueError):
    """A manifest that cannot be read: not JSON, or missing its parts."""


def new_key():
    """A fresh Ed25519 private key; `.public_key()` is what verifiers get."""
    return Ed25519PrivateKey.generate()


def frames_sha256(video):
    """The content hash: sha256 of the frames as 8-bit pixels (T, H, W, C) with their shape, so
    that any change to any pixel, or a dropped frame, changes it."""
    frames = to_uint8(check_video(video))
    digest = hashlib.sha256(repr(frames.shape).encode())
    digest.update(frames.tobytes())
    return digest.hexdigest()


def canonical(manifest):
    """The exact bytes that are signed: JSON with sorted keys and no spaces."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def make_manifest(video, generator, checkpoint_sha256, edits):
    """The claim about `video` (T, C, H, W): who made it, from which weights (None where no trained
    model made or changed the frames: a camera clip, edited), with which edits."""
    if not isinstance(generator, str) or not generator:
        raise ValueError(f"generator: expected the generator's name, e.g. 'vgan'; got {describe(generator)}")
    if checkpoint_sha256 is not None and not (isinstance(checkpoint_sha256, str) and len(checkpoint_sha256) == 64
                                              and all(c in "0123456789abcdef" for c in checkpoint_sha256)):
        raise ValueError(f"checkpoint_sha256: expected 64 lowercase hex digits (a model card's sha256), or None where no "
                         f"trained model touched the frames; got {checkpoint_sha256!r}")
    if not isinstance(edits, list) or not all(isinstance(edit, str) for edit in edits):
        raise ValueError(f"edits: expected a list of strings, e.g. ['trim 0:2', 'caption']; got {describe(edits)}")
    return {"claim_generator": CLAIM_GENERATOR, "generator": generator, "checkpoint_sha256": checkpoint_sha256,
            "edits": edits, "frames_sha256": frames_sha256(video), "frames": len(video),
            "signed_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def sign(manifest, private_key):
    """{"manifest": …, "signature": base64 Ed25519 signature of canonical(manifest)}."""
    if not isinstance(private_key, Ed25519PrivateKey):
        raise ValueError(f"private_key: expected an Ed25519 private key (provenance.new_key()); got {describe(private_key)}")
    return {"manifest": manifest, "signature": base64.b64encode(private_key.sign(canonical(manifest))).decode()}


def sign_video(source, target, private_key, generator, checkpoint_sha256, edits):
    """Write `target`: the MP4 `source` with a signed manifest of its decoded frames in its metadata.
    The streams are copied, so `target` decodes to exactly the frames that were hashed."""
    video, _ = read_video(source)
    signed = sign(make_manifest(video, generator, checkpoint_sha256, edits), private_key)
    return write_tag(source, target, TAG, json.dumps(signed, ensure_ascii=False))


def parse(text):
    """A signed manifest's text → {"manifest": dict, "signature": bytes}, or ProvenanceError."""
    if not isinstance(text, (str, bytes)):
        hint = " read_tag gives None for a file that carries no manifest." if text is None else ""
        raise ProvenanceError(f"expected a signed manifest's text; got {describe(text)}.{hint}")
    try:
        signed = json.loads(text)
    except json.JSONDecodeError as err:
        raise ProvenanceError(f"the manifest does not parse as JSON ({err})") from err
    if not (isinstance(signed, dict) and isinstance(signed.get("manifest"), dict) and isinstance(signed.get("signature"), str)
            and all(field in signed["manifest"] for field in (*FIELDS, "frames_sha256"))):
        raise ProvenanceError(f"expected {{'manifest': {{{', '.join(FIELDS)}, frames_sha256, …}}, 'signature': base64}}; "
                              f"got {text[:120]!r}")
    try:
        signature = base64.b64decode(signed["signature"], validate=True)
    except ValueError as err:
        raise ProvenanceError(f"the signature is not base64 ({err})") from err
    return {"manifest": signed["manifest"], "signature": signature}


def verify_manifest(signed, frames_hash, public_key):
    """The verdict on a parsed manifest and the frames' hash: {"status", "reason", "manifest"}."""
    try:
        public_key.verify(signed["signature"], canonical(signed["manifest"]))
    except InvalidSignature:
        return {"status": "edited after signing", "reason": "the signature does not match the manifest: the manifest or "
                "its signature was changed, or another key signed it", "manifest": signed["manifest"]}
    if signed["manifest"]["frames_sha256"] != frames_hash:
        return {"status": "edited after signing", "reason": "the frames differ from the ones that were signed",
                "manifest": signed["manifest"]}
    return {"status": "intact", "reason": "the signature checks and the frames are the signed ones", "manifest": signed["manifest"]}


def verify_video(path, public_key, frames=None):
    """Check the MP4 at `path` against the signer's public key: {"status": "intact" | "edited after
    signing" | "not signed", "reason", "manifest"}. `frames`: the file's frames where the caller
    has just decoded them (read_video(path)[0]), to save decoding them again. A corrupt file or a
    manifest that does not parse is an error, not a verdict."""
    if not isinstance(public_key, Ed25519PublicKey):
        raise ValueError(f"public_key: expected an Ed25519 public key (private_key.public_key()); got {describe(public_key)}")
    text = read_tag(path, TAG)
    if text is None:
        return {"status": "not signed", "reason": f"the file carries no '{TAG}' manifest", "manifest": None}
    video = read_video(path)[0] if frames is None else frames
    return verify_manifest(parse(text), frames_sha256(video), public_key)
