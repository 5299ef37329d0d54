"""Face parsing (`talkbench.zoo.face_parsing`): talkbench's BiSeNet against the official model, the references'
protocol and class groups, and the weights entry.

The fixture `fixtures/bisenet_parity.npz` holds only numbers the official code produced: zllrunning/face-parsing.PyTorch
at d2e684c, its `model.py` run outside talkbench (torch 2.13 CPU, its ImageNet download stubbed out), loaded strictly
with `tests.kit.face_parsing.seeded_state` of its own state dict, in eval mode. `state_keys` / `state_shapes` are its state dict's layout; `logits_*` and `aux*_sub` are its three
heads on `parity_input()` (subsampled every 4th / 8th pixel, plus the per-class mean and argmax of the full map);
`frame_labels` are `parity_frames()` run through AD-NeRF's test.py protocol (PIL bilinear to 512, torchvision
ToTensor + Normalize, argmax of `net(img)[0]`, cv2.INTER_NEAREST back to the frame size).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from talkbench.core.errors import BenchError, WeightsMissing
from talkbench.zoo.face_parsing import (BiSeNet, CLASSES, head_torso_from_parsing, labels_for, load_bisenet,
                                        parse_faces)
from tests.kit.face_parsing import parity_frames, parity_input, seeded_state

FIXTURE = Path(__file__).parent / "fixtures" / "bisenet_parity.npz"


@pytest.fixture(scope="module")
def official() -> dict[str, np.ndarray]:
    with np.load(FIXTURE) as data:
        return dict(data)


@pytest.fixture(scope="module")
def seeded_net() -> BiSeNet:
    net = BiSeNet()
    net.load_state_dict(seeded_state(net.state_dict()), strict=True)
    return net.eval()


def test_state_dict_has_the_official_layout(official: dict[str, np.ndarray]) -> None:
    """The official model's keys and shapes, ResNet-18 trunk included: what strict loading of 79999_iter.pth needs."""
    state = BiSeNet().state_dict()
    assert list(state) == official["state_keys"].tolist()
    assert [",".join(map(str, v.shape)) for v in state.values()] == official["state_shapes"].tolist()
    assert not [k for k in state if k.startswith(("sp.", "cp.resnet.fc"))]  # neither a spatial path nor a classifier


def test_logits_match_the_official_model(seeded_net: BiSeNet, official: dict[str, np.ndarray]) -> None:
    with torch.no_grad():
        main, aux16, aux32 = (o[0].numpy() for o in seeded_net.all_heads(parity_input()))
    assert main.shape == (len(CLASSES), 72, 88)
    np.testing.assert_allclose(main[:, ::4, ::4], official["logits_sub"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(main.mean((1, 2), dtype=np.float64), official["logits_class_mean"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(aux16[:, ::8, ::8], official["aux16_sub"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(aux32[:, ::8, ::8], official["aux32_sub"], rtol=0, atol=1e-4)
    assert (main.argmax(0) == official["logits_argmax"]).mean() > 0.999
    with torch.no_grad():
        assert torch.equal(seeded_net(parity_input()), seeded_net.all_heads(parity_input())[0])


def test_frame_labels_follow_the_references_protocol(seeded_net: BiSeNet, official: dict[str, np.ndarray]) -> None:
    labels = labels_for(seeded_net, parity_frames(), "cpu")
    want = official["frame_labels"]
    assert labels.dtype == np.uint8 and labels.shape == want.shape == (2, 160, 170)
    # argmax can flip where two classes tie to float rounding; the official labels use 9 classes here
    assert (labels == want).mean() > 0.999 and len(np.unique(want)) >= 5


def test_class_groups_are_the_references() -> None:
    labels = np.arange(len(CLASSES), dtype=np.uint8)[None]
    head, neck, torso = head_torso_from_parsing(labels)
    named = {part: [CLASSES[i] for i in np.flatnonzero(mask[0])] for part, mask in zip(("head", "neck", "torso"), (head, neck, torso))}
    assert named == {"head": ["skin", "l_brow", "r_brow", "l_eye", "r_eye", "eye_g", "l_ear", "r_ear", "ear_r", "nose",
                              "mouth", "u_lip", "l_lip", "hair", "hat"],
                     "neck": ["neck", "neck_l"], "torso": ["cloth"]}
    assert not (head | neck | torso)[0, 0]  # background


def test_parse_faces_loads_the_installed_file(bench_home: Path, random_bisenet_file: Path,
                                              official: dict[str, np.ndarray]) -> None:
    from talkbench.infra import weights
    from talkbench.zoo import cache

    cache.clear_cache()
    weights.install("bisenet_face_parsing", str(random_bisenet_file))
    labels = parse_faces(parity_frames()[:1], "cpu")
    assert (labels == official["frame_labels"][:1]).mean() > 0.999
    net, digest = load_bisenet("cpu")
    assert load_bisenet("cpu")[0] is net and not net.training and digest == weights.verified("bisenet_face_parsing")[1]
    with pytest.raises(BenchError, match=r"\[T, H, W, 3\] uint8"):
        parse_faces(parity_frames()[0], "cpu")
    cache.clear_cache()


def test_missing_file_says_where_to_get_it(bench_home: Path) -> None:
    from talkbench.zoo import cache

    cache.clear_cache()
    with pytest.raises(WeightsMissing, match=r"79999_iter.pth not installed .*drive\.google\.com.*"
                                             r"bench weights install bisenet_face_parsing --from PATH/79999_iter.pth"):
        parse_faces(np.zeros((1, 8, 8, 3), np.uint8), "cpu")


class _Evil:
    """Unpickling this creates the folder `marker` (any code a pickle may run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):  # noqa: ANN204
        import os

        return (os.mkdir, (self.marker,))


def test_a_pickle_with_code_is_refused_unrun(bench_home: Path, tmp_path: Path) -> None:
    from talkbench.infra import weights

    evil = tmp_path / "79999_iter.pth"
    torch.save({"cp.resnet.conv1.weight": _Evil(tmp_path / "pwned")}, evil)
    with pytest.raises(BenchError, match="not a loadable tensor file.*not installed"):
        weights.install("bisenet_face_parsing", str(evil))
    assert not (tmp_path / "pwned").exists() and weights.status("bisenet_face_parsing")[0] == "missing"
    # put in place by hand under a pin, it is still refused at load, never unpickled
    dest = weights.get_entry("bisenet_face_parsing").path
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(evil.read_bytes())
    weights._write_pin("bisenet_face_parsing", weights.sha256_of(dest))
    with pytest.raises(WeightsMissing, match="not a loadable tensor file"):
        load_bisenet("cpu")
    assert not (tmp_path / "pwned").exists()


def test_another_networks_file_is_refused(bench_home: Path, tmp_path: Path) -> None:
    from talkbench.infra import weights
    from talkbench.zoo import cache

    cache.clear_cache()
    other = tmp_path / "other.pth"
    torch.save({"w": torch.zeros(3)}, other)
    weights.install("bisenet_face_parsing", str(other))
    with pytest.raises(WeightsMissing, match="does not match the expected network.*bench weights install bisenet_face_parsing"):
        load_bisenet("cpu")
