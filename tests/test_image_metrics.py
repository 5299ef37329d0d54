"""PSNR, SSIM and LPIPS checked against their reference packages (skimage, lpips) on shared inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from talkbench.core.errors import InputError
from talkbench.core.metric import MetricContext
from talkbench.core.types import Video
from talkbench.metrics.image import psnr as psnr_mod
from talkbench.metrics.image.frames import check_pair, to_float
from talkbench.metrics.image.psnr import PSNR, psnr_per_frame
from talkbench.metrics.image.ssim import SSIM, SSIM_SETTINGS, ssim_per_frame
from tests.kit.weights import install_file, installed_alexnet, lpips_env, random_alexnet, reference_lpips  # noqa: F401


def _frames(seed: int, t: int = 5, h: int = 48, w: int = 40) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (t, h, w, 3), dtype=np.uint8)


def _perturb(frames: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0.0, sigma, frames.shape)
    return np.clip(frames.astype(np.float64) + noise, 0, 255).astype(np.uint8)


def _video(frames: np.ndarray, source: str) -> Video:
    return Video(frames=frames, fps=25.0, source=source)


# ----------------------------------------------------------------------------- helpers


def test_to_float_and_check_pair() -> None:
    a = _frames(0, t=2)
    f = to_float(a)
    assert f.dtype == np.float64 and f.max() <= 1.0 and np.allclose(f * 255, a)
    p, r = check_pair(a[0], a[0])  # a single frame becomes T=1
    assert p.shape == (1, *a.shape[1:])
    with pytest.raises(InputError, match="frame counts differ"):
        check_pair(a, a[:1], "x.mp4", "y.mp4")


# ----------------------------------------------------------------------------- PSNR


@pytest.mark.parametrize("sigma", [2.0, 10.0, 40.0])
def test_psnr_matches_skimage_uint8(sigma: float) -> None:
    ref = _frames(1)
    pred = _perturb(ref, sigma, seed=2)
    ours = psnr_per_frame(pred, ref)
    expected = [peak_signal_noise_ratio(r / 255.0, p / 255.0, data_range=1) for p, r in zip(pred, ref)]
    assert ours.dtype == np.float64 and ours.shape == (len(ref),)
    np.testing.assert_allclose(ours, expected, rtol=1e-10)


def test_psnr_matches_skimage_random_pair() -> None:
    pred, ref = _frames(3), _frames(4)
    expected = [peak_signal_noise_ratio(r / 255.0, p / 255.0, data_range=1) for p, r in zip(pred, ref)]
    np.testing.assert_allclose(psnr_per_frame(pred, ref), expected, rtol=1e-10)


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-10), (np.float32, 1e-5)])
def test_psnr_matches_skimage_float(dtype: type, rtol: float) -> None:
    rng = np.random.default_rng(5)
    ref = rng.random((4, 32, 36, 3)).astype(dtype)
    pred = np.clip(ref + rng.normal(0, 0.05, ref.shape), 0, 1).astype(dtype)
    expected = [peak_signal_noise_ratio(r, p, data_range=1) for p, r in zip(pred, ref)]
    np.testing.assert_allclose(psnr_per_frame(pred, ref), expected, rtol=rtol)


def test_psnr_uint8_equals_float_path() -> None:
    ref = _frames(6)
    pred = _perturb(ref, 8.0, seed=7)
    np.testing.assert_allclose(psnr_per_frame(pred, ref), psnr_per_frame(pred / 255.0, ref / 255.0), rtol=1e-12)


def test_psnr_chunking_does_not_change_values(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = _frames(8, t=11)
    pred = _perturb(ref, 6.0, seed=9)
    whole = psnr_per_frame(pred, ref)
    whole_f = psnr_per_frame(pred / 255.0, ref / 255.0)
    monkeypatch.setattr(psnr_mod, "frames_per_chunk", lambda *a, **k: 3)
    np.testing.assert_array_equal(psnr_per_frame(pred, ref), whole)
    np.testing.assert_array_equal(psnr_per_frame(pred / 255.0, ref / 255.0), whole_f)


def test_psnr_identical_frames_are_inf() -> None:
    ref = _frames(10)
    per_frame = psnr_per_frame(ref, ref.copy())
    assert np.all(np.isposinf(per_frame))
    assert np.all(np.isposinf(psnr_per_frame(ref / 255.0, ref / 255.0)))
    result = PSNR().compute(_video(ref, "pred.mp4"), _video(ref.copy(), "gt.mp4"))
    assert result.available and math.isinf(result.value) and result.value > 0


def test_psnr_class_value_and_details() -> None:
    ref = _frames(11)
    pred = _perturb(ref, 5.0, seed=12)
    pred[0] = ref[0]  # one identical frame: its PSNR is inf, so is the mean
    result = PSNR().compute(_video(pred, "a"), _video(ref, "b"))
    assert math.isinf(result.value)
    pred = _perturb(ref, 5.0, seed=12)
    result = PSNR().compute(_video(pred, "a"), _video(ref, "b"), MetricContext(options={"compositing": "head+torso"}))
    assert result.name == "psnr" and PSNR.higher_is_better
    assert result.value == pytest.approx(float(np.mean(psnr_per_frame(pred, ref))))
    np.testing.assert_array_equal(result.per_item, psnr_per_frame(pred, ref))
    assert result.details["protocol"] == "per-frame -10log10(MSE), RGB [0,1], full frame, mean over frames"
    assert result.details["compositing"] == "head+torso"
    assert PSNR().compute(_video(pred, "a"), _video(ref, "b")).details["compositing"] == "full frame"


# ----------------------------------------------------------------------------- SSIM


def test_ssim_matches_skimage() -> None:
    ref = _frames(13, t=4, h=40, w=44)
    pred = _perturb(ref, 12.0, seed=14)
    expected = [
        structural_similarity(p / 255.0, r / 255.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                              data_range=1.0, channel_axis=-1)
        for p, r in zip(pred, ref)
    ]
    ours = ssim_per_frame(pred, ref)
    np.testing.assert_allclose(ours, expected, rtol=1e-12)
    np.testing.assert_array_equal(ssim_per_frame(pred, ref, workers=1), ours)
    np.testing.assert_allclose(ssim_per_frame(pred / 255.0, ref / 255.0), expected, rtol=1e-12)
    assert SSIM_SETTINGS["use_sample_covariance"] is False and SSIM_SETTINGS["sigma"] == 1.5


def test_ssim_identical_is_one_and_class() -> None:
    ref = _frames(15, t=3)
    np.testing.assert_allclose(ssim_per_frame(ref, ref.copy()), 1.0, atol=1e-12)
    pred = _perturb(ref, 20.0, seed=16)
    result = SSIM().compute(_video(pred, "a"), _video(ref, "b"))
    assert result.name == "ssim" and SSIM.higher_is_better
    assert result.value == pytest.approx(float(np.mean(ssim_per_frame(pred, ref))))
    assert 0 < result.value < 1


# ----------------------------------------------------------------------------- shape errors


@pytest.mark.parametrize("metric_cls", ["psnr", "ssim", "lpips"])
@pytest.mark.parametrize("ref_shape", [(4, 32, 32, 3), (5, 32, 30, 3)])
def test_mismatched_shapes_raise_input_error(metric_cls: str, ref_shape: tuple[int, ...]) -> None:
    from talkbench.core.registries import METRICS

    metric = METRICS.get(metric_cls)()
    pred = _video(np.zeros((5, 32, 32, 3), np.uint8), "runs/x/render.mp4")
    ref = _video(np.zeros(ref_shape, np.uint8), "data/clip/test.mp4")
    with pytest.raises(InputError) as info:
        metric.compute(pred, ref)
    msg = str(info.value)
    assert "runs/x/render.mp4" in msg and "data/clip/test.mp4" in msg
    assert "(5, 32, 32, 3)" in msg and str(tuple(ref_shape)) in msg


# ----------------------------------------------------------------------------- LPIPS


def _nchw(frames: np.ndarray):
    import torch

    return torch.from_numpy(np.ascontiguousarray((frames.astype(np.float32) / 255.0).transpose(0, 3, 1, 2)))


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


# ----------------------------------------------------------------------------- torchvision shim


def test_import_torchvision_is_idempotent() -> None:
    from talkbench.infra.torchvision_compat import import_torchvision

    tv1 = import_torchvision()
    tv2 = import_torchvision()
    assert tv1 is tv2 and hasattr(tv1.models, "alexnet")
