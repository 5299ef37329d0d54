"""The registries of methods and metrics, with lazy entries so `bench list` imports nothing heavy."""

from __future__ import annotations

from talkbench.core.registry import Registry
from talkbench.core.types import Method, Metric

METHODS: Registry[type[Method]] = Registry("method")
METRICS: Registry[type[Metric]] = Registry("metric")

# Lazy entries: module imported on first lookup.
METHODS.register_lazy("oracle", "talkbench.methods.baselines.oracle:Oracle")
METHODS.register_lazy("static", "talkbench.methods.baselines.static:Static")
METHODS.register_lazy("retrieval", "talkbench.methods.baselines.retrieval:Retrieval")
METHODS.register_lazy("er-nerf", "talkbench.methods.er_nerf.method:ERNeRF")
METHODS.register_lazy("rad-nerf", "talkbench.methods.rad_nerf.method:RADNeRF")
METHODS.register_lazy("synctalk", "talkbench.methods.synctalk.method:SyncTalk")
METHODS.register_lazy("wildtalker", "talkbench.methods.wildtalker.method:WildTalker")
METHODS.register_lazy("passthrough", "talkbench.methods.enhance.passthrough:Passthrough")
METHODS.register_lazy("specsub", "talkbench.methods.enhance.specsub:SpecSub")
METHODS.register_lazy("mss", "talkbench.methods.enhance.mss:MSS")
METHODS.register_lazy("wiener", "talkbench.methods.enhance.wiener:Wiener")
METHODS.register_lazy("noisereduce", "talkbench.methods.enhance.spectral_gating:SpectralGating")

METRICS.register_lazy("psnr", "talkbench.metrics.image.psnr:PSNR")
METRICS.register_lazy("ssim", "talkbench.metrics.image.ssim:SSIM")
METRICS.register_lazy("psnr_torso", "talkbench.metrics.image.region_psnr:TorsoPSNR")
METRICS.register_lazy("lpips", "talkbench.metrics.image.lpips:LPIPS")
METRICS.register_lazy("lmd", "talkbench.metrics.face.lmd:LMD")
METRICS.register_lazy("aue", "talkbench.metrics.face.aue:AUE")
METRICS.register_lazy("aue_l", "talkbench.metrics.face.aue:AUEL")
METRICS.register_lazy("aue_u", "talkbench.metrics.face.aue:AUEU")
METRICS.register_lazy("lse_c", "talkbench.metrics.sync.lse:LSEC")
METRICS.register_lazy("lse_d", "talkbench.metrics.sync.lse:LSED")
METRICS.register_lazy("pesq", "talkbench.metrics.speech.pesq:PESQ")
METRICS.register_lazy("pesq_nb", "talkbench.metrics.speech.pesq:PESQNarrowBand")
METRICS.register_lazy("stoi", "talkbench.metrics.speech.stoi:STOI")
METRICS.register_lazy("estoi", "talkbench.metrics.speech.stoi:ESTOI")
METRICS.register_lazy("csig", "talkbench.metrics.speech.composite:CSIG")
METRICS.register_lazy("cbak", "talkbench.metrics.speech.composite:CBAK")
METRICS.register_lazy("covl", "talkbench.metrics.speech.composite:COVL")
METRICS.register_lazy("segsnr", "talkbench.metrics.speech.snr:SegSNR")
METRICS.register_lazy("si_sdr", "talkbench.metrics.speech.snr:SISDR")


def method_names(task: str | None = None) -> list[str]:
    """Registered method names, optionally only those of one task."""
    names = METHODS.names()
    if task is None:
        return names
    return [n for n in names if METHODS.get(n).serves(task)]
