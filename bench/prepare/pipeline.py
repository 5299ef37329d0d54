"""Preparation as registered passes: each `AnnotationPass` declares the annotations it `requires` and `provides`
(names of the schema `talkbench.core.annotations.ANNOTATIONS`), and a planner runs the passes a request needs.

Adding a method's annotation means adding a pass, never editing a central function: a pass registers in
`PASSES`, either with `@PASSES.register(name)` or, from another package, through the entry-point group
`talkbench.passes` (pyproject.toml lists the built-in passes there exactly as a plugin would, so SyncTalk's
stabilizer pass lives with SyncTalk and `talkbench.prepare` never imports a method).

Planning (`plan`). Given the annotations wanted and those the clip already has, each missing one is made by
its provider — the one registered pass that provides it, or, where several do (the head-pose fits), the one
whose `choice` option has its value (`--head-pose template|3dmm`). A pass runs after the providers of what it
requires; the passes run in the order their outputs are asked for (so the default prepare keeps one fixed
order). A pass whose input is remade by this run is run again too, when the clip holds its outputs (they would
be stale: e.g. new head poses remake the stabilized ones). An annotation nobody provides, a choice left open
and a cycle are errors naming the passes and the chain that asked.

Running (`run_plan`). Every planned pass's `check` runs first (missing weights or a missing model are said
before the long passes), then each pass in order, timed; the options and seconds go to `meta["preprocess"]`.
Passes hand each other two things the clip never stores (`PassResult.working`): transient annotations
(`AnnotationSpec.stored` False: the detector's raw landmarks, the person segmentation) and full-precision twins
of stored ones (float64 landmarks and poses before their float32 cast), so a pipeline run gives bit for bit
what one function running the passes in a row gave.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Iterable, Mapping

import numpy as np

from talkbench.core.annotations import ANNOTATIONS
from talkbench.core.errors import BenchError
from talkbench.core.registry import Registry
from talkbench.prepare.options import PreprocessOptions


class PlanError(BenchError):
    """A request the registered passes cannot meet: an unknown annotation, no provider, an open choice, a cycle."""


@dataclass
class PassInputs:
    """What a pass reads: the video's frames and audio, the options, and (through `get`) the annotations it requires."""

    frames: np.ndarray
    """uint8 RGB [T,H,W,3] at `fps`."""
    audio: np.ndarray | None
    """float32 16 kHz mono, or None when the caller has none."""
    fps: float
    source: str
    """The video's name, for messages (`source: what went wrong`)."""
    options: PreprocessOptions
    annotations: dict[str, np.ndarray] = field(default_factory=dict)
    """Stored per-frame annotations so far: the clip's, then this run's."""
    meta: dict[str, Any] = field(default_factory=dict)
    """The clip's meta so far (per-clip annotations such as `intrinsics` live here)."""
    working: dict[str, Any] = field(default_factory=dict)
    """This run's transient annotations and full-precision twins (`PassResult.working`)."""
    requires: frozenset[str] = frozenset()
    """What the pass reading these inputs declared: `get` refuses anything else, so declarations stay true."""

    @property
    def num_frames(self) -> int:
        """T, the number of frames."""
        return int(len(self.frames))

    def get(self, name: str) -> Any:
        """The annotation `name` (declared in the pass's `requires`): this run's working copy first, then the clip's."""
        if name not in self.requires:
            raise BenchError(f"a preparation pass read {name!r} without declaring it in `requires` ({sorted(self.requires)})")
        if name in self.working:
            return self.working[name]
        store = self.annotations if ANNOTATIONS[name].per_frame else self.meta
        if name in store:
            return store[name]
        raise BenchError(f"{self.source}: annotation {name!r} is not there although the plan made it (a pass declared it "
                         "in `provides` and did not return it?)")


@dataclass
class PassResult:
    """What a pass returns: the annotations it provides, its meta record and notes, and what it hands later passes."""

    annotations: dict[str, np.ndarray] = field(default_factory=dict)
    """Per-frame annotations to store, in their stored dtype."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Clip meta entries: per-clip annotations (`intrinsics`, `background`) and the pass's record (settings, sources)."""
    notes: list[str] = field(default_factory=list)
    """One line each, shown to the user (frames without a face, a focal at its bound, ...)."""
    working: dict[str, Any] = field(default_factory=dict)
    """For the later passes of this run only, never stored: transient annotations and full-precision twins."""


