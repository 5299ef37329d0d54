"""Job helpers of harness/jobs.py that need no run: capabilities under a config, the costliest-first order."""

from __future__ import annotations

from talkbench.harness.jobs import costliest_first, job_capabilities
from tests.kit.jobs import spec


def test_nerf_jobs_go_first_and_ties_keep_their_order() -> None:
    specs = [spec("static"), spec("er-nerf"), spec("retrieval"), spec("synctalk"), spec("oracle")]
    ordered = [s.method for s in costliest_first(specs)]
    assert ordered == ["er-nerf", "synctalk", "static", "retrieval", "oracle"]


def test_a_job_whose_config_does_not_build_has_no_capabilities_and_the_cheapest_rank() -> None:
    bad = spec("er-nerf", overrides={"no_such_key": 1})
    assert job_capabilities(bad) is None
    assert [s.overrides for s in costliest_first([bad, spec("rad-nerf")])] == [{}, {"no_such_key": 1}]
    assert job_capabilities(spec("er-nerf")).cost > job_capabilities(spec("static")).cost
