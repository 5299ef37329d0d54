"""Speech-enhancement datasets: utterances of noisy speech with their clean reference."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from talkbench.infra.atomic import atomic_directory
from talkbench.infra.cache_entry import read_prepared, write_manifest
from talkbench.core.types import SAMPLE_RATE


@dataclass
class Utterance:
    """One noisy utterance, its clean reference and how it was made (SNR, noise type, speaker)."""

    id: str
    noisy: np.ndarray
    clean: np.ndarray
    snr_db: float | None = None
    noise: str = ""
    speaker: str = ""


@dataclass
class SpeechSet:
    """A list of utterances at 16 kHz (the `enhance` task's data)."""

    name: str
    utterances: list[Utterance]
    sample_rate: int = SAMPLE_RATE
    meta: dict[str, Any] = field(default_factory=dict)

    def conditions(self) -> list[str]:
        """Condition labels: 'all' plus one per SNR present ('snr=2.5', ...)."""
        snrs = sorted({u.snr_db for u in self.utterances if u.snr_db is not None})
        return ["all"] + [condition_label(s) for s in snrs]

    def in_condition(self, condition: str) -> list[int]:
        """Indices of the utterances of a condition."""
        if condition == "all":
            return list(range(len(self.utterances)))
        return [i for i, u in enumerate(self.utterances) if u.snr_db is not None and condition_label(u.snr_db) == condition]


def condition_label(snr_db: float) -> str:
    """'snr=2.5' for 2.5 dB."""
    return f"snr={snr_db:g}"


def write_speech_set(speech: SpeechSet, directory: Path) -> None:
    """Write into an existing directory: one npz of concatenated samples plus a JSON index."""
    lengths = np.array([len(u.clean) for u in speech.utterances], dtype=np.int64)
    index = {"name": speech.name, "sample_rate": speech.sample_rate, "meta": speech.meta,
             "utterances": [{"id": u.id, "snr_db": u.snr_db, "noise": u.noise, "speaker": u.speaker} for u in speech.utterances]}
    np.savez(directory / "audio.npz", noisy=np.concatenate([u.noisy for u in speech.utterances]).astype(np.float32),
             clean=np.concatenate([u.clean for u in speech.utterances]).astype(np.float32), lengths=lengths)
    (directory / "index.json").write_text(json.dumps(index, indent=1))


def save_speech_set(speech: SpeechSet, directory: Path) -> None:
    """Write atomically (audio.npz + index.json + MANIFEST.json, checked on load)."""
    with atomic_directory(directory) as tmp:
        write_speech_set(speech, tmp)
        write_manifest(tmp)


def read_speech_set(directory: Path) -> SpeechSet:
    """Read a set written by write_speech_set; raises what the damaged file raises (see `load_speech_set`)."""
    index = json.loads((directory / "index.json").read_text())
    with np.load(directory / "audio.npz", allow_pickle=False) as data:
        noisy, clean, lengths = data["noisy"], data["clean"], data["lengths"]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    utterances = [Utterance(id=u["id"], noisy=noisy[a:b], clean=clean[a:b], snr_db=u["snr_db"], noise=u["noise"], speaker=u["speaker"])
                  for u, a, b in zip(index["utterances"], bounds[:-1], bounds[1:])]
    return SpeechSet(index["name"], utterances, index["sample_rate"], index["meta"])


def load_speech_set(directory: Path) -> SpeechSet:
    """Read a set written by save_speech_set, checked against its manifest (when it has one)."""
    return read_prepared(directory, read_speech_set, "speech dataset")


def active_power(clean: np.ndarray, frame: int = 320, floor_db: float = -40.0) -> float:
    """Mean power of the frames within `floor_db` of the loudest (a simple active-speech level)."""
    from talkbench.dsp import frame_signal

    frames = frame_signal(clean.astype(np.float64), frame, frame)
    energy = (frames**2).mean(axis=1)
    if energy.size == 0 or energy.max() <= 0:
        return 0.0
    active = energy[energy >= energy.max() * 10 ** (floor_db / 10)]
    return float(active.mean())


def generate_noisy_speech(card: dict[str, Any], profile: str) -> SpeechSet:
    """The embedded `synthetic-noisy-speech` set: espeak-ng speech + noise at the card's SNRs, deterministic."""
    from talkbench.datasets.speech import make_noise, reset_engine, synthesize

    reset_engine()  # from espeak's initial state, whatever the process synthesised before

    g = card["generator"]
    rng = np.random.default_rng(int(g["seed"]))
    per_condition = int(g["per_condition"][profile])
    voices, texts, babble_texts = list(g["voices"]), list(g["texts"]), list(g["babble_texts"])
    grid = [(snr, noise) for _ in range(per_condition) for snr in g["snr_db"] for noise in g["noise_types"]]
    utterances = []
    for i, (snr, noise) in enumerate(tqdm(grid, desc=f"generate {card['name']}", unit="utt", leave=False, disable=None)):
        voice = voices[i % len(voices)]
        speech = synthesize(texts[i % len(texts)], voice=voice, rate=int(rng.integers(150, 190)), pitch=int(rng.integers(30, 80)))
        lead = int(rng.uniform(*g["leading_silence_s"]) * SAMPLE_RATE)
        tail = int(g["trailing_silence_s"] * SAMPLE_RATE)
        clean = np.concatenate([np.zeros(lead, np.float32), speech, np.zeros(tail, np.float32)]).astype(np.float64)
        clean *= 0.3 / (np.abs(clean).max() + 1e-9)
        noise_sig = make_noise(noise, len(clean), rng, babble_texts).astype(np.float64)
        p_noise = float(np.mean(noise_sig**2))
        gain = np.sqrt(active_power(clean) / (p_noise * 10 ** (snr / 10)))
        noisy = clean + gain * noise_sig
        peak = np.abs(noisy).max()
        scale = 0.95 / peak if peak > 0.95 else 1.0  # one gain for both keeps the SNR
        utterances.append(Utterance(id=f"u{i:03d}_{noise}_{snr:g}dB", noisy=(noisy * scale).astype(np.float32),
                                    clean=(clean * scale).astype(np.float32), snr_db=float(snr), noise=noise, speaker=voice))
    return SpeechSet(card["name"], utterances, meta={"snr_definition": "active speech level (frames within 40 dB of the loudest) over noise power",
                                                      "leading_silence_s": g["leading_silence_s"]})
