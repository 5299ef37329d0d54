"""Audio feature extractors (bench/audio_features/extractors.py) on tiny random models made here, and their wiring.

The HuBERT and wav2vec models are random and small (hidden size 32, two layers), saved with
`save_pretrained` and installed through the weights registry like the real snapshots. Each
extractor is checked against a reference written in this file from the official protocol (the
references call transformers directly, one forward pass at a time), for several clip lengths.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
import torch

from talkbench.audio_features import extractors as ae
from talkbench.infra import weights
from talkbench.core.errors import BenchError, InputError, UnknownNameError, WeightsMissing
from talkbench.core.types import SAMPLE_RATE

HUBERT, W2V, DS = "hubert_large_ls960_ft", "wav2vec2_xlsr53_esperanto", "deepspeech_0_1_0"


def _transformers():
    from talkbench.infra.torchvision_compat import import_torchvision

    import_torchvision()  # transformers imports torchvision; on CPU torch it needs the project's shim
    import transformers

    return transformers


def _tiny(kind: str, directory: Path, seed: int = 0) -> Path:
    tf = _transformers()
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
    return {"hubert": _tiny("hubert", root / "hubert"), "wav2vec": _tiny("wav2vec", root / "wav2vec"),
            "hubert_other": _tiny("hubert", root / "hubert_other", seed=1)}


@pytest.fixture
def installed(bench_home: Path, snapshots: dict[str, Path]) -> dict[str, Path]:
    """Both snapshots installed in a fresh $BENCH_HOME."""
    weights.install(HUBERT, str(snapshots["hubert"]))
    weights.install(W2V, str(snapshots["wav2vec"]))
    return snapshots


def _speech(seconds: float, extra: int = 0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE) + extra
    t = np.arange(n) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t)) + 0.05 * rng.standard_normal(n)).astype(np.float32)


def _frames(audio: np.ndarray) -> int:
    return max(1, int(round(len(audio) / SAMPLE_RATE * 25)))


def _per_frame(windows: np.ndarray, t: int) -> np.ndarray:
    """[N, W, D] at 25 per second -> [T, D, W], frame i taking window min(i, N - 1) (the official loaders)."""
    return windows[np.minimum(np.arange(t), len(windows) - 1)].transpose(0, 2, 1)


# ----------------------------------------------------------------------------- references


def _hubert_reference(directory: Path, audio: np.ndarray) -> np.ndarray:
    tf = _transformers()
    fe = tf.Wav2Vec2FeatureExtractor.from_pretrained(str(directory), local_files_only=True)
    model = tf.HubertModel.from_pretrained(str(directory), local_files_only=True).eval()
    x = fe(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_values
    n = x.shape[1]
    # pieces of 1000 rows: 320 000 samples each plus the 80 the 400-sample receptive field reads past the hop
    starts = list(range(0, n - n % 320_000, 320_000))
    pieces = [x[:, s:s + 320_080] for s in starts] + ([x[:, len(starts) * 320_000:]] if n - len(starts) * 320_000 >= 400 else [])
    with torch.no_grad():
        rows = torch.cat([model(p).last_hidden_state[0] for p in pieces]).numpy()
    rows = rows[: (n - 80) // 320]
    rows = rows[: len(rows) // 2 * 2]
    return rows.reshape(-1, 2, rows.shape[1])  # aud_hu.npy


def _wav2vec_reference(directory: Path, audio: np.ndarray) -> np.ndarray:
    tf = _transformers()
    fe = tf.Wav2Vec2FeatureExtractor.from_pretrained(str(directory), local_files_only=True)
    model = tf.AutoModelForCTC.from_pretrained(str(directory), local_files_only=True).eval()
    held, out, pos = [np.zeros(320, np.float32)] * 10, [], 0
    while True:  # the reference's file stream: one 20 ms piece per step, a forward pass per 70 pieces held
        last = pos >= len(audio)
        if not last:
            held.append(audio[pos:pos + 320])
            pos += 320
            if len(held) < 70:
                continue
        segment = np.concatenate(held)
        if not last:
            held = held[-20:]
        with torch.no_grad():
            logits = model(fe(segment, sampling_rate=SAMPLE_RATE, return_tensors="pt", padding=True).input_values).logits[0]
        out.append(logits[10:] if last else logits[10:min(len(logits), len(logits) - 9)])
        if last:
            break
    feats = torch.cat(out)  # [M, C]
    c = feats.shape[1]
    if len(feats) == 0:  # 20 ms of audio or less: no logits row (F.unfold refuses it); the features are zeros
        return np.zeros((1, 16, c), np.float32)
    unfolded = torch.nn.functional.unfold(feats.T.reshape(1, c, -1, 1), kernel_size=(16, 1), padding=(8, 0), stride=(2, 1))
    return unfolded.reshape(c, 16, -1).permute(2, 1, 0).numpy()  # aud_eo.npy [M // 2 + 1, 16, C]


# ----------------------------------------------------------------------------- registry and weights


def test_snapshot_entries_and_missing_weights(bench_home: Path) -> None:
    for name, repo in ((HUBERT, "facebook/hubert-large-ls960-ft"), (W2V, "cpierse/wav2vec2-large-xlsr-53-esperanto")):
        entry = weights.get_entry(name)
        assert entry.snapshot and entry.url == f"https://huggingface.co/{repo}"
        assert f"hf download {repo} --local-dir DIR" in entry.install_hint()
        assert f"bench weights install {name} --from DIR" in entry.install_hint()
        assert weights.status(name)[0] == "missing"
    assert ae.names() == ["log-mel", "hubert", "wav2vec", "syncnet", "deepspeech"]
    for extractor, entry in (("hubert", HUBERT), ("wav2vec", W2V), ("deepspeech", DS)):
        with pytest.raises(WeightsMissing, match=f"bench weights install {entry}"):
            ae.extract(extractor, _speech(0.5), 12, 25.0)
        assert ae.weights_state(extractor) == {"extractor": extractor, "weights": entry, "status": "missing", "sha256": ""}
    with pytest.raises(UnknownNameError, match="did you mean"):
        ae.require("huberts")
    ae.require("log-mel")  # no weights needed


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

    # a pinned snapshot whose weights do not load is refused with one line naming it
    (partial / "model.safetensors").write_bytes(b"not a safetensors file")
    weights.install(HUBERT, str(partial))
    with pytest.raises(WeightsMissing, match="not loadable as HubertModel"):
        ae.extract("hubert", _speech(0.5), 12, 25.0)


# ----------------------------------------------------------------------------- the features


@pytest.mark.parametrize("seconds, extra", [(0.0, 100), (1.3, 1), (3.0, 7), (20.5, 3)])
def test_hubert_follows_the_official_protocol(installed: dict[str, Path], seconds: float, extra: int) -> None:
    audio = _speech(seconds, extra)
    t = _frames(audio)
    windows, info = ae.extract("hubert", audio, t, 25.0)
    assert windows.dtype == np.float32 and windows.shape == (t, 32, 2)
    assert info["name"] == "hubert" and info["dims"] == 32 and info["window"] == 2
    assert info["weights"] == HUBERT and info["weights_sha256"] == weights.verified(HUBERT)[1]
    if len(audio) < 720:  # no pair of 50 Hz rows: zero features, as the references pad missing ones
        assert not windows.any()
        return
    reference = _hubert_reference(installed["hubert"], audio)
    assert abs(len(reference) - t) <= 1
    np.testing.assert_allclose(windows, _per_frame(reference, t), atol=1e-5, rtol=0)


@pytest.mark.parametrize("seconds, extra", [(0.0, 100), (0.9, 3), (1.2, 0), (3.1, 5)])
def test_wav2vec_follows_the_official_protocol(installed: dict[str, Path], seconds: float, extra: int) -> None:
    audio = _speech(seconds, extra, seed=1)  # 1.2 s = 60 pieces: the stream ends right after a full segment
    t = _frames(audio)
    windows, info = ae.extract("wav2vec", audio, t, 25.0)
    assert windows.dtype == np.float32 and windows.shape == (t, 44, 16)
    assert info["dims"] == 44 and info["window"] == 16 and info["normalised"].startswith("none")
    reference = _wav2vec_reference(installed["wav2vec"], audio)
    np.testing.assert_allclose(windows, _per_frame(reference, t), atol=1e-5, rtol=0)


def test_frame_rates_and_the_log_mel_default(installed: dict[str, Path]) -> None:
    audio = _speech(2.0, 11)
    at25, _ = ae.extract("hubert", audio, 50, 25.0)
    at50, _ = ae.extract("hubert", audio, 100, 50.0)
    np.testing.assert_array_equal(at50[0::2], at25)  # frame i at 50 fps takes window round(i / 2)
    mel, info = ae.extract("log-mel", audio, 50, 25.0, n_mels=24)
    assert mel.shape == (50, 24, 16) and info["weights"] is None and info["normalised"].startswith("per channel")
    from talkbench.methods.nerf.audio import AudioNet, audio_windows

    np.testing.assert_array_equal(mel, audio_windows(audio, 50, 25.0, n_mels=24))
    assert AudioNet(32, 8, win_size=2)(torch.from_numpy(at25[:4])).shape == (4, 8)  # ER-NeRF's HuBERT windows
    with pytest.raises(ValueError, match="1 to 16 rows"):
        AudioNet(32, 8, win_size=17)


def test_loading_is_offline(installed: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(ae, "_MODELS", {})  # load from disk again, under the guard
    for name in ("hubert", "wav2vec"):
        windows, _ = ae.extract(name, _speech(1.0), 25, 25.0)
        assert np.isfinite(windows).all()
    assert os.environ["HF_HUB_OFFLINE"] == "1"


# ----------------------------------------------------------------------------- deepspeech


def test_deepspeech_without_tensorflow_says_how_to_install(bench_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    graph = tmp_path / "deepspeech-0_1_0-b90017e8.pb"
    graph.write_bytes(b"\x00" * 64)
    weights.install(DS, str(graph))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorflow" else real(name, *a))
    with pytest.raises(BenchError, match=r"pip install 'talkbench\[deepspeech\]'"):
        ae.require("deepspeech")


def test_deepspeech_follows_the_official_protocol(bench_home: Path, tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow", reason="the deepspeech extra (tensorflow-cpu) is not installed")
    from python_speech_features import mfcc

    # a stand-in for the frozen graph with DeepSpeech 0.1.0's tensor names: logits = input @ W, time-major
    w = np.random.default_rng(0).standard_normal((494, 29)).astype(np.float32) * 0.05
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [1, None, 494], name="input_node")
        tf.compat.v1.placeholder(tf.int32, [1], name="input_lengths")
        tf.identity(tf.expand_dims(tf.matmul(x[0], tf.constant(w)), 1), name="logits")
    pb = tmp_path / "deepspeech-0_1_0-b90017e8.pb"
    pb.write_bytes(graph.as_graph_def().SerializeToString())
    weights.install(DS, str(pb))
    for seconds, extra in ((1.0, 0), (2.3, 9)):
        audio = _speech(seconds, extra)
        t = _frames(audio)
        windows, info = ae.extract("deepspeech", audio, t, 25.0)
        assert windows.shape == (t, 29, 16) and info["dims"] == 29
        # the reference: int16 samples, 26 MFCCs, every second row, +-9 rows of context, standardised
        pcm = np.round(audio.astype(np.float64) * 32768).clip(-32768, 32767).astype(np.int16)
        cep = mfcc(pcm, samplerate=SAMPLE_RATE, numcep=26)[::2]
        ctx = np.vstack([np.zeros((9, 26)), cep, np.zeros((9, 26))])
        inputs = np.stack([ctx[i:i + 19].ravel() for i in range(len(cep))])
        inputs = (inputs - inputs.mean()) / inputs.std()
        logits = inputs.astype(np.float32) @ w
        rows = round(len(audio) / SAMPLE_RATE * 50)
        on_grid = np.stack([np.interp(np.arange(rows) / 50, np.arange(len(logits)) / 50, logits[:, k]) for k in range(29)], 1)
        on_grid = np.vstack([np.zeros((8, 29)), on_grid[:-1], np.zeros((8, 29))])
        reference = np.stack([on_grid[j:j + 16] for j in range(0, len(on_grid) - 16, 2)])  # aud_ds.npy
        np.testing.assert_allclose(windows, _per_frame(reference, t), atol=1e-4, rtol=0)


# ----------------------------------------------------------------------------- wiring


def test_prepare_computes_and_stores_extractor_features(installed: dict[str, Path]) -> None:
    from talkbench.prepare.passes.audio_features import is_extractor_name, load_audio_features
    from talkbench.prepare.preprocess import PreprocessOptions, preprocess

    audio = _speech(1.2, 5)
    feats, meta, notes = load_audio_features("wav2vec", 30, audio=audio, fps=25.0)
    assert feats.shape == (30, 16, 44) and meta["kind"] == "wav2vec" and not notes  # the official [T, W, D] layout
    assert meta["extractor"]["weights_sha256"] == weights.verified(W2V)[1]
    assert is_extractor_name("hubert") and not is_extractor_name("aud_hu.npy")
    with pytest.raises(BenchError, match="computes features from the clip's audio"):
        load_audio_features("hubert", 30)
    shutil.rmtree(weights.get_entry(HUBERT).path)
    frames = np.zeros((30, 32, 32, 3), np.uint8)  # no face: the landmark pass would fail, so this fails first
    with pytest.raises(WeightsMissing, match=f"bench weights install {HUBERT}"):
        preprocess(frames, "video.mp4", PreprocessOptions(audio_features="hubert"), audio=audio)


TINY = {"stages.iters": "2", "stages.lips_iters": "0", "stages.torso_iters": "0", "sampling.num_rays": "64",
        "sampling.frames_per_step": "2", "sampling.num_steps": "4", "occupancy.resolution": "8", "head.grid.levels": "4",
        "head.grid.desired_resolution": "64", "sampling.max_ray_batch": "1024", "stages.log_every": "1"}


def test_nerf_trains_and_renders_on_hubert_features(tiny_cards: Path, installed: dict[str, Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from talkbench.datasets.cards import load_dataset
    from talkbench.core.registries import METHODS
    from talkbench.core.types import Drive
    from talkbench.methods.nerf.drive import load_model
    from talkbench.methods.nerf.trainer import CHECKPOINT_FILE

    cls = METHODS.get("er-nerf")
    clip = load_dataset("synthetic-portrait", "smoke")
    method = cls(cls.config_for("smoke", dict(TINY, audio_features="hubert")))
    key = method.environment_key()["audio_features"]
    assert key["status"] == "installed" and key["sha256"] == weights.verified(HUBERT)[1]

    ck = method.train(clip.train(), tmp_path / "w", 0)
    assert ck.meta["audio_features"]["name"] == "hubert" and ck.meta["audio_features"]["weights_sha256"] == key["sha256"]
    model, saved = load_model(ck.path / CHECKPOINT_FILE, cls.Model)
    assert model.cfg.audio_features == "hubert" and saved["audio"]["dims"] == 32 and saved["audio"]["window"] == 2
    assert model.audio.audio_net.encoder_conv[0].in_channels == 32
    assert torch.equal(model.audio_mean, torch.zeros(32)) and torch.equal(model.audio_std, torch.ones(32))  # fed raw

    # render computes the driving windows with the checkpoint's extractor, whatever the method object says
    calls: list[str] = []
    extract = ae.extract
    monkeypatch.setattr(ae, "extract", lambda name, *a, **k: calls.append(name) or extract(name, *a, **k))
    test = clip.test()
    n = 4  # a few driving frames are enough for the plumbing
    drive = Drive(audio=test.audio[: n * SAMPLE_RATE // 25], fps=test.fps, num_frames=n, poses=test.annotations["head_pose"][:n])
    video = cls(cls.config_for("smoke", TINY)).render(ck, drive)
    assert calls == ["hubert"] and video.frames.shape == (drive.num_frames, 64, 64, 3)

    # other weights than the ones trained with are refused; missing ones stop training before any work
    weights.install(HUBERT, str(installed["hubert_other"]))
    with pytest.raises(InputError, match="trained on hubert features from weights sha256"):
        method.render(ck, drive)
    shutil.rmtree(weights.get_entry(HUBERT).path)
    assert method.environment_key()["audio_features"]["status"] == "missing"
    with pytest.raises(WeightsMissing, match=f"bench weights install {HUBERT}"):
        method.train(clip.train(), tmp_path / "never", 0)
    assert not (tmp_path / "never").exists()


def test_syncnet_lip_encoder_is_syncnets_audio_tower_on_centred_mfcc_windows(bench_home: Path) -> None:
    """`syncnet`: frame i's embedding is forward_aud of MFCC rows 4(i-2) .. 4(i+3), zero-padded at the ends."""
    from syncnet_python.SyncNetModel import S

    from talkbench.audio_features import extractors as ae
    from talkbench.infra import weights
    from talkbench.metrics.sync.syncnet import float_to_int16, mfcc_features

    torch.manual_seed(0)
    net = S().eval()
    path = bench_home / "syncnet_v2.model"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), path)
    weights.install("syncnet_v2", str(path))
    audio = (np.random.default_rng(0).standard_normal(16000 * 2) * 0.1).astype(np.float32)
    windows, info = ae.extract("syncnet", audio, 50, 25.0)
    assert windows.shape == (50, 1024, 1) and info["window"] == 1 and info["dims"] == 1024
    mfcc = mfcc_features(float_to_int16(audio))
    for i in (0, 10, 49):
        rows = np.zeros((13, 20), np.float32)
        for k in range(20):
            j = 4 * (i - 2) + k
            if 0 <= j < mfcc.shape[1]:
                rows[:, k] = mfcc[:, j]
        with torch.inference_mode():
            ref = net.forward_aud(torch.from_numpy(rows)[None, None]).numpy()[0]
        assert np.allclose(windows[i, :, 0], ref, atol=1e-4)
