"""Lesson 06's signed provenance: a manifest signed with Ed25519 inside the MP4; verification tells
an intact file from one edited after signing and from an unsigned one; bad manifests are errors."""
import json

import pytest
import torch

from utils import videofile
from utils.applications import provenance

SHA = "ab" * 32


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("provenance")
    clip = torch.rand(6, 3, 32, 48, generator=torch.Generator().manual_seed(0))
    plain = videofile.write_video(folder / "plain.mp4", clip, fps=6, progress=False)
    key = provenance.new_key()
    path = provenance.sign_video(plain, folder / "signed.mp4", key, "vgan", SHA, ["trim 0:1"])
    return folder, plain, path, key


def test_a_signed_file_is_intact_and_decodes_to_the_same_frames(signed):
    _, plain, path, key = signed
    verdict = provenance.verify_video(path, key.public_key())
    assert verdict["status"] == "intact" and verdict["manifest"]["generator"] == "vgan"
    assert verdict["manifest"]["edits"] == ["trim 0:1"] and verdict["manifest"]["checkpoint_sha256"] == SHA
    assert torch.equal(videofile.read_video(path)[0], videofile.read_video(plain)[0])


def test_an_unsigned_file_says_so(signed):
    _, plain, _, key = signed
    assert provenance.verify_video(plain, key.public_key())["status"] == "not signed"


def _retagged(folder, source, name, change):
    text = change(videofile.read_tag(source, provenance.TAG))
    return videofile.write_tag(source, folder / name, provenance.TAG, text)


def test_one_edited_frame_is_caught(signed):
    folder, _, path, key = signed
    frames, fps = videofile.read_video(path)
    frames[2, :, :8, :8] = 1 - frames[2, :, :8, :8]
    edited = videofile.write_video(folder / "edited_frames.mp4", frames, fps=fps, progress=False)
    edited = videofile.write_tag(edited, folder / "edited_tagged.mp4", provenance.TAG, videofile.read_tag(path, provenance.TAG))
    verdict = provenance.verify_video(edited, key.public_key())
    assert verdict["status"] == "edited after signing" and "frames" in verdict["reason"]


def test_an_edited_manifest_or_signature_or_another_key_is_caught(signed):
    folder, _, path, key = signed

    def rename(text):
        claim = json.loads(text)
        claim["manifest"]["generator"] = "a camera"
        return json.dumps(claim)

    def flip(text):
        claim = json.loads(text)
        claim["signature"] = ("A" if claim["signature"][0] != "A" else "B") + claim["signature"][1:]
        return json.dumps(claim)

    for tampered in (_retagged(folder, path, "renamed.mp4", rename), _retagged(folder, path, "flipped.mp4", flip)):
        verdict = provenance.verify_video(tampered, key.public_key())
        assert verdict["status"] == "edited after signing" and "signature" in verdict["reason"]
    assert provenance.verify_video(path, provenance.new_key().public_key())["status"] == "edited after signing"


@pytest.mark.parametrize("text, message", [("{not json", "does not parse"), ('{"manifest": {}, "signature": "AA=="}', "expected"),
                                           ('{"manifest": {"generator": "x", "checkpoint_sha256": "", "edits": [], '
                                            '"frames_sha256": ""}, "signature": "***"}', "not base64")])
def test_a_manifest_that_does_not_parse_is_an_error(signed, text, message):
    folder, _, path, key = signed
    broken = videofile.write_tag(path, folder / "broken.mp4", provenance.TAG, text)
    with pytest.raises(provenance.ProvenanceError, match=message):
        provenance.verify_video(broken, key.public_key())


def test_a_corrupt_file_is_an_error_not_a_verdict(signed, tmp_path):
    _, _, path, key = signed
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(path.read_bytes()[:300])
    with pytest.raises(videofile.VideoFileError):
        provenance.verify_video(corrupt, key.public_key())


@pytest.mark.parametrize("call, message", [
    (lambda clip, key: provenance.make_manifest(clip, "", SHA, []), "generator"),
    (lambda clip, key: provenance.make_manifest(clip, "vgan", "not a hash", []), "64 lowercase hex"),
    (lambda clip, key: provenance.make_manifest(clip, "vgan", SHA, "trim"), "list of strings"),
    (lambda clip, key: provenance.sign({}, key.public_key()), "private key"),
    (lambda clip, key: provenance.verify_video("x.mp4", key), "public key"),
])
def test_bad_arguments_are_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call(torch.rand(2, 3, 8, 8), provenance.new_key())


def test_write_tag_never_overwrites_its_source(signed):
    _, _, path, _ = signed
    with pytest.raises(ValueError, match="overwrite"):
        videofile.write_tag(path, path, provenance.TAG, "{}")


def test_the_content_hash_sees_one_pixel_and_a_dropped_frame():
    clip = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    changed = clip.clone()
    changed[1, 0, 2, 3] = 1 - changed[1, 0, 2, 3]
    hashes = {provenance.frames_sha256(v) for v in (clip, changed, clip[:3])}
    assert len(hashes) == 3 and provenance.frames_sha256(clip) == provenance.frames_sha256(clip.clone())


def test_a_clip_that_no_model_touched_is_signed_without_a_checkpoint(tmp_path):
    clip = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(3))
    key = provenance.new_key()
    unsigned = videofile.write_video(tmp_path / "camera.mp4", clip, fps=10, progress=False)
    signed = provenance.sign_video(unsigned, tmp_path / "signed.mp4", key, "a camera, edited", None, ["trim"])
    frames, _ = videofile.read_video(signed)
    verdict = provenance.verify_video(signed, key.public_key(), frames=frames)
    assert verdict["status"] == "intact" and verdict["manifest"]["checkpoint_sha256"] is None
    assert provenance.verify_video(signed, key.public_key(), frames=frames.flip(0))["status"] == "edited after signing"
