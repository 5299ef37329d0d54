"""The `enhance` task: denoise every utterance of a speech set and score it against the clean speech."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from tqdm import tqdm

from talkbench.core.errors import BenchError
from talkbench.core.method import Configurable, Enhancer
from talkbench.core.metric import MetricContext, MetricResult
from talkbench.core.task import Task
from talkbench.core.types import Audio
from talkbench.datasets.cards import load_speech
from talkbench.harness.context import JobContext, TaskOutput
from talkbench.harness.run_dir import seal_stored_values, write_job_files
from talkbench.harness.stages import result_json
from talkbench.infra import numerics
from talkbench.infra.atomic import atomic_file, atomic_write_text
from talkbench.infra.cache_entry import DamagedEntry, cached, guarded_read
from talkbench.infra.hashing import stable_hash
from talkbench.infra.paths import cache_dir

if TYPE_CHECKING:
    from talkbench.datasets.speech_set import SpeechSet


class EnhanceTask(Task):
    """WildTalker Table 3: speech enhancement of noisy utterances, scored against the clean speech."""

    name: ClassVar[str] = "enhance"
    metrics: ClassVar[tuple[str, ...]] = ("pesq", "csig", "cbak", "covl", "stoi", "si_sdr")
    conditions: ClassVar[tuple[str, ...]] = ("all", "snr=2.5", "snr=7.5", "snr=12.5", "snr=17.5")
    description: ClassVar[str] = "speech enhancement of noisy utterances, scored against the clean speech (WildTalker Table 3)"

    def accepts(self, method_cls: type[Configurable]) -> bool:
        """Speech enhancers (`Enhancer`)."""
        return issubclass(method_cls, Enhancer)

    def run(self, job: JobContext) -> TaskOutput:
        """Enhance every utterance (cached), score each, aggregate per condition (all, per SNR)."""
        return run_enhance(job)


def run_enhance(job: JobContext) -> TaskOutput:
    """Enhance (cached), score per utterance, aggregate per condition (all, per SNR)."""
    spec = job.spec
    speech = job.load(load_speech)
    job.timings["train"] = 0.0  # classical denoisers do not train
    key = stable_hash({"method": spec.method, "config": job.config, "data": job.dataset_sha, "code": job.code,
                       "numerics": numerics.active_mode()})
    enhanced, job.timings["render"], cached = _enhance_stage(job, speech, key)
    audio_seconds = sum(len(u.noisy) for u in speech.utterances) / speech.sample_rate
    per_item, job.timings["metrics"] = _score_utterances(job, speech, enhanced)
    results = {condition: _aggregate(job, speech, per_item, condition) for condition in speech.conditions()}

    def write(prov: dict[str, Any]) -> None:
        _write_run_dir(job, speech, enhanced, per_item, results, prov)

    return TaskOutput(results, {"cached_stages": {"render": cached}, "render_key": key,
                                "real_time_factor": job.timings["render"] / audio_seconds if audio_seconds else None}, write)


def _enhance_stage(job: JobContext, speech: "SpeechSet", key: str) -> tuple[list[np.ndarray], float, bool]:
    def build(tmp: Path) -> tuple[list[np.ndarray], float]:
        out, wall = [], 0.0
        for u in tqdm(speech.utterances, desc=f"enhance {job.spec.method}", unit="utt", leave=False, disable=None):
            t0 = time.perf_counter()
            audio = job.method.denoise(u.noisy, speech.sample_rate)
            wall += time.perf_counter() - t0
            if len(audio) != len(u.noisy) or not np.all(np.isfinite(audio)):
                raise BenchError(f"{job.spec.method} returned bad audio for utterance {u.id} (length or non-finite values)")
            out.append(audio.astype(np.float32))
        np.savez(tmp / "enhanced.npz", **{f"u{i}": a for i, a in enumerate(out)})
        (tmp / "DONE.json").write_text(json.dumps({"wall_time_s": wall}))
        return out, wall

    def load(path: Path) -> tuple[list[np.ndarray], float]:
        with np.load(path / "enhanced.npz", allow_pickle=False) as data:
            out = [data[f"u{i}"] for i in range(len(speech.utterances))]
        if [len(a) for a in out] != [len(u.noisy) for u in speech.utterances]:
            raise DamagedEntry(f"{path / 'enhanced.npz'}: utterance lengths differ from the dataset's")
        return out, float(json.loads((path / "DONE.json").read_text())["wall_time_s"])

    (out, wall), reused = cached(cache_dir() / "enhance" / key, build, load, label="enhance",
                                 refresh=job.spec.overwrite == "always")
    return out, wall, reused


def _score_utterances(job: JobContext, speech: "SpeechSet", enhanced: list[np.ndarray]) -> tuple[dict[str, list[MetricResult]], float]:
    previous = _load_per_utterance(job.run_dir) if job.spec.overwrite != "always" else {}
    protocols = _stored_protocols(job.run_dir) if previous else {}
    ctx = MetricContext(options=dict(job.spec.metric_options))
    t0 = time.perf_counter()
    per_item: dict[str, list[MetricResult]] = {}

    def reusable(name: str) -> bool:
        return name in previous and len(previous[name]) == len(speech.utterances) and not np.isnan(previous[name]).any()

    for name, cls in job.metric_classes.items():
        metric = cls()
        # Stored values are reused only when they were scored under the same protocol variant (e.g. PESQ-NB's rate).
        if reusable(name) and all(protocols.get(name, {}).get(k) == v for k, v in metric.variant(ctx.options).items()):
            per_item[name] = [MetricResult(name, float(v), details=dict(protocols.get(name, {}))) for v in previous[name]]
            continue
        results = []
        for u, out in tqdm(list(zip(speech.utterances, enhanced)), desc=f"{name} {job.spec.method}", unit="utt", leave=False, disable=None):
            pred = Audio(out, speech.sample_rate, source=f"{job.spec.method}:{u.id}")
            ref = Audio(u.clean, speech.sample_rate, source=f"{speech.name}:{u.id} (clean)")
            try:
                results.append(metric.compute(pred, ref, ctx))
            except BenchError as exc:
                results.append(MetricResult.unavailable(name, str(exc)))
        per_item[name] = results
    for name in previous:  # values scored earlier in this execution stay in its run directory
        if name not in per_item and reusable(name):
            per_item[name] = [MetricResult(name, float(v), details=dict(protocols.get(name, {}))) for v in previous[name]]
    return per_item, time.perf_counter() - t0


AGGREGATE_KEYS = ("items", "utterances", "condition", "unavailable_items", "unavailable_example")
"""Details `_aggregate` writes per condition: not part of a metric's protocol."""


