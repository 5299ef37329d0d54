"""Tests of bench/report/ (leaderboard, claims, baseline check)."""
