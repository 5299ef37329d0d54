"""Tests of methods/synctalk/."""