def _stored_protocols(run_dir: Path) -> dict[str, dict[str, Any]]:
    """Per metric, the protocol details stored with its values in this execution's metrics.json ({} when absent)."""
    def load() -> dict[str, dict[str, Any]]:
        try:
            stored = json.loads((run_dir / "metrics.json").read_text()).get("conditions", {}).get("all", {})
        except (OSError, ValueError, AttributeError) as exc:
            raise DamagedEntry(f"{run_dir / 'metrics.json'} is not a metrics file ({exc})") from None
        return {name: {k: v for k, v in (m.get("details") or {}).items() if k not in AGGREGATE_KEYS}
                for name, m in stored.items() if isinstance(m, dict)}

    return guarded_read(run_dir, STORED_VALUES[:1], load, what=f"stored metrics of {run_dir}") or {}


def _aggregate(job: JobContext, speech: "SpeechSet", per_item: dict[str, list[MetricResult]], condition: str) -> dict[str, MetricResult]:
    idx = speech.in_condition(condition)
    out = {}
    for name, results in per_item.items():
        chosen = [results[i] for i in idx]
        values = np.array([r.value for r in chosen if r.available], dtype=np.float64)
        missing = [r.unavailable_reason for r in chosen if not r.available]
        details = dict(next((r.details for r in chosen if r.available), {}))
        details.update(items=int(values.size), utterances=len(idx), condition=condition)
        if missing:
            details["unavailable_items"] = len(missing)
            details["unavailable_example"] = missing[0]
        if values.size == 0:
            out[name] = MetricResult(name, None, unavailable_reason=missing[0] if missing else "no utterances", details=details)
        else:
            out[name] = MetricResult(name, float(values.mean()), per_item=values, details=details)
    return out


