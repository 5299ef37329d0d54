"""Tests of metrics/face/ (LMD, AUE and the OpenFace wrapper)."""
