"""Hand-made run directories (and their index rows) for the report, results-file and export tests: the files
`bench run` writes, without running a method."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

FINISHED = 1_796_311_862.5
"""2026-12-03T15:31:02.500Z: the finish time of every hand-made run (its results file stamp)."""
INSTALL_URL = "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2))


def video_run(root: Path, method: str = "static", seed: int = 0, frames: int = 12, video: bool = True,
              curves: bool = True) -> Path:
    """A reconstruct execution directory: psnr (with a stored CI), ssim, an unavailable lpips (install URL), per-frame
    values from frame 500, frames.png, render.mp4 and curves.csv."""
    from talkbench.harness.figures import contact_sheet

    run_id = f"reconstruct-d-{method}-smoke-s{seed}"
    run_dir = root / run_id / "20261203T153100Z-abcd1234"
    run_dir.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    psnr = 25.0 + rng.normal(size=frames)
    ssim = 0.8 + 0.01 * rng.normal(size=frames)
    _write(run_dir / "run.json", {"run_id": run_id, "execution": run_dir.name, "fingerprint": "abcd1234", "task": "reconstruct",
                                  "method": method, "variant": "", "dataset": "d", "profile": "smoke", "seed": seed,
                                  "status": "complete", "error": None, "run_dir": str(run_dir), "config": {"steps": 3},
                                  "config_hash": "c0ffee", "dataset_sha": "da7a", "uses_ground_truth": 0,
                                  "started": FINISHED - 5, "finished": FINISHED, "started_iso": "2026-12-03T15:30:57.500Z",
                                  "finished_iso": "2026-12-03T15:31:02.500Z"})
    _write(run_dir / "config.json", {"job": {"method": method, "seed": seed}, "method_config": {"steps": 3, "lr": 0.01}})
    _write(run_dir / "provenance.json", {"git_sha": "0123456789abcdef", "git_dirty": False,
                                         "packages": {"talkbench": "0.1.0", "numpy": "1.26.4"}, "hardware": {"cpu_count": 2},
                                         "numerics": {"mode": "reproducible"}, "timings_s": {"data": 0.1, "train": 1.5}})
    _write(run_dir / "metrics.json", {"run_id": run_id, "metrics": {
        "psnr": {"value": float(psnr.mean()), "unavailable_reason": None, "details": {}, "count": frames, "higher_is_better": True,
                 "ci": {"estimate": float(psnr.mean()), "low": float(psnr.mean()) - 0.5, "high": float(psnr.mean()) + 0.5,
                        "level": 0.95, "method": "percentile bootstrap, 2000 resamples", "n": frames}},
        "ssim": {"value": float(ssim.mean()), "unavailable_reason": None, "details": {}, "count": frames, "higher_is_better": True},
        "lpips": {"value": None, "unavailable_reason": f"alexnet not installed; install it with: bench weights install alexnet "
                  f"--from {INSTALL_URL}", "details": {}, "count": 0, "higher_is_better": False}}})
    (run_dir / "per_frame.csv").write_text("frame,psnr,ssim\n" + "".join(
        f"{500 + i},{psnr[i]!r},{ssim[i]!r}\n" for i in range(frames)))
    ref = rng.integers(0, 255, size=(4, 32, 32, 3), dtype=np.uint8)
    contact_sheet(np.clip(ref.astype(int) + 20, 0, 255).astype(np.uint8), ref, run_dir / "frames.png", first_frame=500)
    if video:
        from talkbench.io.video import write_video

        write_video(run_dir / "render.mp4", ref, 25.0, np.zeros(16000 * 4 // 25, np.float32))
    if curves:
        (run_dir / "curves.csv").write_text("stage,step,loss,psnr\n" + "".join(
            f"{stage},{step},{0.1 / (step + 1)!r},{10 + step / 10}\n" for stage in ("head", "torso") for step in range(0, 50, 10)))
    (run_dir.parent / "latest").symlink_to(run_dir.name)
    return run_dir


def speech_run(root: Path, method: str = "mss") -> Path:
    """An enhance execution directory: two SNR conditions of two utterances each, per_utterance.csv, one example wav."""
    run_id = f"enhance-s-{method}-smoke-s0"
    run_dir = root / run_id / "20261203T153100Z-feed0001"
    (run_dir / "examples").mkdir(parents=True)
    values = {"pesq": [1.5, 1.7, 2.5, 2.9], "stoi": [0.8, 0.82, 0.95, 0.97]}
    snr = [2.5, 2.5, 17.5, 17.5]

    def entries(idx: list[int]) -> dict[str, Any]:
        return {m: {"value": float(np.mean([v[i] for i in idx])), "unavailable_reason": None, "details": {}, "count": len(idx),
                    "higher_is_better": True} for m, v in values.items()}

    _write(run_dir / "run.json", {"run_id": run_id, "execution": run_dir.name, "task": "enhance", "method": method, "variant": "",
                                  "dataset": "s", "profile": "smoke", "seed": 0, "status": "complete", "run_dir": str(run_dir),
                                  "config": {}, "finished": FINISHED, "finished_iso": "2026-12-03T15:31:02.500Z"})
    _write(run_dir / "config.json", {"job": {"method": method}, "method_config": {}})
    _write(run_dir / "provenance.json", {"git_sha": "0123", "packages": {"talkbench": "0.1.0"}, "timings_s": {"render": 0.2}})
    _write(run_dir / "metrics.json", {"run_id": run_id, "conditions": {"all": entries([0, 1, 2, 3]), "snr=2.5": entries([0, 1]),
                                                                        "snr=17.5": entries([2, 3])}})
    (run_dir / "per_utterance.csv").write_text("id,snr_db,noise,speaker,pesq,stoi\n" + "".join(
        f"u{i},{snr[i]},white,p1,{values['pesq'][i]},{values['stoi'][i]}\n" for i in range(4)))
    from talkbench.io.audio import write_audio

    write_audio(run_dir / "examples" / "u0_enhanced.wav", np.zeros(1600, np.float32), 16000)
    return run_dir


def index(run_dir: Path) -> None:
    """Record a hand-made execution in the results index ($BENCH_HOME), as the driver would."""
    from talkbench.harness.store import ResultRow, Store

    run = json.loads((run_dir / "run.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    conditions = metrics.get("conditions") or {"original": metrics["metrics"]}
    rows = [ResultRow(run_id=run["run_id"], task=run["task"], method=run["method"], variant="", dataset=run["dataset"],
                      profile=run["profile"], seed=run["seed"], condition=c, metric=m, value=e["value"], count=e["count"],
                      unavailable_reason=e["unavailable_reason"], higher_is_better=e["higher_is_better"],
                      execution=run["execution"], started=run.get("started", FINISHED - 5))
            for c, entries in conditions.items() for m, e in entries.items()]
    fields = {**run, "config": json.dumps(run.get("config") or {}), "started": run.get("started", FINISHED - 5)}
    Store().record(fields, rows, {"git_sha": "0123"})

