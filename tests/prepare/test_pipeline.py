"""The pass pipeline (bench/prepare/pipeline.py): planning by requires/provides, only-missing reruns, stale outputs,
clear errors, what a run records, and passes added from outside (a test's own pass, an entry-point plugin)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from talkbench.core.errors import BenchError, InputError
from talkbench.core.registry import Registry
from talkbench.prepare.options import PreprocessOptions
from talkbench.prepare.pipeline import PASSES, AnnotationPass, PassInputs, PassResult, PlanError, plan, run_plan

T = 4


class ToyLandmarks(AnnotationPass):
    """Constant landmarks; the 'detected' ones carry NaN in frame 1."""

    name = "landmarks"
    provides = frozenset({"landmarks", "landmarks_detected"})

    def run(self, inputs: PassInputs) -> PassResult:
        """Points at 1.5 px, float32 stored, float64 handed on."""
        points = np.full((inputs.num_frames, 68, 2), 1.5)
        detected = points.copy()
        detected[1] = np.nan
        return PassResult(annotations={"landmarks": points.astype(np.float32)},
                          working={"landmarks": points + 1e-9, "landmarks_detected": detected})


class ToyPose(AnnotationPass):
    """Identity poses, counting the frames with a face."""

    name = "pose"
    requires = frozenset({"landmarks_detected"})
    provides = frozenset({"head_pose", "intrinsics"})
    choice = ("head_pose", "template")

    def run(self, inputs: PassInputs) -> PassResult:
        """Poses and a camera."""
        found = int(np.isfinite(inputs.get("landmarks_detected")).all(axis=(1, 2)).sum())
        return PassResult(annotations={"head_pose": np.tile(np.eye(4, dtype=np.float32), (inputs.num_frames, 1, 1))},
                          meta={"intrinsics": {"fx": 1.0}, "toy_found": found})


class ToyPose3DMM(ToyPose):
    """The other head-pose fit, with expression coefficients."""

    name = "pose3dmm"
    provides = frozenset({"head_pose", "intrinsics", "exp_coeffs"})
    choice = ("head_pose", "3dmm")

    def run(self, inputs: PassInputs) -> PassResult:
        """ToyPose's output plus zero expressions."""
        out = super().run(inputs)
        out.annotations["exp_coeffs"] = np.zeros((inputs.num_frames, 2), np.float32)
        return out


class ToyEyes(AnnotationPass):
    """The eye value is the landmarks' working copy (float64 when this run made them)."""

    name = "eyes"
    requires = frozenset({"landmarks"})
    provides = frozenset({"eye_ratio"})

    def run(self, inputs: PassInputs) -> PassResult:
        """Reads the landmarks it declared."""
        lm = inputs.get("landmarks")
        return PassResult(annotations={"eye_ratio": np.full(inputs.num_frames, lm.dtype.itemsize, np.float32)})


class ToyStabilizer(AnnotationPass):
    """Stabilized poses from the poses and landmarks."""

    name = "stab"
    requires = frozenset({"head_pose", "landmarks"})
    provides = frozenset({"head_pose_stabilized"})

    def run(self, inputs: PassInputs) -> PassResult:
        """A copy of the poses."""
        return PassResult(annotations={"head_pose_stabilized": np.asarray(inputs.get("head_pose")).copy()})


def _registry(*extra: type[AnnotationPass]) -> Registry[type[AnnotationPass]]:
    reg: Registry[type[AnnotationPass]] = Registry("annotation pass", base_cls=AnnotationPass)
    for cls in (ToyLandmarks, ToyPose, ToyPose3DMM, ToyEyes, ToyStabilizer, *extra):
        reg.register(cls.name)(cls)
    return reg


def _frames() -> np.ndarray:
    return np.zeros((T, 8, 8, 3), np.uint8)


# ----------------------------------------------------------------------------- planning