class AnnotationPass(ABC):
    """One preparation pass: declares what it requires and provides, the options it reads, and runs."""

    name: ClassVar[str]
    requires: ClassVar[frozenset[str]] = frozenset()
    """Annotations (schema names) the pass reads with `PassInputs.get`."""
    provides: ClassVar[frozenset[str]] = frozenset()
    """Annotations (schema names) it returns: stored ones in `PassResult.annotations` / `.meta`, transient ones in `.working`."""
    options: ClassVar[tuple[str, ...]] = ()
    """`PreprocessOptions` fields it reads."""
    choice: ClassVar[tuple[str, str] | None] = None
    """(option, value): where several passes provide one annotation, this one runs when the option has the value."""

    def check(self, inputs: PassInputs) -> None:
        """Refuse early, before any pass of the plan runs (bad options, missing weights); by default nothing to check."""

    @abstractmethod
    def run(self, inputs: PassInputs) -> PassResult:
        """Compute the annotations of `provides` from `inputs`."""


PASSES: Registry[type[AnnotationPass]] = Registry("annotation pass", base_cls=AnnotationPass, group="talkbench.passes")
"""Every preparation pass, by name: the built-in ones and plugins, from the entry-point group `talkbench.passes`."""


@dataclass
class Preprocessed:
    """What a run of passes adds to a clip."""

    annotations: dict[str, np.ndarray]
    meta: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    passes: tuple[str, ...] = ()
    """The passes that ran, in order."""


@dataclass(frozen=True)
class Plan:
    """The passes to run, in order, and why each one runs."""

    passes: tuple[str, ...]
    reasons: dict[str, str]
    """Pass name → the annotation (or stale output) that asked for it."""


# ----------------------------------------------------------------------------- planning


