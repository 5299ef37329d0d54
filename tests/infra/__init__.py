"""Tests of bench/infra/."""
