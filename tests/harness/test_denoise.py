"""`talkbench.harness.denoise`: speech enhancement as plain Python functions and on files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import talkbench.methods.enhance.mss as mss_mod
from talkbench.core.errors import BenchError, InputError
from talkbench.harness.denoise import denoise, denoise_file
from talkbench.io.audio import read_audio, write_audio
from tests.kit.denoising import SR, white  # noqa: F401 - fixtures


def test_enhance_denoise_api(white) -> None:
    _, noisy = white
    out = denoise(noisy)
    np.testing.assert_array_equal(out, mss_mod.MSS().denoise(noisy, SR))
    a = denoise(noisy, 16000, method="mss", alpha=2.0, scales=[(512, 128, "hann")])
    b = denoise(noisy, 16000, method="mss", alpha="2.0", scales="512:128:hann")
    np.testing.assert_array_equal(a, b)
    assert denoise(noisy, method="passthrough").dtype == np.float32
    with pytest.raises(InputError, match="44100"):
        denoise(noisy, 44100)
    with pytest.raises(InputError, match="mono"):
        denoise(np.stack([noisy, noisy]), 16000)
    with pytest.raises(InputError, match="NaN"):
        denoise(np.full(1000, np.nan, np.float32))
    with pytest.raises(BenchError, match="did you mean"):
        denoise(noisy, alfa=2.0)
    with pytest.raises(BenchError):
        denoise(noisy, method="retrieval")


def test_enhance_denoise_file_round_trip(tmp_path: Path, white) -> None:
    _, noisy = white
    src, dst = tmp_path / "noisy.wav", tmp_path / "clean.wav"
    write_audio(src, noisy * 0.5)
    notes = denoise_file(src, dst, "mss", {"alpha": "1.5"})
    assert notes == []
    back, _ = read_audio(dst, resample=False)
    expected = mss_mod.MSS().denoise(read_audio(src)[0], SR)
    assert back.shape == noisy.shape
    np.testing.assert_allclose(back, expected, atol=2 / 32768)
    # a 48 kHz stereo file is conformed (with notes) before denoising
    import soundfile as sf

    stereo = np.stack([noisy, noisy], axis=1)[: SR] * 0.5
    sf.write(str(tmp_path / "stereo48k.wav"), np.repeat(stereo, 3, axis=0), 48000)
    notes = denoise_file(tmp_path / "stereo48k.wav", tmp_path / "out.wav", "wiener", {})
    assert any("downmixed" in n for n in notes) and any("resampled" in n for n in notes)
    assert len(read_audio(tmp_path / "out.wav")[0]) == SR
