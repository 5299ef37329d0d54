"""LPIPS (Zhang et al. 2018) through the `lpips` package, with the backbone from talkbench's weights cache.

The papers' variant: AlexNet backbone, LPIPS linear layers v0.1 (shipped inside the
`lpips` wheel), inputs RGB in [0, 1] passed with `normalize=True` (lpips maps them to
[-1, 1]), eval mode, no gradients, mean over frames.

The model and its backbone file come from `talkbench.zoo.lpips` (torchvision's ImageNet file from
talkbench's weights cache, sha256-checked, never downloaded). A missing or mismatching file makes
the metric unavailable with the install command, never a 0.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from tqdm import tqdm

from talkbench.infra.devices import resolve_device
from talkbench.core.errors import WeightsMissing
from talkbench.core.metric import COMPOSITING_OWN, VideoMetric, MetricContext, MetricResult
from talkbench.core.types import Video
from talkbench.metrics.image.frames import check_pair, check_videos, chunks, to_float
from talkbench.zoo.lpips import VERSION, backbone_entry_name, get_model

PROTOCOL = "LPIPS v0.1, AlexNet backbone, RGB [0,1] with normalize=True, mean over frames"


def _to_nchw(frames: np.ndarray) -> Any:
    import torch

    arr = to_float(frames, np.float32)
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(0, 3, 1, 2)))


def lpips_per_frame(
    pred: np.ndarray,
    ref: np.ndarray,
    net: str = "alex",
    device: str = "cpu",
    batch_size: int = 16,
) -> np.ndarray:
    """Per-frame LPIPS (float64 [T]) of two RGB stacks, uint8 [T,H,W,3] or float in [0, 1].

    Inputs go to the model as float32 NCHW in [0, 1] with `normalize=True`, `batch_size`
    frames at a time, in inference mode. Raises WeightsMissing when the backbone file is not
    installed or fails its checksum.
    """
    import torch

    p, r = check_pair(pred, ref)
    model, _, _ = get_model(net, device)
    dev = next(model.parameters()).device
    out = np.empty(len(p), dtype=np.float64)
    with torch.inference_mode():
        for sl in tqdm(list(chunks(len(p), batch_size)), desc="lpips", unit="batch", leave=False, disable=None):
            x = _to_nchw(p[sl]).to(dev)
            y = _to_nchw(r[sl]).to(dev)
            d = model(x, y, normalize=True)
            out[sl] = d.reshape(len(x)).double().cpu().numpy()
    return out


class LPIPS(VideoMetric):
    """Learned perceptual distance (AlexNet, v0.1) against the ground-truth frames; lower is better."""

    name: ClassVar[str] = "lpips"
    higher_is_better: ClassVar[bool] = False
    display_name: ClassVar[str] = "LPIPS"
    precision: ClassVar[int] = 4
    description: ClassVar[str] = "LPIPS v0.1 (AlexNet), RGB [0,1] normalize=True, mean over frames"

    net: ClassVar[str] = "alex"
    batch_size: ClassVar[int] = 16
    variant_defaults: ClassVar[dict[str, Any]] = {"compositing": COMPOSITING_OWN}
    """Scores of renders composited over the original frames are a different variant."""

    def compute(self, pred: Video, ref: Video, ctx: MetricContext | None = None) -> MetricResult:
        """Mean per-frame LPIPS, or unavailable (with the install command) when the backbone is missing."""
        p, r = check_videos(pred, ref)
        options = ctx.options if ctx is not None else {}
        device = resolve_device(ctx.device if ctx is not None else "cpu")
        entry_name = backbone_entry_name(self.net)
        details: dict[str, Any] = {
            "protocol": PROTOCOL,
            "net": self.net,
            "version": VERSION,
            "normalize": True,
            "compositing": options.get("compositing", "full frame"),
        }
        try:
            _, backbone, digest = get_model(self.net, device)
        except WeightsMissing as exc:
            return MetricResult.unavailable(self.name, str(exc), **details, backbone=entry_name)
        values = lpips_per_frame(p, r, net=self.net, device=device, batch_size=self.batch_size)
        details.update(
            backbone=entry_name,
            backbone_file=backbone.name,
            backbone_sha256=digest,
            device=device,
            frames=int(len(values)),
            resolution=[int(p.shape[1]), int(p.shape[2])],
        )
        return MetricResult(name=self.name, value=float(np.mean(values)), per_item=values, details=details)
