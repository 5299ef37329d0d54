"""Tests of methods/baselines/ (oracle, static, retrieval)."""
