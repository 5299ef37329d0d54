"""Tests of bench/cli/ (the `bench` command)."""