def test_plan_orders_passes_by_requires_and_provides() -> None:
    reg = _registry()
    steps = plan(["head_pose_stabilized", "eye_ratio"], registry=reg)
    assert steps.passes == ("landmarks", "pose", "stab", "eyes")
    assert steps.reasons == {"stab": "head_pose_stabilized", "landmarks": "landmarks <- head_pose_stabilized",
                             "pose": "head_pose <- head_pose_stabilized", "eyes": "eye_ratio"}
    # the order follows the request, each pass after what it requires
    assert plan(["eye_ratio", "head_pose_stabilized"], registry=reg).passes == ("landmarks", "eyes", "pose", "stab")
    assert plan(["exp_coeffs"], options=PreprocessOptions(head_pose="3dmm"), registry=reg).passes == ("landmarks", "pose3dmm")


def test_plan_runs_only_what_the_clip_lacks() -> None:
    reg = _registry()
    assert plan(["head_pose_stabilized"], have={"landmarks", "head_pose", "intrinsics"}, registry=reg).passes == ("stab",)
    assert plan(["head_pose", "eye_ratio"], have={"landmarks", "head_pose", "intrinsics", "eye_ratio"}, registry=reg).passes == ()
    # a transient input is never "had": remaking the poses reruns the landmark pass, whose stored landmarks are remade,
    # so the eye ratio the clip holds is stale and its pass runs again, after them
    steps = plan(["head_pose"], have={"landmarks", "eye_ratio"}, registry=reg)
    assert steps.passes == ("landmarks", "pose", "eyes") and "stale" in steps.reasons["eyes"]
    # new poses make the stored stabilized poses stale too
    steps = plan(["exp_coeffs"], have={"landmarks", "head_pose", "intrinsics", "head_pose_stabilized"},
                 options=PreprocessOptions(head_pose="3dmm"), registry=reg)
    assert steps.passes == ("landmarks", "pose3dmm", "stab")


def test_plan_errors_name_the_annotation_and_what_asked() -> None:
    reg = _registry()
    with pytest.raises(PlanError, match=r"no preparation pass provides 'blink'; registered passes provide: eyes: eye_ratio; landmarks: landmarks"):
        plan(["blink"], registry=reg)
    with pytest.raises(PlanError, match=r"unknown annotation 'blinks'"):
        plan(["blinks"], registry=reg)
    with pytest.raises(PlanError, match=r"'exp_coeffs' is provided by pose3dmm with --head-pose 3dmm; --head-pose is 'template'"):
        plan(["exp_coeffs"], registry=reg)

    class Twin(ToyEyes):
        name = "twin"

    with pytest.raises(PlanError, match=r"'eye_ratio' is provided by several passes \(eyes, twin\)"):
        plan(["eye_ratio"], registry=_registry(Twin))

    class Needy(ToyStabilizer):
        name = "needy"
        requires = frozenset({"blink"})
        provides = frozenset({"mouth_open"})

    with pytest.raises(PlanError, match=r"provides 'blink' \(needed for mouth_open\)"):
        plan(["mouth_open"], registry=_registry(Needy))


def test_plan_refuses_a_cycle() -> None:
    class Blink(ToyStabilizer):
        name = "blinker"
        requires = frozenset({"mouth_open"})
        provides = frozenset({"blink"})

    class Mouth(ToyStabilizer):
        name = "mouther"
        requires = frozenset({"blink"})
        provides = frozenset({"mouth_open"})

    with pytest.raises(PlanError, match=r"cycle: blinker \(requires mouth_open of mouther\) -> mouther \(requires blink of blinker\)"):
        plan(["blink"], registry=_registry(Blink, Mouth))

    class Selfish(ToyStabilizer):
        name = "selfish"
        requires = frozenset({"mouth_open"})
        provides = frozenset({"mouth_open"})

    with pytest.raises(PlanError, match="requires 'mouth_open', which only it provides"):
        plan(["mouth_open"], registry=_registry(Selfish))


