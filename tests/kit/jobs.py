"""Job specs of the harness tests: the synthetic portrait and the noisy-speech set at the smoke profile."""

from talkbench.harness.jobs import JobSpec


def spec(method: str, **kw: object) -> JobSpec:
    return JobSpec(method=method, dataset="synthetic-portrait", profile="smoke", **kw)  # type: ignore[arg-type]


def enhance(method: str, **kw: object) -> JobSpec:
    return JobSpec(method=method, dataset="synthetic-noisy-speech", task="enhance", **kw)  # type: ignore[arg-type]
