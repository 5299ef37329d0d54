"""Tests of methods/rad_nerf/."""
