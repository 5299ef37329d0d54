"""Which noise estimate should the classical denoisers use by default? The measurement behind DESIGN.md's table.

For each speech source, each stationary noise (white, pink, 50 Hz mains hum with harmonics; numpy, the
synthetic set's generators) at 0, 5 and 10 dB SNR (active speech level, as the synthetic set defines it),
each denoiser (mss, specsub, wiener) with each `noise_from` estimator, it prints ΔPESQ-WB and ΔSTOI
(enhanced minus noisy) and writes every row to a CSV.

Speech sources:
  alsa        the recorded phrases of Debian's alsa-utils (/usr/share/sounds/alsa, 48 kHz -> 16 kHz; Noise.wav
              is a noise test signal, not speech, and is left out), concatenated as recorded
  alsa-t0     the same phrases, each with its leading silence trimmed, so speech starts at t = 0
  pesq-pair   the pesq package's test speech (audio/speech.wav of github.com/ludlows/python-pesq), when
              --pesq-pair DIR holds it (never committed: third-party audio)
  espeak      the tests' espeak-ng sentence after 0.5 s of silence (the assumption of "leading")
  espeak-t0   the same sentence from t = 0

Run:  .venv/bin/python benchmarks/denoise_noise_estimate.py [--pesq-pair /tmp/pesq_pair] [--csv out.csv]
(about 10 minutes on one CPU core; apt-get install alsa-utils for the alsa sources).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from talkbench.core.types import SAMPLE_RATE  # noqa: E402
from talkbench.datasets.speech import ALSA_SOUNDS, make_noise, synthesize  # noqa: E402
from talkbench.datasets.speech_set import active_power  # noqa: E402
from talkbench.harness.denoise import denoise  # noqa: E402
from talkbench.methods.enhance.noise_estimate import NOISE_FROM  # noqa: E402
from talkbench.metrics.speech.pesq import pesq_wb  # noqa: E402
from talkbench.metrics.speech.stoi import stoi  # noqa: E402

METHODS = ("mss", "specsub", "wiener")
NOISES = ("white", "pink", "hum")
SNRS = (0.0, 5.0, 10.0)
ESPEAK_TEXT = "The quick brown fox jumps over the lazy dog. Please call Stella and ask her to bring these things."
SILENCE = 1e-3
"""Samples below this magnitude (about -60 dBFS) before a phrase's first louder one are its leading silence."""


def _read_16k(path: Path) -> np.ndarray:
    from talkbench.io.audio import read_audio

    audio, _ = read_audio(path)
    return audio.astype(np.float64)


def _trim_leading(x: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(x) > SILENCE)
    return x[loud[0]:] if loud.size else x


