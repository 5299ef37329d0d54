"""Tests of metrics/image/ (PSNR, SSIM, LPIPS, torso-region PSNR)."""
