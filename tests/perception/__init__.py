"""Tests of bench/perception/ (landmark backends)."""
