"""Tests of bench/zoo/ (the pretrained networks: their weights entries and loaders)."""
