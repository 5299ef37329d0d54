"""The worker side of every executor: decode a job, check the numerics match the driver's, execute, encode the record."""

from __future__ import annotations

import os
from pathlib import Path

from talkbench.harness.executors.wire import decode_spec, encode_record
from talkbench.harness.jobs import JobRecord, execute
from talkbench.infra import numerics


def prepare_worker(torch_threads: int | None = None) -> None:
    """Make a fresh worker process compute as the driver does: its numerics flags and its torch thread count (a
    scheduler such as Ray sets OMP_NUM_THREADS=1, and a different count may change a reduction's rounding)."""
    numerics.apply_torch_flags()
    if torch_threads:
        import torch

        torch.set_num_threads(torch_threads)


def run_encoded(text: str, numerics_mode: str, torch_threads: int | None = None) -> str:
    """Execute one JSON-encoded job and return its JSON record; a worker whose numerics differ from the driver's
    refuses the job (its numbers would not be the ones a local run gives)."""
    spec = decode_spec(text)
    prepare_worker(torch_threads)
    mode = numerics.active_mode()
    if mode != numerics_mode:
        where = os.uname().nodename
        return encode_record(JobRecord(
            spec, "failed", f"the worker on {where} runs in {mode} numerics but the driver asked for {numerics_mode} "
            f"(start the workers with the environment of `talkbench.infra.numerics.REPRODUCIBLE_ENV`)", spec.run_dir))
    return encode_record(execute(spec))


def run_to_file(text: str, numerics_mode: str, torch_threads: int | None, path: str) -> None:
    """`run_encoded`, with the record written atomically to `path` as JSON (the driver reads it, never a pickle)."""
    record = run_encoded(text, numerics_mode, torch_threads)
    target = Path(path)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_text(record)
    tmp.replace(target)
