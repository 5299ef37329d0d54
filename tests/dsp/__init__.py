"""Tests of bench/dsp.py."""
