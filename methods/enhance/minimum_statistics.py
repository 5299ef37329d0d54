"""Minimum-statistics noise PSD tracking (Martin 2001), for recordings that do not start with noise alone.

R. Martin, "Noise power spectral density estimation based on optimal smoothing and minimum statistics",
IEEE Trans. Speech Audio Process. 9(5), 2001: the noisy periodogram is smoothed recursively with a
time- and frequency-dependent factor (Eq. 3, 9-12), its minimum is tracked over a sliding window of
D frames split into U sub-windows of V frames (Sec. IV), and the minimum's bias is compensated from the
smoothed periodogram's equivalent degrees of freedom Q_eq (Eq. 15-23). The M(D) table is the updated
one of R. Martin, "Bias compensation methods for minimum statistics noise power spectral density
estimation", Signal Processing 86, 2006 (Table 5). Time constants are given in seconds, as in the paper,
so the tracker behaves the same at every STFT hop.
"""

from __future__ import annotations

import math

import numpy as np

WINDOW_SECONDS = 1.536
"""Length of the minimum search window D·hop (Martin: D = 96 frames of 16 ms)."""
SUBWINDOWS = 8
"""U, the number of sub-windows of the search window (Martin: U = 8, V = 12)."""
MIN_SUBWINDOW_FRAMES = 4
"""V is never below this many frames (short windows at long hops): U shrinks instead."""

ALPHA_C_SECONDS = 0.0449
"""Time constant of the smoothing-correction factor α_c, which is also its lower bound (Eq. 10: both 0.7 at a
16 ms hop; scaling the bound with the hop, as Brookes' voicebox estnoisem does, kept pink noise within 1 dB
at an 8 ms hop, where the paper's fixed 0.7 fell 2 dB short)."""
ALPHA_MAX_SECONDS = 0.392
"""Largest smoothing time constant of the periodogram (Eq. 11: α_max = 0.96 at 16 ms)."""
ALPHA_MIN_SECONDS = 0.0133
"""Upper limit of the lower bound on the smoothing factor (Eq. 12: 0.3 at 16 ms)."""
FALL_SECONDS = 0.064
"""Time constant of Eq. 12's SNR-dependent lower bound (how fast the smoothed power may fall)."""
BETA_MAX_SECONDS = 0.0717
"""Largest smoothing time constant of the variance estimate (Eq. 20-22: β_max = 0.8 at 16 ms)."""
Q_EQ_MIN, Q_EQ_MAX = 2.0, 14.0
"""Bounds of the equivalent degrees of freedom Q_eq (Eq. 23); 1/Q_eq starts at 1/(Q_EQ_MAX·frame) so the
first frames converge (Brookes' voicebox estnoisem does the same)."""
BIAS_FUDGE = 2.12
"""a_v of the bias correction's mean-Q_eq term B_c = 1 + a_v·sqrt(mean 1/Q_eq) (Eq. 23 and the text after it)."""
NOISE_SLOPE = ((0.03, 47.0), (0.05, 31.4), (0.06, 15.7), (math.inf, 4.1))
"""(mean 1/Q_eq below, largest noise rise in dB/s): how far a sub-window minimum may exceed the window's and still
replace it (Sec. IV's noise_slope_max; 8, 4, 2, 1.2 for V = 12 at 16 ms)."""

_M_TABLE = np.array([
    (1, 0.0), (2, 0.26), (5, 0.48), (8, 0.58), (10, 0.61), (15, 0.668), (20, 0.705), (30, 0.762), (40, 0.8),
    (60, 0.841), (80, 0.865), (120, 0.89), (140, 0.9), (160, 0.91), (180, 0.92), (220, 0.93), (260, 0.935),
    (300, 0.94)])
"""M(D) of Martin 2006, Table 5: the minimum's bias term for a window of D frames."""


def bias_m(frames: int) -> float:
    """M(D) for a window of `frames` frames, interpolated in 1/sqrt(D) between Table 5's entries (flat beyond 300)."""
    d, m = _M_TABLE[:, 0], _M_TABLE[:, 1]
    if frames >= d[-1]:
        return float(m[-1])
    # M(D) is close to linear in 1/sqrt(D) (the paper's Fig. 4), so interpolate there.
    x = 1.0 / np.sqrt(d)
    return float(np.interp(1.0 / math.sqrt(max(frames, 1)), x[::-1], m[::-1]))


def window_frames(hop_seconds: float) -> tuple[int, int]:
    """(U, V): sub-windows and frames per sub-window covering WINDOW_SECONDS at this hop."""
    v = round(WINDOW_SECONDS / (hop_seconds * SUBWINDOWS))
    if v >= MIN_SUBWINDOW_FRAMES:
        return SUBWINDOWS, int(v)
    return max(1, round(WINDOW_SECONDS / (hop_seconds * MIN_SUBWINDOW_FRAMES))), MIN_SUBWINDOW_FRAMES


