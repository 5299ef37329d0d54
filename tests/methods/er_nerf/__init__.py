"""Tests of methods/er_nerf/."""
