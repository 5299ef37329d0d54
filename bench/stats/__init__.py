"""Functional statistics of benchmark results: confidence intervals over items (frames, utterances) and seeds, and
paired tests of two methods on the same items. Plain functions over NumPy arrays (no talkbench types above core), so
scoring (`talkbench.harness`) and the tables (`talkbench.report`) share one implementation.

* `interval`: the `Interval` value (estimate, bounds, or the reason there are none) and the non-finite item filter.
* `bootstrap`: percentile-bootstrap CI of a mean, standard error.
* `paired`: paired bootstrap CI of a mean difference with its p-value, the Wilcoxon signed-rank test.
* `seeds`: mean ± std over seeds, t-intervals of a seed mean and of seed-mean differences.
"""

from talkbench.stats.bootstrap import RESAMPLES, SEED, bootstrap_ci, standard_error
from talkbench.stats.interval import LEVEL, Interval, finite_items
from talkbench.stats.paired import PairedTest, paired_bootstrap, wilcoxon_p
from talkbench.stats.seeds import SeedSummary, seed_difference, seed_summary

__all__ = ["LEVEL", "RESAMPLES", "SEED", "Interval", "PairedTest", "SeedSummary", "bootstrap_ci", "finite_items",
           "paired_bootstrap", "seed_difference", "seed_summary", "standard_error", "wilcoxon_p"]
