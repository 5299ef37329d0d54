"""`--executor ray`: one Ray task per job on a local Ray instance or a cluster (`--ray-address`).

Each task asks for one CPU and the GPUs the method declares (`Capabilities.num_gpus`, fractions allowed) when the job
may use CUDA and the cluster has GPUs; `--gpus-per-job` overrides the declaration. Workers get the driver's numerics
environment through the runtime environment, so a reproducible sweep stays reproducible on every node. The nodes need
talkbench installed at the same version (the worker refuses a job from another wire version).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from talkbench.core.errors import BenchError
from talkbench.harness.executors import ExecutorOptions
from talkbench.harness.executors.remote import driver_settings, lost
from talkbench.harness.executors.wire import decode_record, encode_spec
from talkbench.harness.executors.worker import run_encoded
from talkbench.harness.jobs import JobRecord, JobSpec, job_capabilities
from talkbench.infra import numerics


def gpus_for(spec: JobSpec, declared: float, cluster_gpus: float, override: float | None) -> float:
    """The GPUs one job asks a scheduler for: the override, else the method's declaration when the job may use CUDA
    (device `auto` or `cuda`) and there are GPUs to give; 0 for CPU jobs."""
    if spec.device == "cpu":
        return 0.0
    wanted = declared if override is None else override
    if spec.device == "cuda" and wanted <= 0:
        wanted = 1.0
    return wanted if (cluster_gpus > 0 or spec.device == "cuda") else 0.0


def declared_gpus(spec: JobSpec) -> float:
    """`Capabilities.num_gpus` of the spec's method under its config (none for a job whose config does not build)."""
    caps = job_capabilities(spec)
    if caps is None:
        return 0.0
    return float(caps.num_gpus or (1.0 if caps.gpu else 0.0))


class RayExecutor:
    """Jobs as Ray tasks; results come back as JSON records and only the driver writes the index."""

    name = "ray"

    def __init__(self, options: ExecutorOptions) -> None:
        try:
            import ray
        except ImportError as exc:
            raise BenchError("--executor ray needs Ray: pip install -c constraints.txt -e '.[distributed]'") from exc
        self.ray = ray
        self.options = options

    def _start(self) -> bool:
        """Connect (or start a local instance); True when this call started it (and so shuts it down)."""
        env = dict(numerics.REPRODUCIBLE_ENV) if numerics.active_mode() == "reproducible" else {}
        if self.ray.is_initialized():
            return False
        try:
            self.ray.init(address=self.options.ray_address, runtime_env={"env_vars": env} if env else None,
                          include_dashboard=False, configure_logging=False)
            return True
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise BenchError(f"cannot start or reach Ray at {self.options.ray_address or 'a new local instance'}: {exc}") from exc

    def map(self, specs: Iterable[JobSpec]) -> Iterator[JobRecord]:
        """Submit every spec as a task; yield each record as its task finishes."""
        specs = list(specs)
        if not specs:
            return
        started = self._start()
        try:
            yield from self._run(specs)
        finally:
            if started:
                self.ray.shutdown()

    def _run(self, specs: list[JobSpec]) -> Iterator[JobRecord]:
        ray = self.ray
        settings = driver_settings()
        cluster_gpus = float(ray.cluster_resources().get("GPU", 0.0))
        task = ray.remote(run_encoded)
        refs: dict[Any, JobSpec] = {}
        for spec in specs:
            gpus = gpus_for(spec, declared_gpus(spec), cluster_gpus, self.options.gpus_per_job)
            ref = task.options(num_cpus=1, num_gpus=gpus, max_retries=1).remote(
                encode_spec(spec), settings.numerics_mode, settings.torch_threads)
            refs[ref] = spec
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                spec = refs.pop(ref)
                try:
                    yield decode_record(ray.get(ref))
                except ray.exceptions.RayError as exc:
                    yield lost(spec, f"the Ray task failed ({type(exc).__name__}: {str(exc).splitlines()[0]})")