STORED_VALUES = ("metrics.json", "per_utterance.csv")
"""The run-directory files whose values a rerun reuses (guarded by its MANIFEST.json)."""


def _load_per_utterance(run_dir: Path) -> dict[str, np.ndarray]:
    def load() -> dict[str, np.ndarray]:
        import pandas as pd

        try:
            frame = pd.read_csv(run_dir / "per_utterance.csv", float_precision="round_trip")
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DamagedEntry(f"{run_dir / 'per_utterance.csv'} is not a per-utterance table ({exc})") from None
        return {c: frame[c].to_numpy(dtype=np.float64) for c in frame.columns if c not in ("id", "snr_db", "noise", "speaker")}

    return guarded_read(run_dir, STORED_VALUES[1:], load, what=f"stored per-utterance values of {run_dir}") or {}


def _write_run_dir(job: JobContext, speech: "SpeechSet", enhanced: list[np.ndarray], per_item: dict[str, list[MetricResult]],
                   results: dict[str, dict[str, MetricResult]], prov: dict[str, Any]) -> None:
    import pandas as pd

    from talkbench.io.audio import write_audio

    run_dir, spec = job.run_dir, job.spec
    write_job_files(run_dir, spec, job.config, prov)
    atomic_write_text(run_dir / "metrics.json", json.dumps({"run_id": spec.run_id, "conditions": {
        c: {n: result_json(r) for n, r in res.items()} for c, res in results.items()}}, indent=2, default=str))
    table = {"id": [u.id for u in speech.utterances], "snr_db": [u.snr_db for u in speech.utterances],
             "noise": [u.noise for u in speech.utterances], "speaker": [u.speaker for u in speech.utterances]}
    table.update({n: [r.value if r.available else math.nan for r in rs] for n, rs in per_item.items()})
    with atomic_file(run_dir / "per_utterance.csv") as tmp:
        pd.DataFrame(table).to_csv(tmp, index=False)
    seal_stored_values(run_dir, STORED_VALUES)
    examples = run_dir / "examples"
    examples.mkdir(exist_ok=True)
    shown = [speech.in_condition(c)[0] for c in speech.conditions()[1:]] or [0]
    for i in shown:
        write_audio(examples / f"{speech.utterances[i].id}_enhanced.wav", enhanced[i], speech.sample_rate)
    _spectrograms(speech, enhanced, shown[0], run_dir / "spectrogram.png", spec.method)
    names = list(next(iter(results.values())))
    lines = [f"# {spec.run_id}", "", "| condition | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for condition, res in results.items():
        cells = [f"{r.value:.3f}" if r.available else "n/a" for r in res.values()]
        lines.append(f"| {condition} (n={len(speech.in_condition(condition))}) | " + " | ".join(cells) + " |")
    rtf = prov.get("real_time_factor")
    lines += ["", f"Real-time factor of {spec.method}: {rtf:.5f}" if rtf else "", "",
              "Noisy / enhanced / clean spectrograms of one utterance:", "", "![spectrogram](spectrogram.png)"]
    atomic_write_text(run_dir / "report.md", "\n".join(lines) + "\n")


def _spectrograms(speech: "SpeechSet", enhanced: list[np.ndarray], i: int, path: Path, method: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from talkbench.dsp import stft

    u = speech.utterances[i]
    fig, axes = plt.subplots(3, 1, figsize=(8, 6), sharex=True)
    for ax, (title, x) in zip(axes, (("noisy", u.noisy), (f"enhanced ({method})", enhanced[i]), ("clean", u.clean))):
        spec_db = 20 * np.log10(np.abs(stft(x, 512, 128)).T + 1e-6)
        ax.imshow(spec_db, origin="lower", aspect="auto", vmin=spec_db.max() - 80, vmax=spec_db.max(),
                  extent=(0, len(x) / speech.sample_rate, 0, speech.sample_rate / 2000))
        ax.set_title(f"{title} — {u.id}", fontsize=9)
        ax.set_ylabel("kHz")
    axes[-1].set_xlabel("s")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
