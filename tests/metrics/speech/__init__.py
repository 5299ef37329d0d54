"""Tests of metrics/speech/ (PESQ, STOI, composite, segSNR, SI-SDR)."""
