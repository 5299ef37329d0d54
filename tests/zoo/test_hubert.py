"""HuBERT (`talkbench.zoo.hubert`): its snapshot installed, checked and refused through the weights registry, and loaded from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from talkbench import audio_features as ae
from talkbench.core.errors import BenchError, WeightsMissing
from talkbench.infra import weights
from tests.audio_features import speech as _speech
from tests.kit.weights import HUBERT, W2V


def test_install_status_tamper_and_bad_snapshots(bench_home: Path, snapshots: dict[str, Path], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from talkbench.cli.main import main

    assert main(["weights", "install", HUBERT, "--from", str(snapshots["hubert"])]) == 0
    assert "pinned at install" in capsys.readouterr().out
    path, digest = weights.verified(HUBERT)
    assert path.is_dir() and sorted(p.name for p in path.iterdir()) == ["config.json", "model.safetensors", "preprocessor_config.json"]
    assert digest == weights.snapshot_sha256(snapshots["hubert"])
    assert main(["weights", "status"]) == 0
    out = capsys.readouterr().out
    assert f"{HUBERT} installed" in out and f"{W2V} missing" in out and "hf download cpierse/wav2vec2-large-xlsr-53-esperanto" in out

    # a weights file changed behind the registry's back is refused, and so is a changed config
    blob = bytearray((path / "model.safetensors").read_bytes())
    blob[-5] ^= 0xFF
    (path / "model.safetensors").write_bytes(bytes(blob))
    assert weights.status(HUBERT)[0] == "bad-hash"
    with pytest.raises(WeightsMissing, match="refusing"):
        ae.extract("hubert", _speech(0.5), 12, 25.0)
    weights.install(HUBERT, str(snapshots["hubert"]))
    (path / "config.json").write_text((path / "config.json").read_text().replace('"hidden_act"', '"hidden_act" ', 1))
    assert weights.status(HUBERT)[0] == "bad-hash"

    # incomplete snapshots, URLs and a stated hash that does not match are not installed
    partial = tmp_path / "partial"
    shutil.copytree(snapshots["hubert"], partial)
    (partial / "model.safetensors").unlink()
    with pytest.raises(BenchError, match="missing model.safetensors or pytorch_model.bin"):
        weights.install(HUBERT, str(partial))
    with pytest.raises(BenchError, match="snapshot"):
        weights.install(HUBERT, "https://huggingface.co/facebook/hubert-large-ls960-ft")
    with pytest.raises(BenchError, match="does not match"):
        weights.install(W2V, str(snapshots["wav2vec"]), sha256="0" * 64)
    assert weights.status(W2V)[0] == "missing"

    # a snapshot whose weights do not load is refused at install, and, put in place under a pin by hand, at load
    (partial / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(BenchError, match="model.safetensors: not a readable safetensors file"):
        weights.install(HUBERT, str(partial))
    (path / "model.safetensors").write_bytes(b"not a safetensors file")
    weights._write_pin(HUBERT, weights.snapshot_sha256(path))
    with pytest.raises(WeightsMissing, match="not loadable as HubertModel"):
        ae.extract("hubert", _speech(0.5), 12, 25.0)


def test_load_hubert_keeps_one_model_per_network(installed: dict[str, Path]) -> None:
    from talkbench.zoo import cache
    from talkbench.zoo.hubert import load_hubert
    from talkbench.zoo.wav2vec import load_wav2vec

    cache.clear_cache()
    path, digest = weights.verified(HUBERT)
    fe, model = load_hubert(path, digest, "cpu")
    assert type(model).__name__ == "HubertModel" and not model.training and model.config.hidden_size == 32
    assert load_hubert(path, digest, "cpu")[1] is model  # kept per process
    w2v_path, w2v_digest = weights.verified(W2V)
    ctc = load_wav2vec(w2v_path, w2v_digest, "cpu")[1]
    assert type(ctc).__name__ == "Wav2Vec2ForCTC" and ctc.config.vocab_size == 44
    weights.install(HUBERT, str(installed["hubert_other"]))
    other = load_hubert(*weights.verified(HUBERT), "cpu")[1]
    assert other is not model
    assert [k[0] for k in cache._ONE] == [W2V, HUBERT]  # the first HuBERT was dropped, wav2vec kept
