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
