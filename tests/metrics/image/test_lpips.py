"""LPIPS (metrics/image/lpips.py) against the lpips package, and its weights checks (`tests.kit.weights`)."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench.core.metric import MetricContext
from tests.kit.images import as_video as _video, perturb as _perturb, random_frames as _frames
from tests.kit.weights import install_file, installed_alexnet, lpips_env, random_alexnet, reference_lpips  # noqa: F401


def _nchw(frames: np.ndarray):
    import torch

    return torch.from_numpy(np.ascontiguousarray((frames.astype(np.float32) / 255.0).transpose(0, 3, 1, 2)))


@pytest.mark.slow
def test_lpips_matches_reference_package(installed_alexnet) -> None:
    import torch

    from talkbench.metrics.image.lpips import lpips_per_frame

    state, _ = installed_alexnet
    ref = _frames(20, t=6, h=64, w=64)
    pred = _perturb(ref, 25.0, seed=21)
    ours = lpips_per_frame(pred, ref, batch_size=16)
    model = reference_lpips(state)
    with torch.no_grad():
        expected = model(_nchw(pred), _nchw(ref), normalize=True).reshape(-1).double().numpy()
    assert ours.shape == (6,) and np.all(ours > 0)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(lpips_per_frame(pred, ref, batch_size=4), expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(lpips_per_frame(pred / 255.0, ref / 255.0), expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(lpips_per_frame(ref, ref.copy()), 0.0, atol=1e-7)


@pytest.mark.slow
def test_lpips_class_records_protocol(installed_alexnet) -> None:
    from talkbench.metrics.image.lpips import LPIPS, lpips_per_frame

    _, digest = installed_alexnet
    ref = _frames(22, t=3, h=64, w=64)
    pred = _perturb(ref, 15.0, seed=23)
    result = LPIPS().compute(_video(pred, "a"), _video(ref, "b"), MetricContext(device="cuda"))
    assert result.available and result.name == "lpips" and not LPIPS.higher_is_better
    assert result.value == pytest.approx(float(np.mean(lpips_per_frame(pred, ref))), abs=1e-9)
    d = result.details
    assert d["net"] == "alex" and d["version"] == "0.1" and d["normalize"] is True
    assert d["backbone_file"] == "alexnet-owt-7be5be79.pth" and d["backbone_sha256"] == digest
    same = LPIPS().compute(_video(ref, "a"), _video(ref.copy(), "b"))
    assert same.value == pytest.approx(0.0, abs=1e-7)


def test_lpips_missing_backbone_is_unavailable(lpips_env) -> None:
    from talkbench.metrics.image.lpips import LPIPS

    ref = _frames(24, t=2, h=64, w=64)
    result = LPIPS().compute(_video(ref, "a"), _video(ref, "b"))
    assert not result.available and result.value is None
    assert "alexnet-owt-7be5be79.pth" in result.unavailable_reason
    assert "bench weights install alexnet" in result.unavailable_reason


def test_lpips_bad_hash_is_refused(lpips_env, random_alexnet) -> None:
    from talkbench.infra import weights
    from talkbench.metrics.image.lpips import LPIPS

    path, _, _ = random_alexnet
    install_file(path, weights.ENTRIES["alexnet"].path)  # the registry still expects torchvision's hash
    ref = _frames(25, t=2, h=64, w=64)
    result = LPIPS().compute(_video(ref, "a"), _video(ref, "b"))
    assert not result.available and result.value is None
    assert "refusing" in result.unavailable_reason
    assert "bench weights install alexnet" in result.unavailable_reason


@pytest.mark.slow
def test_lpips_rejects_changed_file_after_verification(installed_alexnet, tmp_path) -> None:
    """A file replaced after a successful run is hashed again, not trusted from the cache."""
    from talkbench.infra import weights
    from talkbench.metrics.image.lpips import LPIPS

    ref = _frames(26, t=2, h=64, w=64)
    assert LPIPS().compute(_video(ref, "a"), _video(ref, "b")).available
    dest = weights.ENTRIES["alexnet"].path
    dest.unlink()
    dest.write_bytes(b"not a checkpoint")
    result = LPIPS().compute(_video(ref, "a"), _video(ref, "b"))
    assert not result.available and "refusing" in result.unavailable_reason
