"""Tests of bench/face3d/ (template head pose, 3DMM tracker, morphable-model format)."""
