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


@pytest.fixture(scope="module")
def stereo_speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    """A project-made stereo file: espeak speech, white noise on the left, pink on the right (16 kHz)."""
    import soundfile as sf

    from tests.kit.denoising import make_mixture

    _, left = make_mixture("white", snr=5.0, seed=3)
    _, right = make_mixture("pink", snr=10.0, seed=4)
    path = tmp_path_factory.mktemp("stereo") / "stereo.wav"
    sf.write(str(path), np.stack([left, right], axis=1) * 0.5, SR, subtype="FLOAT")
    return path, left * 0.5, right * 0.5


def test_denoise_file_channel_choices(tmp_path: Path, stereo_speech) -> None:
    import soundfile as sf

    path, left, right = stereo_speech
    mss = mss_mod.MSS()
    for channel, expected in (("left", left), ("right", right), ("mean", (left + right) / 2)):
        notes = denoise_file(path, tmp_path / f"{channel}.wav", "mss", {}, channel=channel)
        out, _ = read_audio(tmp_path / f"{channel}.wav", resample=False)
        np.testing.assert_allclose(out, mss.denoise(expected.astype(np.float32), SR), atol=2 / 32768)
        assert any("downmixed to mono" in n for n in notes) == (channel == "mean")
    notes = denoise_file(path, tmp_path / "each.wav", "mss", {}, channel="each")
    both, rate = sf.read(str(tmp_path / "each.wav"), always_2d=True)
    assert rate == SR and both.shape == (len(left), 2)  # a stereo output, each channel denoised on its own
    for column, track in ((0, left), (1, right)):
        np.testing.assert_allclose(both[:, column], mss.denoise(track.astype(np.float32), SR), atol=2 / 32768)
    assert notes == [f"{path}: 2-channel audio, each channel processed on its own"]
    with pytest.raises(InputError, match="--channel 'both'"):
        denoise_file(path, tmp_path / "x.wav", "mss", {}, channel="both")


def test_score_speech_files_per_channel(tmp_path: Path, stereo_speech) -> None:
    import soundfile as sf

    from talkbench.harness.scoring import score_files
    from tests.kit.denoising import make_mixture

    path, left, right = stereo_speech
    clean = make_mixture("white", snr=5.0, seed=3)[0] * 0.5
    sf.write(str(tmp_path / "clean.wav"), clean, SR, subtype="FLOAT")
    sf.write(str(tmp_path / "clean_stereo.wav"), np.stack([clean, clean], axis=1), SR, subtype="FLOAT")
    for side, track in (("left", left), ("right", right)):
        sf.write(str(tmp_path / f"{side}.wav"), track, SR, subtype="FLOAT")
    metrics = ["si_sdr", "pesq"]
    mono = {side: score_files(str(tmp_path / f"{side}.wav"), str(tmp_path / "clean.wav"), metrics)[0]
            for side in ("left", "right")}
    for ref in ("clean.wav", "clean_stereo.wav"):  # a mono reference serves every channel
        each, notes = score_files(str(path), str(tmp_path / ref), metrics, channel="each")
        assert set(each) == {"si_sdr[left]", "si_sdr[right]", "pesq[left]", "pesq[right]"}
        for side in ("left", "right"):
            assert each[f"pesq[{side}]"].value == mono[side]["pesq"].value
            assert each[f"si_sdr[{side}]"].value == mono[side]["si_sdr"].value
            assert each[f"pesq[{side}]"].details["channel"] == side
    right_only, notes = score_files(str(path), str(tmp_path / "clean.wav"), metrics, channel="right")
    assert right_only["pesq"].value == mono["right"]["pesq"].value and right_only["pesq"].details["channel"] == "right"
    mean, notes = score_files(str(path), str(tmp_path / "clean.wav"), metrics)
    assert any("downmixed to mono" in n for n in notes) and mean["pesq"].details["channel"] == "mean"
    sf.write(str(tmp_path / "three.wav"), np.stack([clean] * 3, axis=1), SR, subtype="FLOAT")
    with pytest.raises(InputError, match="has 2 channels but .* has 3"):
        score_files(str(path), str(tmp_path / "three.wav"), metrics, channel="each")