def test_a_pass_declaring_an_unknown_annotation_is_refused() -> None:
    class Vague(ToyStabilizer):
        name = "vague"
        provides = frozenset({"lip_shape"})

    with pytest.raises(PlanError, match=r"unknown annotation 'lip_shape' \(provided by pass vague"):
        plan(["eye_ratio"], registry=_registry(Vague))


# ----------------------------------------------------------------------------- running


def test_run_hands_full_precision_and_transient_values_on_and_records_seconds() -> None:
    reg = _registry()
    steps = plan(["eye_ratio", "head_pose"], registry=reg)
    done = run_plan(steps, _frames(), "v.mp4", registry=reg, defaults={"audio_features": "none stored"})
    assert set(done.annotations) == {"landmarks", "eye_ratio", "head_pose"}  # transient ones are not stored
    assert done.annotations["eye_ratio"][0] == 8  # the float64 working copy, not the stored float32
    assert done.meta["toy_found"] == T - 1  # the detected landmarks, NaN in frame 1
    assert list(done.meta) == ["intrinsics", "toy_found", "audio_features", "preprocess"]
    assert list(done.meta["preprocess"]["seconds"]) == ["landmarks", "eyes", "pose"] and done.passes == steps.passes
    assert done.meta["preprocess"]["options"] == PreprocessOptions().to_dict()
    # on a clip that has the landmarks, the eye pass reads the stored float32 ones
    again = run_plan(plan(["eye_ratio"], have={"landmarks"}, registry=reg), _frames(), "v.mp4", registry=reg,
                     annotations={"landmarks": np.zeros((T, 68, 2), np.float32)})
    assert again.passes == ("eyes",) and again.annotations["eye_ratio"][0] == 4


def test_run_checks_every_pass_before_any_runs_and_holds_passes_to_their_declarations() -> None:
    ran = []

    class Logged(ToyLandmarks):
        def run(self, inputs: PassInputs) -> PassResult:
            ran.append(self.name)
            return super().run(inputs)

    class Refusing(ToyEyes):
        def check(self, inputs: PassInputs) -> None:
            raise InputError("no weights for the eyes")

    reg = _registry()
    reg.unregister("landmarks")
    reg.register("landmarks")(Logged)
    reg.unregister("eyes")
    reg.register("eyes")(Refusing)
    with pytest.raises(InputError, match="no weights"):
        run_plan(plan(["eye_ratio"], registry=reg), _frames(), "v.mp4", registry=reg)
    assert ran == []

    class Sneaky(ToyEyes):
        name = "sneaky"
        provides = frozenset({"blink"})

        def run(self, inputs: PassInputs) -> PassResult:
            inputs.get("head_pose")
            return PassResult()

    reg = _registry(Sneaky)
    with pytest.raises(BenchError, match="read 'head_pose' without declaring it"):
        run_plan(plan(["blink"], have={"landmarks"}, registry=reg), _frames(), "v.mp4", registry=reg,
                 annotations={"landmarks": np.zeros((T, 68, 2), np.float32)})

    class Forgetful(ToyEyes):
        name = "forgetful"
        provides = frozenset({"blink"})

        def run(self, inputs: PassInputs) -> PassResult:
            return PassResult(annotations={"mouth_open": np.zeros(T, np.float32)})

    reg = _registry(Forgetful)
    with pytest.raises(BenchError, match="returned annotation 'mouth_open', which it does not declare"):
        run_plan(plan(["blink"], have={"landmarks"}, registry=reg), _frames(), "v.mp4", registry=reg,
                 annotations={"landmarks": np.zeros((T, 68, 2), np.float32)})


# ----------------------------------------------------------------------------- the built-in passes


