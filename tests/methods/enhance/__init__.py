"""Tests of methods/enhance/ (the speech denoisers)."""