def minimum_statistics(psd: np.ndarray, hop_seconds: float, *, backfill: bool = True) -> np.ndarray:
    """Noise PSD per frame and bin [frames, bins] tracked from a noisy power spectrogram |Y|² [frames, bins].

    `hop_seconds` is the STFT hop. The tracker is causal; with `backfill` (offline use, ours) the frames
    before the first full search window get the estimate at its end, because until then the minimum is
    taken over too little audio (at a speech onset at t = 0 it is the speech itself).
    """
    psd = np.asarray(psd, dtype=np.float64)
    n_frames, n_bins = psd.shape
    out = np.empty_like(psd)
    if n_frames == 0:
        return out
    # A floor keeps the ratios finite on digital silence (it is far below any real noise floor).
    tiny = max(1e-12 * float(psd.mean()), 1e-30)
    psd = np.maximum(psd, tiny)
    u, v = window_frames(hop_seconds)
    d = u * v
    m_d, m_v = bias_m(d), bias_m(v)
    a_c_smooth = math.exp(-hop_seconds / ALPHA_C_SECONDS)
    a_max = math.exp(-hop_seconds / ALPHA_MAX_SECONDS)
    a_min_cap = math.exp(-hop_seconds / ALPHA_MIN_SECONDS)
    b_max = math.exp(-hop_seconds / BETA_MAX_SECONDS)
    fall_exp = -hop_seconds / FALL_SECONDS
    slopes = [(q, 10.0 ** (db * v * hop_seconds / 10.0)) for q, db in NOISE_SLOPE]

    # Offline (ours): P starts from the mean periodogram of the first sub-window, not Martin's single first frame,
    # whose unsmoothed dips (-20 dB in 1 % of bins) would stay the minimum of the first whole window.
    p = psd[:v].mean(axis=0)               # smoothed periodogram P (Eq. 3)
    noise = p.copy()                       # σ²_N, the estimate
    p_mean, p_sq = p.copy(), p * p         # first and second moments of P (Eq. 20-21)
    a_c = 1.0                              # smoothing correction α_c (Eq. 10)
    act_min = np.full(n_bins, np.inf)      # minimum of the current sub-window, bias-compensated for D
    act_min_sub = np.full(n_bins, np.inf)  # the same, compensated for V (a candidate local minimum)
    p_min_u = p.copy()                     # minimum over the whole window
    buffer = np.full((u, n_bins), np.inf)  # the U sub-window minima
    slot, count = -1, v                    # count = v forces a sub-window switch on the first frame
    local_min = np.zeros(n_bins, dtype=bool)
    for t in range(n_frames):
        y = psd[t]
        a_c_bar = 1.0 / (1.0 + (p.sum() / y.sum() - 1.0) ** 2)                    # Eq. 9
        a_c = a_c_smooth * a_c + (1.0 - a_c_smooth) * max(a_c_bar, a_c_smooth)         # Eq. 10
        alpha = a_max * a_c / (1.0 + (p / noise - 1.0) ** 2)                       # Eq. 11
        np.maximum(alpha, min(a_min_cap, (p.sum() / noise.sum()) ** fall_exp), out=alpha)  # Eq. 12
        p = alpha * p + (1.0 - alpha) * y                                          # Eq. 3
        beta = np.minimum(alpha * alpha, b_max)
        p_mean = beta * p_mean + (1.0 - beta) * p                                  # Eq. 20
        p_sq = beta * p_sq + (1.0 - beta) * p * p                                  # Eq. 21
        q_inv = np.clip((p_sq - p_mean**2) / (2.0 * noise**2), 1.0 / (Q_EQ_MAX * (t + 1)), 1.0 / Q_EQ_MIN)  # Eq. 22-23
        q_mean = float(q_inv.mean())
        b_c = 1.0 + BIAS_FUDGE * math.sqrt(q_mean)
        b_min_d = 1.0 + 2.0 * (d - 1) * (1.0 - m_d) / (1.0 / q_inv - 2.0 * m_d)   # Eq. 17
        b_min_v = 1.0 + 2.0 * (v - 1) * (1.0 - m_v) / (1.0 / q_inv - 2.0 * m_v)
        candidate = b_c * p
        new_min = candidate * b_min_d < act_min
        act_min = np.where(new_min, candidate * b_min_d, act_min)
        act_min_sub = np.where(new_min, candidate * b_min_v, act_min_sub)
        if 1 < count < v:  # inside a sub-window: a fast fall of the noise is followed at once
            local_min |= new_min
            p_min_u = np.minimum(act_min_sub, p_min_u)
            noise = p_min_u.copy()
        elif count >= v:   # a sub-window ends: store its minimum, the estimate is the minimum of the U stored
            slot = (slot + 1) % u
            buffer[slot] = act_min
            p_min_u = buffer.min(axis=0)
            slope = next(s for q, s in slopes if q_mean < q)
            # A rising noise floor: accept this sub-window's minimum if it is a local one, not too far above.
            rise = local_min & ~new_min & (act_min_sub < slope * p_min_u) & (act_min_sub > p_min_u)
            if rise.any():
                p_min_u[rise] = act_min_sub[rise]
                buffer[:, rise] = p_min_u[rise]
            local_min[:] = False
            act_min[:] = np.inf
            count = 0
        count += 1
        out[t] = noise
    if backfill and n_frames > 1:
        full = min(d, n_frames) - 1
        out[:full] = out[full]
    return out
