"""Tests of bench/harness/tasks/ (reconstruct, lipsync, enhance)."""
