"""The Ray executor on a local Ray instance: the same stored results as a local run; GPU requests from capabilities."""

from __future__ import annotations

import pytest

from talkbench.harness.executors import ExecutorOptions, LocalExecutor, make_executor
from talkbench.harness.executors.ray_cluster import declared_gpus, gpus_for
from talkbench.harness.jobs import JobSpec


@pytest.mark.slow
def test_local_ray_reproduces_the_local_results_exactly(run_sweep) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("ray", reason="Ray is in the [distributed] extra")
    local_records, local = run_sweep(LocalExecutor(), "local")
    ray_records, on_ray = run_sweep(make_executor("ray"), "ray")
    assert all(r.status == "complete" for r in ray_records), [r.message for r in ray_records]
    assert local and on_ray == local
    import ray

    assert not ray.is_initialized()  # the executor shut down the instance it started


def test_gpu_requests_follow_the_declared_capabilities() -> None:
    nerf = JobSpec("er-nerf", "synthetic-portrait")
    assert declared_gpus(nerf) == 1.0 and declared_gpus(JobSpec("static", "synthetic-portrait")) == 0.0
    assert gpus_for(nerf, 1.0, cluster_gpus=4, override=None) == 1.0
    assert gpus_for(nerf, 1.0, cluster_gpus=0, override=None) == 0.0  # a CPU-only cluster: the job runs on CPU
    assert gpus_for(nerf, 1.0, cluster_gpus=4, override=0.25) == 0.25  # fractions share a device
    cpu = JobSpec("er-nerf", "synthetic-portrait", device="cpu")
    assert gpus_for(cpu, 1.0, cluster_gpus=4, override=None) == 0.0
    cuda_static = JobSpec("static", "synthetic-portrait", device="cuda")
    assert gpus_for(cuda_static, 0.0, cluster_gpus=4, override=None) == 1.0  # --device cuda always asks for one