def _schema_order(names: Iterable[str]) -> list[str]:
    """`names` in the schema's order (frozensets iterate in a per-process hash order: plans must not)."""
    rank = {n: i for i, n in enumerate(ANNOTATIONS)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def _known(name: str, where: str) -> None:
    if name not in ANNOTATIONS:
        raise PlanError(f"unknown annotation {name!r} ({where}; known: {', '.join(ANNOTATIONS)})")


def _flag(option: str) -> str:
    return "--" + option.replace("_", "-")


def _passes(registry: Registry[type[AnnotationPass]]) -> list[type[AnnotationPass]]:
    out = []
    for name in registry.names():
        cls = registry.get(name)
        for n in cls.requires:
            _known(n, f"required by pass {name}")
        for n in cls.provides:
            _known(n, f"provided by pass {name}")
        out.append(cls)
    return out


def provider(name: str, options: PreprocessOptions, registry: Registry[type[AnnotationPass]] = PASSES,
             chain: tuple[str, ...] = ()) -> type[AnnotationPass]:
    """The pass that makes annotation `name` under `options` (PlanError when none or several do)."""
    _known(name, "asked for")
    every = [p for p in _passes(registry) if name in p.provides]
    chosen = [p for p in every if p.choice is None or getattr(options, p.choice[0], None) == p.choice[1]]
    asked = f" (needed for {' <- '.join(chain[1:])})" if len(chain) > 1 else ""  # chain: name, what needs it, ...
    if len(chosen) == 1:
        return chosen[0]
    if not every:
        listing = "; ".join(f"{p.name}: {', '.join(_schema_order(p.provides))}" for p in _passes(registry))
        raise PlanError(f"no preparation pass provides {name!r}{asked}; registered passes provide: {listing or 'nothing'} "
                        "(a plugin adds one through the entry-point group talkbench.passes)")
    if not chosen:
        ways = ", ".join(f"{p.name} with {_flag(p.choice[0])} {p.choice[1]}" for p in every if p.choice)
        now = ", ".join(sorted({f"{_flag(p.choice[0])} is {getattr(options, p.choice[0], None)!r}" for p in every if p.choice}))
        raise PlanError(f"{name!r}{asked} is provided by {ways}; {now}")
    raise PlanError(f"{name!r}{asked} is provided by several passes ({', '.join(p.name for p in chosen)}): give them a "
                    "`choice` option so one runs")


def plan(wanted: Iterable[str], have: Iterable[str] = (), options: PreprocessOptions | None = None,
         registry: Registry[type[AnnotationPass]] = PASSES) -> Plan:
    """The passes that make the `wanted` annotations the clip lacks (`have`), ordered by requires/provides."""
    o = options or PreprocessOptions()
    wanted = list(dict.fromkeys(wanted))
    for name in wanted:
        _known(name, "asked for")
    held = {n for n in have if n in ANNOTATIONS and ANNOTATIONS[n].stored}
    selected: dict[str, type[AnnotationPass]] = {}
    reasons: dict[str, str] = {}

    def need(name: str, chain: tuple[str, ...]) -> None:
        """Select the provider of `name` unless the clip has it, then what that provider needs."""
        if name in held:
            return
        p = provider(name, o, registry, chain)
        if p.name in selected:
            return
        selected[p.name] = p
        reasons[p.name] = chain[0] if len(chain) == 1 else " <- ".join(chain)
        for r in _schema_order(p.requires):
            need(r, (r,) + chain)

    for name in wanted:
        need(name, (name,))
    # A stored annotation this run remakes makes the clip's annotations computed from it stale: their passes run
    # again (to a fixed point). Transient inputs do not count: they are remade by every run that needs them.
    changed = True
    while changed:
        changed = False
        remade = held & set().union(*(p.provides for p in selected.values())) if selected else set()
        for name in _schema_order(held):
            try:
                p = provider(name, o, registry)
            except PlanError:
                continue  # made elsewhere (an official import, a generator): nothing here would remake it
            if p.name not in selected and p.requires & remade:
                selected[p.name] = p
                reasons[p.name] = f"{name} (stale: {', '.join(_schema_order(p.requires & remade))} remade)"
                for r in _schema_order(p.requires):
                    need(r, (r, name))
                changed = True
                break
    return Plan(passes=tuple(_order(selected)), reasons=reasons)


def _order(selected: dict[str, type[AnnotationPass]]) -> list[str]:
    """Selected passes in selection order, each after the selected providers of what it requires; a cycle is an error."""
    makers: dict[str, str] = {}
    for p in selected.values():
        for n in p.provides:
            makers.setdefault(n, p.name)
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        """Append `name` after the passes it depends on (depth first; `path` is the chain that reached it)."""
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            loop = path[path.index(name):] + (name,)
            raise PlanError("preparation passes form a cycle: " + " -> ".join(
                f"{a} (requires {', '.join(_schema_order(selected[a].requires & selected[b].provides))} of {b})"
                for a, b in zip(loop, loop[1:])))
        state[name] = "visiting"
        for r in _schema_order(selected[name].requires):
            if r in makers and makers[r] != name:
                visit(makers[r], path + (name,))
            elif r in makers:  # a pass requiring what only it provides can never start
                raise PlanError(f"preparation pass {name} requires {r!r}, which only it provides (a cycle)")
        state[name] = "done"
        order.append(name)

    for name in selected:
        visit(name, ())
    return order


# ----------------------------------------------------------------------------- running


def run_plan(steps: Plan, frames: np.ndarray, source: str, options: PreprocessOptions | None = None,
             audio: np.ndarray | None = None, fps: float = 25.0, annotations: Mapping[str, np.ndarray] | None = None,
             meta: Mapping[str, Any] | None = None, defaults: Mapping[str, Any] | None = None,
             registry: Registry[type[AnnotationPass]] = PASSES) -> Preprocessed:
    """Check, then run the planned passes on a clip's frames (and its stored `annotations`/`meta`), timing each.

    Returns only what this run made, with `meta["preprocess"]` = the options and the seconds of each pass;
    `defaults` are meta entries written (before that record) when no pass wrote them.
    """
    o = options or PreprocessOptions()
    base = PassInputs(frames=np.asarray(frames), audio=audio, fps=fps, source=source, options=o,
                      annotations=dict(annotations or {}), meta=dict(meta or {}), working={})
    passes = [registry.get(name)() for name in steps.passes]
    for p in passes:
        p.check(replace(base, requires=p.requires))
    made: dict[str, np.ndarray] = {}
    new_meta: dict[str, Any] = {}
    notes: list[str] = []
    seconds: dict[str, float] = {}
    for p in passes:
        t0 = time.perf_counter()
        result = p.run(replace(base, requires=p.requires))
        seconds[p.name] = time.perf_counter() - t0
        _check_result(p, result)
        for name in p.provides:
            base.working.pop(name, None)  # a remade annotation's old twin is stale
        base.annotations.update(result.annotations)
        base.meta.update(result.meta)
        base.working.update(result.working)
        made.update(result.annotations)
        new_meta.update(result.meta)
        notes += result.notes
    for key, value in (defaults or {}).items():
        if key not in new_meta and key not in base.meta:
            new_meta[key] = value
    new_meta["preprocess"] = {"options": o.to_dict(), "seconds": {k: round(v, 2) for k, v in seconds.items()}}
    return Preprocessed(annotations=made, meta=new_meta, notes=notes, passes=steps.passes)


def _check_result(p: AnnotationPass, result: PassResult) -> None:
    """A pass returns each annotation it provides where the schema keeps it, and stores nothing it did not declare."""
    for name in result.annotations:
        if name not in p.provides:
            raise BenchError(f"preparation pass {p.name} returned annotation {name!r}, which it does not declare in `provides`")
    for name in p.provides:
        entry = ANNOTATIONS[name]
        where = (result.annotations if entry.per_frame else result.meta) if entry.stored else result.working
        if name not in where:
            raise BenchError(f"preparation pass {p.name} provides {name!r} but did not return it")