def speech_sources(pesq_pair: Path | None) -> dict[str, np.ndarray]:
    """name -> clean speech (float64, 16 kHz); sources whose files are missing are left out with a note."""
    sources: dict[str, np.ndarray] = {}
    phrases = [_read_16k(p) for p in sorted(ALSA_SOUNDS.glob("*.wav")) if p.name != "Noise.wav"] if ALSA_SOUNDS.is_dir() else []
    if phrases:
        sources["alsa"] = np.concatenate(phrases)
        sources["alsa-t0"] = np.concatenate([_trim_leading(p) for p in phrases])
    else:
        print(f"note: no alsa-utils phrases in {ALSA_SOUNDS} (apt-get install alsa-utils); alsa sources skipped", file=sys.stderr)
    if pesq_pair is not None and (pesq_pair / "speech.wav").is_file():
        sources["pesq-pair"] = _read_16k(pesq_pair / "speech.wav")
    elif pesq_pair is not None:
        print(f"note: {pesq_pair / 'speech.wav'} not found; pesq-pair skipped", file=sys.stderr)
    speech = synthesize(ESPEAK_TEXT).astype(np.float64)
    sources["espeak"] = np.concatenate([np.zeros(SAMPLE_RATE // 2), speech])
    sources["espeak-t0"] = _trim_leading(speech)
    return sources


def mixture(clean: np.ndarray, kind: str, snr_db: float, seed: int) -> np.ndarray:
    """`clean` plus seeded noise of `kind` at `snr_db` over the active speech level."""
    noise = make_noise(kind, len(clean), np.random.default_rng(seed)).astype(np.float64)
    noise *= np.sqrt(active_power(clean) / (np.mean(noise**2) * 10 ** (snr_db / 10)))
    return clean + noise


def measure(sources: dict[str, np.ndarray], methods: tuple[str, ...], estimators: tuple[str, ...]) -> list[dict]:
    """One row per source × noise × SNR × method × estimator: the noisy and enhanced PESQ-WB and STOI."""
    rows = []
    for s_idx, (source, clean) in enumerate(sources.items()):
        for n_idx, kind in enumerate(NOISES):
            for snr in SNRS:
                noisy = mixture(clean, kind, snr, seed=1000 * s_idx + 10 * n_idx + int(snr))
                base_pesq, base_stoi = pesq_wb(clean, noisy), stoi(clean, noisy, SAMPLE_RATE)
                for method in methods:
                    for how in estimators:
                        t0 = time.perf_counter()
                        out = denoise(noisy.astype(np.float32), SAMPLE_RATE, method=method, noise_from=how).astype(np.float64)
                        seconds = time.perf_counter() - t0
                        rows.append(dict(source=source, noise=kind, snr_db=snr, method=method, noise_from=how,
                                         pesq_noisy=base_pesq, pesq=pesq_wb(clean, out),
                                         stoi_noisy=base_stoi, stoi=stoi(clean, out, SAMPLE_RATE), seconds=seconds))
                print(f"{source} {kind} {snr:g} dB done", file=sys.stderr)
    return rows


def grid_tables(rows: list[dict]) -> str:
    """Per source: method × estimator rows, noise × SNR columns, cells "ΔPESQ / ΔSTOI"."""
    out = []
    cols = [(k, s) for k in NOISES for s in SNRS]
    by_source: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_source[r["source"]].append(r)
    for source, group in by_source.items():
        cell = {(r["method"], r["noise_from"], r["noise"], r["snr_db"]): r for r in group}
        noisy = {(r["noise"], r["snr_db"]): r["pesq_noisy"] for r in group}
        out.append(f"\n**{source}** (cells: ΔPESQ-WB / ΔSTOI; noisy PESQ-WB in the header)\n")
        out.append("| method | noise_from | " + " | ".join(f"{k} {s:g} dB ({noisy[(k, s)]:.2f})" for k, s in cols)
                   + " | min ΔPESQ |")
        out.append("|" + " --- |" * (len(cols) + 3))
        for method in dict.fromkeys(r["method"] for r in group):
            for how in dict.fromkeys(r["noise_from"] for r in group):
                cells = [cell[(method, how, k, s)] for k, s in cols]
                d = [c["pesq"] - c["pesq_noisy"] for c in cells]
                out.append(f"| {method} | {how} | " + " | ".join(
                    f"{c['pesq'] - c['pesq_noisy']:+.2f} / {c['stoi'] - c['stoi_noisy']:+.3f}" for c in cells)
                    + f" | {min(d):+.2f} |")
    return "\n".join(out)


def summary_table(rows: list[dict]) -> str:
    """method × estimator: mean and worst ΔPESQ-WB and mean ΔSTOI over noises and SNRs, per source."""
    sources = list(dict.fromkeys(r["source"] for r in rows))
    acc: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    for r in rows:
        acc[(r["method"], r["noise_from"], r["source"])].append((r["pesq"] - r["pesq_noisy"], r["stoi"] - r["stoi_noisy"]))
    lines = ["| method | noise_from | " + " | ".join(f"{s}: mean ΔPESQ (min) / mean ΔSTOI" for s in sources) + " |",
             "|" + " --- |" * (len(sources) + 2)]
    for method, how in dict.fromkeys((r["method"], r["noise_from"]) for r in rows):
        cells = []
        for s in sources:
            v = np.array(acc[(method, how, s)])
            cells.append(f"{v[:, 0].mean():+.2f} ({v[:, 0].min():+.2f}) / {v[:, 1].mean():+.3f}")
        lines.append(f"| {method} | {how} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure, print the markdown tables, write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pesq-pair", type=Path, help="folder holding the pesq package's audio/speech.wav")
    parser.add_argument("--csv", type=Path, default=Path("denoise_noise_estimate.csv"), help="where every row goes")
    parser.add_argument("--method", action="append", choices=METHODS, help="only these denoisers (default: all three)")
    parser.add_argument("--noise-from", action="append", choices=NOISE_FROM, help="only these estimators (default: all)")
    parser.add_argument("--source", action="append", help="only these speech sources (default: every one available)")
    args = parser.parse_args(argv)
    sources = speech_sources(args.pesq_pair)
    if args.source:
        sources = {k: v for k, v in sources.items() if k in args.source}
    rows = measure(sources, tuple(args.method or METHODS), tuple(args.noise_from or NOISE_FROM))
    with args.csv.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(summary_table(rows))
    print(grid_tables(rows))
    print(f"\nwrote {args.csv} ({len(rows)} rows)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
