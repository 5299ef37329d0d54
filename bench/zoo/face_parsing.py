"""Face parsing as the NeRF talking heads' preprocessing runs it: zllrunning/face-parsing.PyTorch's BiSeNet
(19 CelebAMask-HQ classes, file `79999_iter.pth`), its input protocol, and the head / neck / torso split.

The network is written here in plain PyTorch with the module names of the released model, so the released state dict
(a plain `net.state_dict()`, ResNet-18 trunk included) loads strictly through `load_strict` (weights only, no pickled
code). As released, the model has no separate spatial path: the ResNet's 1/8 feature takes its place in the feature
fusion. Protocol of AD-NeRF's `data_util/face_parsing/test.py` (and ER-NeRF's / SyncTalk's
`data_utils/face_parsing/test.py`): PIL bilinear resize to 512 x 512, ImageNet normalisation, argmax of the main
head's logits, labels resized back to the frame with OpenCV's nearest neighbour.
For the head / torso mask check of `bench data prepare` (mask IoU against face parsing) and Talk3D's lip mask.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from talkbench.core.errors import InputError
from talkbench.infra.devices import resolve_device
from talkbench.infra.weights import UNPUBLISHED, WeightsEntry
from talkbench.zoo.cache import cached, load_strict

DRIVE_URL = "https://drive.google.com/open?id=154JgKpzCPW82qINcVieuPH3fZ2e0P812"
BISENET_FACE_PARSING = WeightsEntry(
    name="bisenet_face_parsing",
    filename="79999_iter.pth",
    sha256=UNPUBLISHED,
    url=DRIVE_URL,
    licence="MIT (zllrunning/face-parsing.PyTorch); trained on CelebAMask-HQ (non-commercial research use)",
    used_by="head/torso mask check in `bench data prepare` (mask IoU against face parsing); Talk3D's lip mask",
    # the link opens a Google Drive page (a confirmation step for large files), not the file itself
    note=f"download 79999_iter.pth in a browser from {DRIVE_URL} (the link of zllrunning/face-parsing.PyTorch's README)",
)

CLASSES = ("background", "skin", "l_brow", "r_brow", "l_eye", "r_eye", "eye_g", "l_ear", "r_ear", "ear_r", "nose",
           "mouth", "u_lip", "l_lip", "neck", "neck_l", "cloth", "hair", "hat")
"""The 19 labels in the order the model was trained on (the repository's `prepropess_data.py`: 0 is unlabelled)."""

# Groups of AD-NeRF's `data_util/face_parsing/test.py` (`vis_parsing_maps`), unchanged in ER-NeRF's and SyncTalk's
# `data_utils/face_parsing/test.py`: face parts 1-13 and hair/hat (17, 18) are painted as head, neck and necklace
# (14, 15) as neck, cloth (16) as torso, the rest stays white (background); ER-NeRF's `data_utils/process.py`
# (`extract_torso_and_gt`) then reads those colours back as head_part / neck_part / torso_part / bg_part.
HEAD_CLASSES = tuple(range(1, 14)) + (17, 18)
NECK_CLASSES = (14, 15)
TORSO_CLASSES = (16,)
LIP_CLASSES = (11, 12, 13)
"""mouth, upper lip, lower lip."""

INPUT_SIZE = 512
"""Side of the square the frames are resized to (the training resolution)."""
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
BATCH = 8
"""Frames per forward pass: bounds the activations held at once (they grow with the batch at 512 x 512)."""


class ConvBNReLU(nn.Module):
    """Bias-free convolution, batch norm, ReLU."""

    def __init__(self, cin: int, cout: int, ks: int = 3, stride: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, ks, stride, ks // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 convolutions over a (projected, when the shape changes) shortcut."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if cin != cout or stride != 1:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    """The ResNet-18 trunk without its classifier, returning the 1/8, 1/16 and 1/32 features."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        widths = ((64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2))
        for i, (cin, cout, stride) in enumerate(widths, 1):
            setattr(self, f"layer{i}", nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.layer1(self.maxpool(F.relu(self.bn1(self.conv1(x)))))
        x8 = self.layer2(x)
        x16 = self.layer3(x8)
        return x8, x16, self.layer4(x16)


class AttentionRefinement(nn.Module):
    """3x3 ConvBNReLU, reweighted per channel by a sigmoid gate on its global average."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = ConvBNReLU(cin, cout)
        self.conv_atten = nn.Conv2d(cout, cout, 1, bias=False)
        self.bn_atten = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.conv(x)
        gate = torch.sigmoid(self.bn_atten(self.conv_atten(feat.mean((2, 3), keepdim=True))))
        return feat * gate


class ContextPath(nn.Module):
    """ResNet-18 with attention refinement at 1/16 and 1/32 and a global-context term, merged top-down to 1/8."""

    def __init__(self) -> None:
        super().__init__()
        self.resnet = ResNet18()
        self.arm16 = AttentionRefinement(256, 128)
        self.arm32 = AttentionRefinement(512, 128)
        self.conv_head32 = ConvBNReLU(128, 128)
        self.conv_head16 = ConvBNReLU(128, 128)
        self.conv_avg = ConvBNReLU(512, 128, ks=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x8, x16, x32 = self.resnet(x)
        context = self.conv_avg(x32.mean((2, 3), keepdim=True))  # broadcast over 1/32: the global context
        up32 = self.conv_head32(F.interpolate(self.arm32(x32) + context, x16.shape[2:], mode="nearest"))
        up16 = self.conv_head16(F.interpolate(self.arm16(x16) + up32, x8.shape[2:], mode="nearest"))
        return x8, up16, up32


class FeatureFusion(nn.Module):
    """1x1 ConvBNReLU over the concatenated paths plus its squeeze-and-excitation reweighting."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.convblk = ConvBNReLU(cin, cout, ks=1)
        self.conv1 = nn.Conv2d(cout, cout // 4, 1, bias=False)
        self.conv2 = nn.Conv2d(cout // 4, cout, 1, bias=False)

    def forward(self, spatial: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        feat = self.convblk(torch.cat([spatial, context], dim=1))
        gate = torch.sigmoid(self.conv2(F.relu(self.conv1(feat.mean((2, 3), keepdim=True)))))
        return feat + feat * gate


class SegHead(nn.Module):
    """3x3 ConvBNReLU then a 1x1 classifier."""

    def __init__(self, cin: int, mid: int, n_classes: int) -> None:
        super().__init__()
        self.conv = ConvBNReLU(cin, mid)
        self.conv_out = nn.Conv2d(mid, n_classes, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_out(self.conv(x))


class BiSeNet(nn.Module):
    """The released face-parsing BiSeNet; `forward` gives the main head's logits at the input size."""

    def __init__(self, n_classes: int = len(CLASSES)) -> None:
        super().__init__()
        self.cp = ContextPath()
        self.ffm = FeatureFusion(256, 256)
        self.conv_out = SegHead(256, 256, n_classes)
        # the auxiliary heads were training losses only (inference reads the main head); kept so the file loads strictly
        self.conv_out16 = SegHead(128, 64, n_classes)
        self.conv_out32 = SegHead(128, 64, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.all_heads(x)[0]

    def all_heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(main, 1/8 auxiliary, 1/16 auxiliary) logits, each upsampled to the input size."""
        x8, cp8, cp16 = self.cp(x)

        def full(logits: torch.Tensor) -> torch.Tensor:
            return F.interpolate(logits, x.shape[2:], mode="bilinear", align_corners=True)

        return full(self.conv_out(self.ffm(x8, cp8))), full(self.conv_out16(cp8)), full(self.conv_out32(cp16))


def _build(device: str) -> BiSeNet:
    return load_strict("bisenet_face_parsing", BiSeNet()).eval().requires_grad_(False).to(device)


def load_bisenet(device: str = "cpu") -> tuple[BiSeNet, str]:
    """(BiSeNet in eval mode on `device`, file sha256) from the verified file, built once per device and file."""
    return cached("bisenet_face_parsing", resolve_device(device), _build)


def preprocess(frame_rgb: np.ndarray) -> torch.Tensor:
    """[3, 512, 512] network input of one RGB uint8 frame, as the references' test.py makes it."""
    from PIL import Image

    # PIL's bilinear filter widens with the scale factor when shrinking (OpenCV's does not): use PIL, as they do
    image = Image.fromarray(np.ascontiguousarray(frame_rgb))
    small = np.asarray(image.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR))
    x = torch.from_numpy(small.copy()).permute(2, 0, 1).float().div(255)
    return x.sub(torch.tensor(IMAGENET_MEAN).view(3, 1, 1)).div(torch.tensor(IMAGENET_STD).view(3, 1, 1))


def labels_for(net: nn.Module, frames_rgb: np.ndarray, device: str) -> np.ndarray:
    """[T, H, W] uint8 labels of `frames_rgb` [T, H, W, 3] uint8 by `net` (any module with the BiSeNet interface)."""
    import cv2

    frames = np.asarray(frames_rgb)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise InputError(f"face parsing takes [T, H, W, 3] uint8 RGB frames, got {frames.dtype} {frames.shape}")
    height, width = frames.shape[1:3]
    out = np.empty(frames.shape[:3], np.uint8)
    with torch.inference_mode():
        for start in range(0, len(frames), BATCH):
            batch = torch.stack([preprocess(f) for f in frames[start:start + BATCH]]).to(device)
            labels = net(batch).argmax(1).to(torch.uint8).cpu().numpy()
            for i, lab in enumerate(labels):
                # OpenCV's nearest (floor of x * scale), as the references resize their colour maps
                out[start + i] = cv2.resize(lab, (width, height), interpolation=cv2.INTER_NEAREST)
    return out


def parse_faces(frames_rgb: np.ndarray, device: str = "cpu") -> np.ndarray:
    """[T, H, W] uint8 CelebAMask-HQ labels (`CLASSES`) of [T, H, W, 3] uint8 RGB frames, by the released BiSeNet."""
    device = resolve_device(device)
    return labels_for(load_bisenet(device)[0], frames_rgb, device)


def head_torso_from_parsing(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(head, neck, torso) bool masks of face-parsing labels, with the references' class groups."""
    labels = np.asarray(labels)
    return np.isin(labels, HEAD_CLASSES), np.isin(labels, NECK_CLASSES), np.isin(labels, TORSO_CLASSES)


def class_mask(labels: np.ndarray, classes: Iterable[int]) -> np.ndarray:
    """Bool mask of the pixels whose label is one of `classes` (e.g. `LIP_CLASSES`)."""
    return np.isin(np.asarray(labels), tuple(classes))
