"""The registries of methods and metrics, with lazy entries so `bench list` imports nothing heavy."""

from __future__ import annotations

from bench.registry import Registry
from bench.types import Method, Metric

METHODS: Registry[type[Method]] = Registry("method")
METRICS: Registry[type[Metric]] = Registry("metric")

# Lazy entries: module imported on first lookup.
METHODS.register_lazy("oracle", "methods.oracle:Oracle")
METHODS.register_lazy("static", "methods.static:Static")
METHODS.register_lazy("retrieval", "methods.retrieval:Retrieval")
METHODS.register_lazy("er-nerf", "methods.er_nerf:ERNeRF")
METHODS.register_lazy("rad-nerf", "methods.rad_nerf:RADNeRF")
METHODS.register_lazy("synctalk", "methods.synctalk:SyncTalk")
METHODS.register_lazy("wildtalker", "methods.wildtalker:WildTalker")
METHODS.register_lazy("passthrough", "methods.denoise.passthrough:Passthrough")
METHODS.register_lazy("specsub", "methods.denoise.specsub:SpecSub")
METHODS.register_lazy("mss", "methods.denoise.mss:MSS")
METHODS.register_lazy("wiener", "methods.denoise.wiener:Wiener")
METHODS.register_lazy("noisereduce", "methods.denoise.spectral_gating:SpectralGating")

METRICS.register_lazy("psnr", "metrics.image.psnr:PSNR")
METRICS.register_lazy("ssim", "metrics.image.ssim:SSIM")
METRICS.register_lazy("psnr_torso", "metrics.image.region_psnr:TorsoPSNR")
METRICS.register_lazy("lpips", "metrics.image.lpips:LPIPS")
METRICS.register_lazy("lmd", "metrics.face.lmd:LMD")
METRICS.register_lazy("aue", "metrics.face.aue:AUE")
METRICS.register_lazy("aue_l", "metrics.face.aue:AUEL")
METRICS.register_lazy("aue_u", "metrics.face.aue:AUEU")
METRICS.register_lazy("lse_c", "metrics.sync.lse:LSEC")
METRICS.register_lazy("lse_d", "metrics.sync.lse:LSED")
METRICS.register_lazy("pesq", "metrics.speech.pesq:PESQ")
METRICS.register_lazy("pesq_nb", "metrics.speech.pesq:PESQNarrowBand")
METRICS.register_lazy("stoi", "metrics.speech.stoi:STOI")
METRICS.register_lazy("estoi", "metrics.speech.stoi:ESTOI")
METRICS.register_lazy("csig", "metrics.speech.composite:CSIG")
METRICS.register_lazy("cbak", "metrics.speech.composite:CBAK")
METRICS.register_lazy("covl", "metrics.speech.composite:COVL")
METRICS.register_lazy("segsnr", "metrics.speech.snr:SegSNR")
METRICS.register_lazy("si_sdr", "metrics.speech.snr:SISDR")


def method_names(task: str | None = None) -> list[str]:
    """Registered method names, optionally only those of one task."""
    names = METHODS.names()
    if task is None:
        return names
    return [n for n in names if METHODS.get(n).serves(task)]
