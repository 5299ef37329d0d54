"""SyncTalk's head field: ER-NeRF's, with a per-channel attention on the seven upper-face expression features."""

from __future__ import annotations

import torch
from torch import nn

from talkbench.methods.er_nerf.field import ERNeRFField
from talkbench.methods.nerf.fields import MLP


class SyncTalkField(ERNeRFField):
    """ER-NeRF's tri-plane head; a multi-channel expression input gets an unbounded per-channel attention
    (MLP 2 x 64, SyncTalk's network.py `eye_att_net` with bs_area "upper"); one channel keeps ER-NeRF's gate."""

    def expression_attention(self, dim_in: int) -> nn.Module:
        """MLP 2 x 64 -> one weight per expression channel (ER-NeRF's sigmoid gate for a single eye value)."""
        return super().expression_attention(dim_in) if self.eye_dim == 1 else MLP(dim_in, self.eye_dim, 64, 2)

    def expression_gate(self, enc_x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(per-channel weights [N, E], their norm [N]) for the upper-face features."""
        if self.eye_dim == 1:
            return super().expression_gate(enc_x)
        gate = self.eye_att_net(enc_x)
        return gate, gate.norm(dim=-1)
