"""SyncNet v2 (`talkbench.zoo.syncnet`): its audio input (int16 as ffmpeg writes it) and the network loaded strictly from the registry."""

from __future__ import annotations

import numpy as np
import pytest

from talkbench.core.errors import InputError, WeightsMissing
from talkbench.zoo import cache
from talkbench.zoo.syncnet import float_to_int16, load_syncnet, mfcc_features


def test_float_to_int16_rounds_and_saturates_like_ffmpeg() -> None:
    x = np.array([0.0, 0.5, -1.0, 1.0, 1.5, -2.0, 1 / 65536, 3 / 65536, -0.25], dtype=np.float32)
    got = float_to_int16(x)
    assert got.dtype == np.int16
    np.testing.assert_array_equal(got, [0, 16384, -32768, 32767, 32767, -32768, 0, 2, -8192])  # halves to even


def test_float_to_int16_refuses_non_finite_samples() -> None:
    with pytest.raises(InputError, match="NaN or infinite"):
        float_to_int16(np.array([0.0, np.nan]))
    with pytest.raises(InputError, match="16000 Hz"):
        mfcc_features(np.zeros(1600, np.int16), 8000)


def test_load_syncnet_is_built_once_per_file_and_strict(installed_syncnet, random_s3fd_file) -> None:
    from talkbench.infra import weights

    net, digest = load_syncnet("cpu")
    again, _ = load_syncnet("cpu")
    assert again is net and not net.training and digest == weights.verified("syncnet_v2")[1]
    cache.clear_cache()
    assert load_syncnet("cpu")[0] is not net  # rebuilt after the cache is cleared
    weights.install("syncnet_v2", str(random_s3fd_file))  # another network's tensors under SyncNet's name
    with pytest.raises(WeightsMissing, match="does not match the expected network.*bench weights install syncnet_v2"):
        load_syncnet("cpu")
