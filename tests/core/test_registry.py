"""The generic registry (core/registry.py): names, aliases, lazy entries, "did you mean"; and out-of-tree plugins: a
package that declares `talkbench.methods` / `talkbench.metrics` entry points is found by the registries, checked
against their base classes, and runs through `bench` like a built-in method."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from talkbench.core.errors import BenchError, UnknownNameError
from talkbench.core.method import Configurable
from talkbench.core.metric import Metric
from talkbench.core.registry import Registry
from tests.kit.plugins import install_plugin


def test_register_lookup_alias_and_did_you_mean() -> None:
    reg: Registry[int] = Registry("thing")
    reg.register("alpha", aliases=("a",))(1)
    assert reg.get("alpha") == 1 and reg.get("a") == 1
    with pytest.raises(UnknownNameError, match="did you mean 'alpha'"):
        reg.get("alpah")
    with pytest.raises(UnknownNameError, match="unknown thing 'zzz'"):
        reg.get("zzz")


def test_lazy_entry_is_imported_on_first_lookup() -> None:
    reg: Registry[object] = Registry("thing")
    reg.register_lazy("join", "os.path:join")
    assert "join" in reg and reg.names() == ["join"]
    import os.path

    assert reg.get("join") is os.path.join


TOY = '''
"""A toy talking head: the mean training frame, for the plugin test."""
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from talkbench.core.config import MethodConfig
from talkbench.core.method import Capabilities, Method
from talkbench.core.metric import MetricResult, VideoMetric
from talkbench.core.types import Checkpoint, Video


@dataclass
class ToyConfig(MethodConfig):
    """Toy settings."""

    brightness: float = 1.0
    """Factor applied to the mean frame."""


class Toy(Method):
    """The mean training frame, repeated."""

    name = "toy"
    Config = ToyConfig
    CAPABILITIES = Capabilities(inputs=frozenset({"audio"}))

    def train(self, train_clip, workdir: Path, seed: int) -> Checkpoint:
        np.save(workdir / "mean.npy", train_clip.frames.mean(axis=0))
        return Checkpoint(path=workdir)

    def render(self, checkpoint, drive) -> Video:
        mean = np.load(checkpoint.path / "mean.npy") * self.config.brightness
        frame = np.clip(mean, 0, 255).astype(np.uint8)
        return Video(frames=np.repeat(frame[None], drive.num_frames, axis=0), fps=drive.fps, audio=drive.audio)


class MeanAbs(VideoMetric):
    """Mean absolute pixel difference."""

    name = "toy_mae"
    higher_is_better = False

    def compute(self, pred, ref, ctx=None):
        per = np.abs(pred.frames.astype(float) - ref.frames.astype(float)).mean(axis=(1, 2, 3))
        return MetricResult(self.name, float(per.mean()), per_item=per)


NOT_A_METHOD = object()
'''


def _plugin(root: Path, entries: str) -> Path:
    """The toy plugin installed under `root`."""
    return install_plugin(root, "toy_talker", TOY, entries)


def test_registry_reads_an_entry_point_group_and_checks_the_base_class(tmp_path: Path, monkeypatch) -> None:
    _plugin(tmp_path, """
        [talkbench.methods]
        toy = toy_talker:Toy
        broken = toy_talker:NOT_A_METHOD
        [talkbench.metrics]
        toy_mae = toy_talker:MeanAbs
        """)
    monkeypatch.syspath_prepend(str(tmp_path))
    methods = Registry("method", base_cls=Configurable, group="talkbench.methods")
    metrics = Registry("metric", base_cls=Metric, group="talkbench.metrics")
    assert {"toy", "broken", "er-nerf", "static"} <= set(methods.names())  # the built-ins come the same way
    assert methods.get("toy").name == "toy" and metrics.get("toy_mae").name == "toy_mae"
    with pytest.raises(BenchError, match=r"broken.*toy_talker:NOT_A_METHOD from toy-talker.*is not a Configurable"):
        methods.get("broken")


def test_registry_refuses_a_class_whose_name_differs(tmp_path: Path) -> None:
    from talkbench.methods.baselines.static import Static

    with pytest.raises(BenchError, match="declares name 'static'"):
        Registry("method", base_cls=Configurable).register("stationary")(Static)


@pytest.mark.slow
def test_a_plugin_method_runs_through_bench(tmp_path: Path, tiny_cards, bench_home: Path) -> None:
    """`bench list` shows it, `bench run` trains, renders and scores it with the plugin's own metric too."""
    _plugin(tmp_path / "site", """
        [talkbench.methods]
        toy = toy_talker:Toy
        [talkbench.metrics]
        toy_mae = toy_talker:MeanAbs
        """)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    bench = [sys.executable, "-m", "talkbench.cli.main"]
    listed = subprocess.run(bench + ["list", "methods"], capture_output=True, text=True, env=env, check=True).stdout
    assert any(line.startswith("toy ") for line in listed.splitlines())
    run = subprocess.run(bench + ["run", "--method", "toy", "--dataset", "synthetic-portrait", "--metric", "psnr",
                                  "--metric", "toy_mae", "--set", "brightness=0.9"],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "toy [brightness=0.9]" in run.stdout and "TOY_MAE" in run.stdout
