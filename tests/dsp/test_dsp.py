"""`talkbench.dsp` (bench/dsp.py): the padding rule shared by the STFT and the block driver."""

from __future__ import annotations

import numpy as np

from talkbench import dsp


def test_centered_slice_is_reflect_then_zero_padding() -> None:
    """The one padding rule (talkbench.dsp.centered_slice) used by dsp.stft and the block driver alike."""
    x = np.arange(1, 3001, dtype=np.float32)
    for n_fft, hop in [(512, 128), (400, 160), (2048, 512)]:
        pad = n_fft // 2
        n_frames = int(np.ceil((len(x) + 2 * pad - n_fft) / hop)) + 1
        total = (n_frames - 1) * hop + n_fft
        ref = np.pad(np.pad(x, pad, mode="reflect"), (0, total - len(x) - 2 * pad))
        for lo, hi in [(0, total), (0, 700), (100, 2000), (2500, total), (pad, pad + len(x))]:
            np.testing.assert_array_equal(dsp.centered_slice(x, lo, hi, pad), ref[lo:hi])
        expected = np.fft.rfft(dsp.frame_signal(ref, n_fft, hop) * dsp.window("hann", n_fft), axis=1)
        np.testing.assert_allclose(dsp.stft(x, n_fft, hop), expected, atol=1e-9)


def test_mel_filterbank_is_librosas_default_one() -> None:
    import librosa

    from talkbench.dsp import mel_filterbank

    for sr, n_fft, n_mels, fmax in ((16000, 400, 80, None), (16000, 512, 40, 7600.0), (22050, 1024, 128, None)):
        ours = mel_filterbank(sr, n_fft, n_mels, fmax=fmax)
        ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmax=fmax)  # float32: compare at its precision
        assert ours.shape == ref.shape
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-7 * ref.max())


def test_log_mel_matches_librosa_melspectrogram_with_the_same_padding() -> None:
    import librosa

    from talkbench.audio_features.log_mel import log_mel

    y = (np.random.default_rng(0).standard_normal(16000 * 2) * 0.1).astype(np.float32)
    ref = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=400, hop_length=160, win_length=400, n_mels=80,
                                         power=2.0, center=True, pad_mode="reflect")
    np.testing.assert_allclose(log_mel(y), np.log(ref + 1e-6).T, atol=1e-4)