def test_the_default_prepare_plans_todays_passes_in_todays_order() -> None:
    from talkbench.prepare.preprocess import DEFAULT_ANNOTATIONS, requested_annotations

    assert plan(DEFAULT_ANNOTATIONS).passes == ("landmarks", "head_pose_template", "segmentation", "masks", "background", "eye_ratio")
    o = PreprocessOptions(head_pose="3dmm", head_stabilizer=True, audio_features="aud_ds.npy")
    assert requested_annotations(o)[:4] == ("landmarks", "head_pose", "exp_coeffs", "head_pose_stabilized")
    assert plan(requested_annotations(o), options=o).passes == (
        "landmarks", "head_pose_3dmm", "head_stabilizer", "segmentation", "masks", "background", "eye_ratio", "audio_features")
    prepared = set(DEFAULT_ANNOTATIONS)
    assert plan(["head_pose", "head_mask", "intrinsics", "head_pose_stabilized"], have=prepared).passes == ("head_stabilizer",)
    # a clip that has its masks but not its background: only the segmentation (transient) and the background run
    assert plan(["background"], have=prepared - {"background"}).passes == ("segmentation", "background")
    with pytest.raises(BenchError, match=r"audio_features stores given features: pass --audio-features"):
        run_plan(plan(["audio_features"]), _frames(), "v.mp4")  # nothing to store: said by its check


def test_a_pass_added_by_a_test_runs_without_editing_the_pipeline(portrait) -> None:
    """A new annotation's pass registers itself; `preprocess` plans and runs it on a clip that has its inputs."""
    from talkbench.prepare.preprocess import preprocess

    class MouthOpenPass(AnnotationPass):
        """Mouth opening: inner-lip gap over mouth width."""

        name = "mouth_open_test"
        requires = frozenset({"landmarks"})
        provides = frozenset({"mouth_open"})

        def run(self, inputs: PassInputs) -> PassResult:
            """Inner lips 62/66 over corners 48/54, clipped to [0, 1]."""
            lm = inputs.get("landmarks")
            gap = np.linalg.norm(lm[:, 62] - lm[:, 66], axis=-1) / np.linalg.norm(lm[:, 48] - lm[:, 54], axis=-1)
            return PassResult(annotations={"mouth_open": np.clip(2 * gap, 0, 1).astype(np.float32)},
                              meta={"mouth_open": "2 × inner-lip gap / mouth width"})

    PASSES.register(MouthOpenPass.name)(MouthOpenPass)
    try:
        done = preprocess(portrait.frames, "portrait.mp4", wanted=["mouth_open"],
                          annotations={"landmarks": portrait.annotations["landmarks"]}, meta={"audio_features": "x"})
    finally:
        PASSES.unregister(MouthOpenPass.name)
    assert done.passes == ("mouth_open_test",) and set(done.annotations) == {"mouth_open"}
    truth = portrait.annotations["mouth_open"]
    assert np.corrcoef(done.annotations["mouth_open"], truth)[0, 1] > 0.8
    assert "mouth_open_test" in done.meta["preprocess"]["seconds"] and "audio_features" not in done.meta


def test_a_plugin_pass_comes_through_the_entry_point_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "toy_pass").mkdir()
    (tmp_path / "toy_pass" / "__init__.py").write_text(textwrap.dedent('''
        """A plugin's pass."""
        import numpy as np
        from talkbench.prepare.pipeline import AnnotationPass, PassResult

        class Blink(AnnotationPass):
            """Nobody blinks."""
            name = "toy_blink"
            provides = frozenset({"blink"})

            def run(self, inputs):
                """Zeros."""
                return PassResult(annotations={"blink": np.zeros(inputs.num_frames, np.float32)})
        '''))
    info = tmp_path / "toy_pass-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-pass\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[talkbench.passes]\ntoy_blink = toy_pass:Blink\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    fresh: Registry[type[AnnotationPass]] = Registry("annotation pass", base_cls=AnnotationPass, group="talkbench.passes")
    assert {"toy_blink", "landmarks", "head_stabilizer"} <= set(fresh.names())  # the built-ins come the same way
    steps = plan(["blink", "eye_ratio"], registry=fresh)
    assert steps.passes == ("toy_blink", "landmarks", "eye_ratio")
    done = run_plan(plan(["blink"], registry=fresh), _frames(), "v.mp4", registry=fresh)
    assert done.annotations["blink"].shape == (T,)
