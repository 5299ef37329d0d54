"""`--executor process --jobs N`: a pool of N local worker processes (spawned, so no torch state is forked)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from talkbench.core.errors import BenchError
from talkbench.harness.executors import ExecutorOptions
from talkbench.harness.executors.remote import WorkerSettings, driver_settings, lost
from talkbench.harness.executors.wire import decode_record, encode_spec
from talkbench.harness.executors.worker import prepare_worker, run_encoded
from talkbench.harness.jobs import JobRecord, JobSpec


SNAPSHOT_S = 0.5
"""How often the driver notes which jobs are in flight (a job that kills its worker sooner is caught on its second
break)."""


class ProcessExecutor:
    """Jobs in a local process pool. When a worker dies (killed, out of memory, a crash in native code) the pool
    breaks: the jobs that were not yet handed out go to a fresh pool, and the ones in flight are retried one at a
    time, so only the job that kills its worker is reported lost."""

    name = "process"

    def __init__(self, options: ExecutorOptions) -> None:
        if options.jobs < 1:
            raise BenchError(f"--jobs must be at least 1, not {options.jobs}")
        self.jobs = options.jobs

    def map(self, specs: Iterable[JobSpec]) -> Iterator[JobRecord]:
        """Run the specs `jobs` at a time; yield each record as it finishes."""
        settings = driver_settings()
        todo = list(specs)
        breaks: dict[str, int] = {}
        while todo:
            suspects: list[JobSpec] = []
            todo = yield from self._pool(todo, self.jobs, settings, suspects, breaks)
            for spec in suspects:  # alone in a pool of one: a break now is this job's doing
                alone: list[JobSpec] = []
                yield from self._pool([spec], 1, settings, alone, breaks)
                for dead in alone:
                    yield lost(dead, "a worker process died while running this job (killed, out of memory or "
                                     "crashed in native code)")

    def _pool(self, specs: list[JobSpec], workers: int, settings: WorkerSettings, suspects: list[JobSpec],
              breaks: dict[str, int]) -> Iterator[JobRecord]:
        """Run `specs` in one pool; on a break, append the jobs that were (or may have been) in flight to `suspects`
        and return the ones never started (the generator's return value)."""
        pool = ProcessPoolExecutor(max_workers=min(workers, len(specs)), mp_context=multiprocessing.get_context("spawn"),
                                   initializer=prepare_worker, initargs=(settings.torch_threads,))
        futures: dict[Future[str], JobSpec] = {
            pool.submit(run_encoded, encode_spec(spec), settings.numerics_mode, settings.torch_threads): spec
            for spec in specs
        }
        unstarted: list[JobSpec] = []
        try:
            pending = set(futures)
            seen_running: set[Future[str]] = set()
            while pending:
                finished, pending = wait(pending, timeout=SNAPSHOT_S, return_when=FIRST_COMPLETED)
                seen_running |= {f for f in pending if f.running()}
                dead = []
                for future in finished:
                    try:
                        yield decode_record(future.result())
                    except BrokenProcessPool:
                        dead.append(future)
                if dead:  # every unfinished job fails at once when a worker dies: sort them by what was seen
                    for future in dead + list(pending):
                        spec = futures[future]
                        breaks[spec.run_id] = breaks.get(spec.run_id, 0) + 1
                        in_flight = future in seen_running or breaks[spec.run_id] > 1
                        (suspects if in_flight else unstarted).append(spec)
                    break
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return unstarted
