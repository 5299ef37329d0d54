"""Tests of methods/wildtalker/."""
