"""Tests of bench/harness/ (the driver, jobs, stages, run directories, denoise API)."""
