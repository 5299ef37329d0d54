"""The metric-reference kit (torchmetrics' MetricTester idea): every metric is run through its registered class on
shared inputs and compared with its reference implementation on the same arrays.

A `ReferenceCase` names a registered metric, makes (prediction, reference, context) inputs, and gives the
reference's value on them (the package the papers' protocol uses, e.g. skimage, pesq, pystoi, or the published
formula). `check_case` asserts the class's value equals it within the case's tolerance, that the per-item values
average to the value, that identical inputs score at least as well, and that the protocol is recorded.
Metrics whose reference needs weights or a program (LPIPS: the lpips package; LSE: syncnet_python's
SyncNetInstance; AUE: OpenFace's CSV; LMD: the landmark backends) are checked in their own test modules against
those references; `REFERENCE_TESTS` names them, and `tests/metrics/test_metrics.py` checks that every
registered metric is covered one way or the other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from talkbench.core.metric import AudioMetric, MetricContext, VideoMetric
from talkbench.core.registries import METRICS
from talkbench.core.types import Audio, Video


@dataclass(frozen=True)
class ReferenceCase:
    """One metric on one input pair against its reference implementation."""

    metric: str
    inputs: Callable[[], tuple[Any, Any, MetricContext | None]]
    reference: Callable[[Any, Any, MetricContext | None], float]
    source: str
    """Where the reference comes from (package and function, or the paper's formula)."""
    rtol: float = 1e-9
    atol: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Test id."""
        return f"{self.metric}-{self.extra.get('label', 'pair')}"


def check_case(case: ReferenceCase) -> None:
    """The registered class against the reference, per-item values, identity and recorded protocol."""
    cls = METRICS.get(case.metric)
    pred, ref, ctx = case.inputs()
    kind = AudioMetric if isinstance(pred, Audio) else VideoMetric
    assert issubclass(cls, kind), f"{case.metric} is not a {kind.__name__}"
    result = cls().compute(pred, ref, ctx)
    assert result.available, f"{case.metric}: unavailable ({result.unavailable_reason})"
    expected = case.reference(pred, ref, ctx)
    assert math.isclose(result.value, expected, rel_tol=case.rtol, abs_tol=case.atol), (
        f"{case.metric} = {result.value!r}, {case.source} = {expected!r}")
    if result.per_item is not None and np.isfinite(result.per_item).all():
        assert math.isclose(float(np.mean(result.per_item)), result.value, rel_tol=1e-12, abs_tol=1e-12)
    same = cls().compute(ref, ref, ctx)
    if same.available:
        better = same.value >= result.value if cls.higher_is_better else same.value <= result.value
        assert better, f"{case.metric}: identical inputs score {same.value} against {result.value} for the pair"
    assert result.details, f"{case.metric} records no protocol details"


# ----------------------------------------------------------------------------- inputs


def frames(seed: int, t: int = 4, h: int = 48, w: int = 40) -> np.ndarray:
    """Random uint8 frames [T, H, W, 3]."""
    return np.random.default_rng(seed).integers(0, 256, (t, h, w, 3), dtype=np.uint8)


def perturbed(x: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """`x` plus Gaussian noise, clipped back to uint8."""
    noise = np.random.default_rng(seed).normal(0.0, sigma, x.shape)
    return np.clip(x.astype(np.float64) + noise, 0, 255).astype(np.uint8)


def video_pair(sigma: float) -> tuple[Video, Video, MetricContext | None]:
    """A reference video and a noisy copy."""
    ref = frames(1)
    return Video(perturbed(ref, sigma, 2), 25.0, source="pred"), Video(ref, 25.0, source="ref"), None


def torso_pair(sigma: float) -> tuple[Video, Video, MetricContext]:
    """A video pair and a torso mask annotation (the lower half of every frame)."""
    pred, ref, _ = video_pair(sigma)
    mask = np.zeros(ref.frames.shape[:3], np.uint8)
    mask[:, ref.frames.shape[1] // 2:] = 1
    return pred, ref, MetricContext(annotations={"torso_mask": mask})


def speech_pair(snr_db: float) -> tuple[Audio, Audio, None]:
    """espeak-ng speech and the same in seeded pink noise at `snr_db` (float32 like the loaders)."""
    from talkbench.datasets.speech import make_noise, synthesize

    clean = synthesize("The quick brown fox jumps over the lazy dog.").astype(np.float64)
    noise = make_noise("pink", len(clean), np.random.default_rng(3)).astype(np.float64)
    noise *= math.sqrt(np.mean(clean ** 2) / (np.mean(noise ** 2) * 10 ** (snr_db / 10)))
    noisy = clean + noise
    return (Audio(noisy.astype(np.float32), 16_000, source="noisy.wav"),
            Audio(clean.astype(np.float32), 16_000, source="clean.wav"), None)


# ----------------------------------------------------------------------------- references


def _psnr(pred: Video, ref: Video, ctx: Any) -> float:
    from skimage.metrics import peak_signal_noise_ratio

    return float(np.mean([peak_signal_noise_ratio(r / 255.0, p / 255.0, data_range=1)
                          for p, r in zip(pred.frames, ref.frames)]))


def _ssim(pred: Video, ref: Video, ctx: Any) -> float:
    from skimage.metrics import structural_similarity

    return float(np.mean([structural_similarity(r / 255.0, p / 255.0, channel_axis=-1, data_range=1.0,
                                                gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
                          for p, r in zip(pred.frames, ref.frames)]))


def _torso_psnr(pred: Video, ref: Video, ctx: MetricContext) -> float:
    from skimage.metrics import peak_signal_noise_ratio

    mask = ctx.annotations["torso_mask"].astype(bool)
    return float(np.mean([peak_signal_noise_ratio(r[m] / 255.0, p[m] / 255.0, data_range=1)
                          for p, r, m in zip(pred.frames, ref.frames, mask)]))


def _f64(a: Audio) -> np.ndarray:
    return a.samples.astype(np.float64)


def _pesq_wb(pred: Audio, ref: Audio, ctx: Any) -> float:
    import pesq

    return float(pesq.pesq(16_000, _f64(ref), _f64(pred), "wb"))


def _pesq_nb(pred: Audio, ref: Audio, ctx: Any) -> float:
    import pesq

    return float(pesq.pesq(16_000, _f64(ref), _f64(pred), "nb"))


def _stoi(extended: bool) -> Callable[[Audio, Audio, Any], float]:
    def reference(pred: Audio, ref: Audio, ctx: Any) -> float:
        from pystoi import stoi

        return float(stoi(_f64(ref), _f64(pred), 16_000, extended=extended))

    return reference


def _si_sdr(pred: Audio, ref: Audio, ctx: Any) -> float:
    """Le Roux et al. 2019, Eq. 1-3 on zero-mean signals."""
    r = _f64(ref) - _f64(ref).mean()
    p = _f64(pred) - _f64(pred).mean()
    target = (p @ r) / (r @ r) * r
    return float(10 * np.log10((target @ target) / ((p - target) @ (p - target))))


CASES: list[ReferenceCase] = [
    *[ReferenceCase("psnr", lambda s=s: video_pair(s), _psnr, "skimage.metrics.peak_signal_noise_ratio, mean over frames",
                    rtol=1e-10, extra={"label": f"sigma{s}"}) for s in (2.0, 20.0)],
    ReferenceCase("ssim", lambda: video_pair(10.0), _ssim, "skimage.metrics.structural_similarity (Wang 2004 settings)",
                  rtol=1e-9),
    ReferenceCase("psnr_torso", lambda: torso_pair(10.0), _torso_psnr, "skimage PSNR over the torso-mask pixels", rtol=1e-10),
    ReferenceCase("pesq", lambda: speech_pair(10.0), _pesq_wb, "pesq.pesq(16000, ref, deg, 'wb')", rtol=0, atol=0),
    ReferenceCase("pesq_nb", lambda: speech_pair(10.0), _pesq_nb, "pesq.pesq(16000, ref, deg, 'nb') (as torchmetrics)",
                  rtol=0, atol=0),
    ReferenceCase("stoi", lambda: speech_pair(5.0), _stoi(False), "pystoi.stoi(extended=False)", rtol=1e-12),
    ReferenceCase("estoi", lambda: speech_pair(5.0), _stoi(True), "pystoi.stoi(extended=True)", rtol=1e-12),
    ReferenceCase("si_sdr", lambda: speech_pair(5.0), _si_sdr, "Le Roux et al. 2019 Eq. 1-3", rtol=1e-4),
]
"""Metrics checked here against a package or the published formula on shared arrays."""

REFERENCE_TESTS: dict[str, str] = {
    "lpips": "test_lpips_matches_reference_package",  # the lpips package on a random AlexNet backbone
    "lse_c": "test_lse_from_crops_matches_syncnet_instance",  # syncnet_python's SyncNetInstance.evaluate
    "lse_d": "test_lse_from_crops_matches_syncnet_instance",
    "lmd": "test_centred_distance_by_hand",  # the papers' centred mean L2 on given landmarks
    "aue": "test_aue_is_the_sum_of_its_halves_and_matches_a_loop",  # OpenFace CSV tables, summed by a loop
    "aue_l": "test_aue_is_the_sum_of_its_halves_and_matches_a_loop",
    "aue_u": "test_aue_is_the_sum_of_its_halves_and_matches_a_loop",
    "csig": "test_composite_published_check",  # Loizou's composite.m published example
    "cbak": "test_composite_published_check",
    "covl": "test_composite_published_check",
    "segsnr": "test_segsnr_scaled_noise_mix_closed_form",  # Loizou's segSNR in closed form
}
"""Metrics whose reference needs weights, a program or a published example: the test function that checks each."""
