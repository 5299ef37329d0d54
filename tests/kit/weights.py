"""Fixtures of tests that need pretrained files: seeded random networks saved to files and installed through the
weights registry (`talkbench.infra.weights`) like the real ones, so no real weights are ever needed.

Import the fixtures a test module or a folder's conftest needs (pytest finds fixtures by name in its namespace).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# ----------------------------------------------------------------------------- LPIPS (AlexNet backbone)


def install_file(src: Path, dest: Path) -> None:
    """Place `src` at `dest` (a hard link when possible), as if copied in by hand."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def reference_lpips(state: dict):
    """The lpips package's LPIPS with the given torchvision AlexNet weights, sliced as lpips slices them (the reference)."""
    import lpips

    from talkbench.infra.torchvision_compat import import_torchvision

    tv = import_torchvision()
    alex = tv.models.alexnet()
    alex.load_state_dict(state)
    model = lpips.LPIPS(net="alex", version="0.1", pnet_rand=True, verbose=False)
    for k in range(1, model.net.N_slices + 1):
        for idx, layer in getattr(model.net, f"slice{k}").named_children():
            layer.load_state_dict(alex.features[int(idx)].state_dict())
    return model.eval()


@pytest.fixture(scope="module")
def random_alexnet(tmp_path_factory: pytest.TempPathFactory):
    """A seeded randomly initialised torchvision alexnet state_dict saved to a file: (path, state_dict, sha256)."""
    import torch

    from talkbench.infra.torchvision_compat import import_torchvision
    from talkbench.infra.weights import sha256_of

    tv = import_torchvision()
    torch.manual_seed(1234)
    state = tv.models.alexnet().state_dict()
    path = tmp_path_factory.mktemp("alexnet") / "alexnet-random.pth"
    torch.save(state, path)
    return path, state, sha256_of(path)


@pytest.fixture
def lpips_env(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """A temporary BENCH_HOME; restores the torch hub dir and LPIPS model cache afterwards."""
    import torch

    from talkbench.zoo import lpips as lpips_zoo

    monkeypatch.setenv("BENCH_HOME", str(tmp_path))
    hub_before = getattr(torch.hub, "_hub_dir", None)
    lpips_zoo.clear_cache()
    yield tmp_path
    lpips_zoo.clear_cache()
    assert getattr(torch.hub, "_hub_dir", None) == hub_before, "LPIPS left the torch hub dir changed"
    torch.hub._hub_dir = hub_before


@pytest.fixture
def installed_alexnet(lpips_env, random_alexnet, monkeypatch: pytest.MonkeyPatch):
    """The random alexnet placed in the weights cache, with the registry expecting its sha256."""
    import dataclasses

    from talkbench.infra import weights

    path, state, digest = random_alexnet
    entry = weights.ENTRIES["alexnet"]
    monkeypatch.setitem(weights.ENTRIES, "alexnet", dataclasses.replace(entry, sha256=digest))
    install_file(path, weights.ENTRIES["alexnet"].path)
    return state, digest


# ----------------------------------------------------------------------------- SyncNet and S3FD (LSE)


@pytest.fixture(scope="module")
def random_syncnet_file(tmp_path_factory: pytest.TempPathFactory):
    """A seeded randomly initialised SyncNet `S` state_dict saved with torch.save."""
    import torch
    from syncnet_python.SyncNetModel import S

    torch.manual_seed(7)
    path = tmp_path_factory.mktemp("syncnet") / "syncnet_random.model"
    torch.save(S().state_dict(), path)
    return path


@pytest.fixture(scope="module")
def random_s3fd_file(tmp_path_factory: pytest.TempPathFactory):
    """A seeded randomly initialised S3FDNet state_dict saved with torch.save."""
    import torch
    from syncnet_python.detectors.s3fd.nets import S3FDNet

    torch.manual_seed(11)
    path = tmp_path_factory.mktemp("s3fd") / "sfd_random.pth"
    torch.save(S3FDNet(device="cpu").state_dict(), path)
    return path


@pytest.fixture
def sync_env(bench_home):
    """A fresh $BENCH_HOME with the LSE model and result caches cleared before and after."""
    from talkbench.metrics.sync import lse

    lse.clear_cache()
    yield bench_home
    lse.clear_cache()


@pytest.fixture
def installed_syncnet(sync_env, random_syncnet_file):
    """The random SyncNet installed as `syncnet_v2` through the weights registry (sha256 pinned)."""
    from talkbench.infra import weights

    return weights.install("syncnet_v2", str(random_syncnet_file))


@pytest.fixture
def installed_both(installed_syncnet, random_s3fd_file):
    """Random SyncNet and S3FD installed as `syncnet_v2` and `sfd_face`."""
    from talkbench.infra import weights

    return installed_syncnet, weights.install("sfd_face", str(random_s3fd_file))


# ----------------------------------------------------------------------------- HuBERT and wav2vec snapshots

HUBERT, W2V, DS = "hubert_large_ls960_ft", "wav2vec2_xlsr53_esperanto", "deepspeech_0_1_0"
"""The audio networks' weights entries."""


def transformers_module():
    """transformers, imported the project's way (torchvision needs the shim on CPU torch)."""
    from talkbench.infra.torchvision_compat import import_torchvision

    import_torchvision()  # transformers imports torchvision; on CPU torch it needs the project's shim
    import transformers

    return transformers


def tiny_snapshot(kind: str, directory: Path, seed: int = 0) -> Path:
    """A random, small (hidden size 32, two layers) HuBERT or Wav2Vec2ForCTC saved as a snapshot directory."""
    import torch

    tf = transformers_module()
    small = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, conv_dim=(16,) * 7,
                 num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    torch.manual_seed(seed)
    if kind == "hubert":  # the large model's layout: layer-norm front end, stable layer norm
        model = tf.HubertModel(tf.HubertConfig(**small, feat_extract_norm="layer", do_stable_layer_norm=True))
    else:  # a CTC head over the Esperanto vocabulary's 44 symbols
        model = tf.Wav2Vec2ForCTC(tf.Wav2Vec2Config(**small, vocab_size=44, feat_extract_norm="layer", do_stable_layer_norm=True))
    model.save_pretrained(directory)
    tf.Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=True).save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny random HuBERT and Wav2Vec2ForCTC snapshot directories (made once per session)."""
    root = tmp_path_factory.mktemp("snapshots")
    return {"hubert": tiny_snapshot("hubert", root / "hubert"), "wav2vec": tiny_snapshot("wav2vec", root / "wav2vec"),
            "hubert_other": tiny_snapshot("hubert", root / "hubert_other", seed=1)}


@pytest.fixture
def installed(bench_home: Path, snapshots: dict[str, Path]) -> dict[str, Path]:
    """Both snapshots installed in a fresh $BENCH_HOME."""
    from talkbench.infra import weights

    weights.install(HUBERT, str(snapshots["hubert"]))
    weights.install(W2V, str(snapshots["wav2vec"]))
    return snapshots
