"""Speech for the synthetic datasets: espeak-ng through the pinned `espeakng-loader` wheel, and noise.

espeak-ng is driven through ctypes (its C API: espeak_Initialize / espeak_SetSynthCallback /
espeak_Synth), so the generated speech is identical on every machine with the pinned pip
package. Output is 22050 Hz int16, returned as float32 at talkbench's 16 kHz.
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading
from pathlib import Path

import numpy as np

from talkbench.core.errors import BenchError
from talkbench.core.types import SAMPLE_RATE

ALSA_SOUNDS = Path("/usr/share/sounds/alsa")
"""Debian alsa-utils' recorded phrases ("Front Center", "Noise", ...), 48 kHz WAV."""

VOICES = ("en-us", "en", "en+f4", "en+m3")
"""espeak voice variants a speech track draws from ("en" is British English in espeak-ng 1.52).

Variants with "breath" (f2, f3, f5, klatt, whisper, ...) mix in noise that is not reproducible
from run to run, so only breath-free variants are used: the output must be byte-identical."""

NOISE_TYPES = ("white", "pink", "babble", "hum", "clicks")

# espeak_AUDIO_OUTPUT / espeak_PARAMETER / espeakCHARS values from speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_espeakRATE = 1
_espeakVOLUME = 2
_espeakPITCH = 3
_espeakCHARS_UTF8 = 1
_POS_CHARACTER = 1

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Espeak:
    """The process-wide espeak-ng instance (the library keeps global state: one user at a time)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise BenchError("espeak-ng is needed for synthetic speech: pip install espeakng-loader==0.2.4") from exc
        lib_path = espeakng_loader.get_library_path()
        data_path = Path(espeakng_loader.get_data_path())
        self.lib = ctypes.CDLL(lib_path)
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
            ctypes.c_void_p, ctypes.c_void_p,
        ]
        # espeak-ng 1.52 looks for "<path>/espeak-ng-data" first, then "<path>" itself: pass the
        # directory that contains espeak-ng-data (works with both rules; ESPEAK_DATA_PATH is ignored).
        root = str(data_path.parent if data_path.name == "espeak-ng-data" else data_path)
        rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, root.encode(), 0)
        if rate <= 0:
            raise BenchError(f"espeak-ng failed to initialise with data at {data_path} (returned {rate})")
        self.sample_rate = int(rate)
        self._chunks: list[np.ndarray] = []
        self._callback = _SYNTH_CALLBACK(self._collect)  # keep a reference: C holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)
        self.lock = threading.Lock()

    def _collect(self, wav, n, events) -> int:  # noqa: ANN001 - ctypes signature
        if wav and n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    def synth(self, text: str, voice: str, rate: int, pitch: int) -> np.ndarray:
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise BenchError(f"espeak-ng has no voice {voice!r} (try one of {', '.join(VOICES)})")
            self.lib.espeak_SetParameter(_espeakRATE, int(rate), 0)
            self.lib.espeak_SetParameter(_espeakPITCH, int(pitch), 0)
            self.lib.espeak_SetParameter(_espeakVOLUME, 100, 0)
            self._chunks = []
            data = text.encode("utf-8") + b"\0"
            buf = ctypes.create_string_buffer(data)
            err = self.lib.espeak_Synth(buf, len(data), 0, _POS_CHARACTER, 0, _espeakCHARS_UTF8, None, None)
            self.lib.espeak_Synchronize()
            if err != 0:
                raise BenchError(f"espeak-ng could not synthesise {text[:40]!r} (error {err})")
            chunks, self._chunks = self._chunks, []
        return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)


_ENGINE: _Espeak | None = None
_ENGINE_LOCK = threading.Lock()


def _engine() -> _Espeak:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None or _ENGINE_PID != os.getpid():
            _set_engine(_Espeak())
        return _ENGINE  # type: ignore[return-value]


_ENGINE_PID = -1


def _set_engine(engine: _Espeak) -> None:
    global _ENGINE, _ENGINE_PID
    _ENGINE, _ENGINE_PID = engine, os.getpid()


def reset_engine() -> None:
    """Reload espeak-ng, so what is synthesised next starts from the library's initial state.

    The library keeps state from one utterance to the next (the same text and voice spoken twice give two
    waveforms; espeak_Terminate/espeak_Initialize and espeak_ng_SetRandSeed do not reset it), so a generator's
    audio would otherwise depend on what the process synthesised before: the noisy-speech set generated after a
    portrait came out different. Unloading the shared library resets it; every generator calls this first.
    """
    import _ctypes

    global _ENGINE
    with _ENGINE_LOCK:
        old = _ENGINE
        _ENGINE = None
        if old is not None:
            old.lib.espeak_Terminate()
            handle = old.lib._handle
            del old
            _ctypes.dlclose(handle)
    _synthesize_cached.cache_clear()


def _resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    if sr_in == sr_out:
        return x.astype(np.float32)
    import soxr

    return soxr.resample(x.astype(np.float32), sr_in, sr_out, quality="HQ").astype(np.float32)


@functools.lru_cache(maxsize=256)
def _synthesize_cached(text: str, voice: str, rate: int, pitch: int) -> np.ndarray:
    engine = _engine()
    pcm = engine.synth(text, voice, rate, pitch)
    audio = _resample(pcm.astype(np.float32) / 32768.0, engine.sample_rate, SAMPLE_RATE)
    audio.setflags(write=False)
    return audio


def synthesize(text: str, voice: str = "en-us", rate: int = 160, pitch: int = 50) -> np.ndarray:
    """Speak `text` with espeak-ng: float32 mono at 16 kHz (a fresh copy).

    `rate` is words per minute (80-450), `pitch` 0-100 (50 is the voice's normal pitch).
    """
    return _synthesize_cached(text, voice, int(rate), int(pitch)).copy()


def alsa_phrases(required: bool = True) -> list[np.ndarray]:
    """The recorded phrases of alsa-utils (/usr/share/sounds/alsa/*.wav) as float32 16 kHz arrays."""
    files = sorted(ALSA_SOUNDS.glob("*.wav")) if ALSA_SOUNDS.is_dir() else []
    if not files:
        if required:
            raise BenchError(
                f"speech source 'alsa' needs the recorded phrases in {ALSA_SOUNDS} (none found); "
                "install them with: apt-get install alsa-utils — or use sources = [\"espeak\"] in the card"
            )
        return []
    import soundfile as sf

    out = []
    for path in files:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
        out.append(_resample(data.mean(axis=1), sr, SAMPLE_RATE))
    return out


def speech_track(sources: list[str], texts: list[str], seconds: float, seed: int) -> np.ndarray:
    """A deterministic speech track of exactly round(seconds*16000) samples, peak-normalised to 0.9.

    Phrases are drawn from `sources` ("espeak": `texts` spoken with voice variants, rates and
    pitches chosen from `seed`; "alsa": the alsa-utils recordings), separated by 0.15-0.6 s pauses.
    """
    reset_engine()  # the track (and the generator's later babble) is synthesised from espeak's initial state
    n_total = int(round(seconds * SAMPLE_RATE))
    rng = np.random.default_rng(seed)
    pools: list[tuple[str, int]] = []
    alsa: list[np.ndarray] = []
    for source in sources:
        if source == "espeak":
            if not texts:
                raise BenchError("speech source 'espeak' needs a non-empty list of texts in the card")
            pools.extend(("espeak", i) for i in range(len(texts)))
        elif source == "alsa":
            alsa = alsa_phrases(required=True)
            pools.extend(("alsa", i) for i in range(len(alsa)))
        else:
            raise BenchError(f"unknown speech source {source!r} (known: espeak, alsa)")
    if not pools:
        raise BenchError("speech_track needs at least one speech source")
    pieces: list[np.ndarray] = [np.zeros(int(rng.uniform(0.15, 0.4) * SAMPLE_RATE), np.float32)]
    have = len(pieces[0])
    order = rng.permutation(len(pools))
    k = 0
    while have < n_total:
        if k == len(order):
            order, k = rng.permutation(len(pools)), 0
        kind, idx = pools[order[k]]
        k += 1
        if kind == "espeak":
            voice = VOICES[int(rng.integers(len(VOICES)))]
            rate = int(rng.integers(140, 186))
            pitch = int(rng.integers(35, 71))
            phrase = synthesize(texts[idx], voice=voice, rate=rate, pitch=pitch)
        else:
            phrase = alsa[idx].copy()
        phrase = _trim_silence(phrase)
        peak = float(np.max(np.abs(phrase))) if phrase.size else 0.0
        if peak > 0:
            phrase *= float(rng.uniform(0.7, 1.0)) / peak
        pause = np.zeros(int(rng.uniform(0.15, 0.6) * SAMPLE_RATE), np.float32)
        pieces += [phrase.astype(np.float32), pause]
        have += len(phrase) + len(pause)
    track = np.concatenate(pieces)[:n_total].astype(np.float32)
    peak = float(np.max(np.abs(track)))
    if peak > 0:
        track *= np.float32(0.9 / peak)
    return track


def _trim_silence(x: np.ndarray, threshold: float = 1e-3) -> np.ndarray:
    loud = np.flatnonzero(np.abs(x) > threshold)
    return x[loud[0] : loud[-1] + 1] if loud.size else x


# ----------------------------------------------------------------------------- noise


def make_noise(kind: str, n: int, rng: np.random.Generator, texts: list[str] | None = None) -> np.ndarray:
    """`n` samples of unit-less noise of one type: white, pink, babble, hum (50 Hz mains), clicks."""
    if kind == "white":
        return rng.standard_normal(n).astype(np.float32)
    if kind == "pink":
        white = rng.standard_normal(n)
        spec = np.fft.rfft(white)
        f = np.arange(spec.size, dtype=np.float64)
        f[0] = 1.0
        return np.fft.irfft(spec / np.sqrt(f), n).astype(np.float32)
    if kind == "babble":
        if not texts:
            raise BenchError("babble noise needs texts to speak")
        voices = ("en+f4", "en+m3", "en", "en-us", "en+f1", "en+m1")
        out = np.zeros(n, np.float32)
        for talker in range(4):
            seed = int(rng.integers(2**31))
            sub = np.random.default_rng(seed)
            pieces, have = [], 0
            while have < n:
                text = texts[int(sub.integers(len(texts)))]
                voice = voices[(talker + int(sub.integers(2))) % len(voices)]
                phrase = synthesize(text, voice=voice, rate=int(sub.integers(150, 200)), pitch=int(sub.integers(20, 90)))
                pieces.append(phrase)
                have += len(phrase)
            track = np.concatenate(pieces)
            start = int(sub.integers(0, max(1, len(track) - n)))
            out += track[start : start + n] / (np.sqrt(np.mean(track**2)) + 1e-9)
        return out
    if kind == "hum":
        t = np.arange(n) / SAMPLE_RATE
        phase = rng.uniform(0, 2 * np.pi, size=8)
        return sum((1.0 / h) * np.sin(2 * np.pi * 50 * h * t + phase[h - 1]) for h in range(1, 9)).astype(np.float32)
    if kind == "clicks":
        out = np.zeros(n, np.float32)
        count = max(1, int(n / SAMPLE_RATE * 8))
        length = int(0.004 * SAMPLE_RATE)
        decay = np.exp(-np.arange(length) / (0.0008 * SAMPLE_RATE)).astype(np.float32)
        for pos in rng.integers(0, max(1, n - length), size=count):
            out[pos : pos + length] += decay * rng.standard_normal(length).astype(np.float32) * rng.uniform(0.3, 1.0)
        return out
    raise BenchError(f"unknown noise type {kind!r} (known: {', '.join(NOISE_TYPES)})")


def add_noise_segments(
    clean: np.ndarray, noise_types: list[str], snr_db: float, segment_seconds: float, seed: int, texts: list[str] | None = None
) -> tuple[np.ndarray, list[dict]]:
    """Speech + noise in consecutive segments that rotate through `noise_types`.

    Each segment's noise is scaled so that 10·log10(P_clean / P_noise) over the segment is
    `snr_db`. Returns the noisy float32 track (same length) and one record per segment
    (start/stop sample, type, SNR).
    """
    rng = np.random.default_rng(seed)
    n = len(clean)
    seg = max(1, int(round(segment_seconds * SAMPLE_RATE)))
    bounds = list(range(0, n, seg)) + [n]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < seg // 4:  # fold a short tail into the previous segment
        del bounds[-2]
    noisy = clean.astype(np.float64).copy()
    records = []
    for i, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:])):
        kind = noise_types[i % len(noise_types)]
        noise = make_noise(kind, stop - start, rng, texts).astype(np.float64)
        p_clean = float(np.mean(clean[start:stop].astype(np.float64) ** 2))
        p_noise = float(np.mean(noise**2))
        gain = np.sqrt(p_clean / (p_noise * 10 ** (snr_db / 10))) if p_clean > 0 and p_noise > 0 else 0.0
        noisy[start:stop] += gain * noise
        records.append({"start": int(start), "stop": int(stop), "type": kind, "snr_db": float(snr_db)})
    return noisy.astype(np.float32), records
