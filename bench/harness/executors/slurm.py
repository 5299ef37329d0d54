"""`--executor slurm`: the jobs as one submitit job array (`--slurm-partition`, `--gpus-per-job`, `--slurm-time`).

Each array task writes its record as JSON into the job folder and the driver reads that file; the driver never
unpickles a result. (submitit itself pickles the submitted call into the folder, which the driver creates private to
its user.) `--slurm-cluster local` runs the same array with submitit's local executor, for tests and laptops.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from talkbench.core.errors import BenchError
from talkbench.harness.executors import ExecutorOptions
from talkbench.harness.executors.ray_cluster import declared_gpus
from talkbench.harness.executors.remote import driver_settings, lost
from talkbench.harness.executors.wire import decode_record, encode_spec
from talkbench.harness.executors.worker import run_to_file
from talkbench.harness.jobs import JobRecord, JobSpec
from talkbench.infra.hashing import stable_hash
from talkbench.infra.paths import bench_home

POLL_S = 1.0


class SlurmExecutor:
    """A submitit job array; one array task per job."""

    name = "slurm"

    def __init__(self, options: ExecutorOptions) -> None:
        try:
            import submitit
        except ImportError as exc:
            raise BenchError("--executor slurm needs submitit: pip install -c constraints.txt -e '.[distributed]'") from exc
        if options.slurm_cluster not in ("slurm", "local"):
            raise BenchError(f"--slurm-cluster must be slurm or local, not {options.slurm_cluster!r}")
        self.submitit = submitit
        self.options = options

    def _executor(self, folder: Path, gpus: float) -> object:
        opts = self.options
        executor = self.submitit.AutoExecutor(folder=folder, cluster=opts.slurm_cluster)
        params: dict[str, object] = {"timeout_min": opts.slurm_time_min, "cpus_per_task": 1, "gpus_per_node": int(gpus + 0.999),
                                     "name": "talkbench"}
        if opts.slurm_cluster == "slurm":
            if opts.slurm_partition:
                params["slurm_partition"] = opts.slurm_partition
        executor.update_parameters(**params)
        return executor

    def map(self, specs: Iterable[JobSpec]) -> Iterator[JobRecord]:
        """Submit the specs as one array; yield each record as its task finishes."""
        specs = list(specs)
        if not specs:
            return
        settings = driver_settings()
        sweep = stable_hash([s.run_id for s in specs], 12)
        folder = self.options.slurm_folder or bench_home() / "slurm" / f"{time.strftime('%Y%m%d-%H%M%S')}-{sweep}"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        gpus = self.options.gpus_per_job if self.options.gpus_per_job is not None else max(
            (declared_gpus(s) for s in specs if s.device != "cpu"), default=0.0)
        records = [folder / f"record-{i:05d}.json" for i in range(len(specs))]
        executor = self._executor(folder, gpus)
        with executor.batch():  # type: ignore[attr-defined]
            jobs = [executor.submit(run_to_file, encode_spec(spec), settings.numerics_mode,  # type: ignore[attr-defined]
                                    settings.torch_threads, str(path))
                    for spec, path in zip(specs, records)]
        waiting = dict(zip(range(len(specs)), jobs))
        while waiting:
            for i in [i for i, job in waiting.items() if job.done()]:
                job = waiting.pop(i)
                yield self._collect(specs[i], records[i], job)
            if waiting:
                time.sleep(POLL_S)

    def _collect(self, spec: JobSpec, path: Path, job: object) -> JobRecord:
        if path.is_file():
            try:
                return decode_record(path.read_text())
            except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
                return lost(spec, f"array task {job.job_id} wrote an unreadable record {path} ({exc})")  # type: ignore[attr-defined]
        stderr = (job.stderr() or "").strip().splitlines()  # type: ignore[attr-defined]
        tail = stderr[-1] if stderr else f"state {job.state}"  # type: ignore[attr-defined]
        return lost(spec, f"array task {job.job_id} ended without a record ({tail})")  # type: ignore[attr-defined]
