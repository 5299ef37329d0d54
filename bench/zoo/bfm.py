"""The Basel Face Model 2009 (Paysan et al. 2009) as the official trackers use it: the weights entry `bfm2009_3dmm`.

The model may not be redistributed: the user requests it, builds AD-NeRF's 3DMM_info.npy from it, and
installs that file, which `talkbench.face3d.morphable_model.install_converter` turns into talkbench's
pickle-free landmark format on install. Reading and fitting it is face3d's job (`talkbench.face3d`).
"""

from __future__ import annotations

from talkbench.infra.weights import UNPUBLISHED, WeightsEntry

BFM2009_3DMM = WeightsEntry(
    name="bfm2009_3dmm",
    filename="bfm2009_3dmm_landmarks.npz",
    sha256=UNPUBLISHED,
    url="https://faces.dmi.unibas.ch/bfm/",
    licence="Basel Face Model 2009, University of Basel: non-commercial research use, no redistribution "
            "(the user requests it); expression basis and landmark vertices from the AD-NeRF repository",
    used_by="bench data prepare --head-pose 3dmm (talkbench.face3d.tracker; the official trackers' 3DMM)",
    note="request the Basel Face Model 2009 (01_MorphableModel.mat) at https://faces.dmi.unibas.ch/bfm/ and build "
         "3DMM_info.npy with AD-NeRF's data_util/face_tracking/convert_BFM.py (keys_info.npy of that directory "
         "beside it; converted to talkbench's pickle-free landmark format on install)",
    convert="talkbench.face3d.morphable_model:install_converter",
    source_file="3DMM_info.npy",
)
