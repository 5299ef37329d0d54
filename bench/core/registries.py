"""The registries of methods and metrics. Entries come from the `talkbench.methods` / `talkbench.metrics`
entry-point groups (pyproject.toml lists the built-in ones there, exactly as an out-of-tree package would),
loaded lazily so `bench list` imports nothing heavy."""

from __future__ import annotations

from talkbench.core.method import Configurable
from talkbench.core.metric import Metric
from talkbench.core.registry import Registry

METHODS: Registry[type[Configurable]] = Registry("method", base_cls=Configurable, group="talkbench.methods")
METRICS: Registry[type[Metric]] = Registry("metric", base_cls=Metric, group="talkbench.metrics")
