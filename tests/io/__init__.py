"""Tests of bench/io/."""
