"""Shared NeRF building blocks for the talking-portrait methods (ER-NeRF, RAD-NeRF, SyncTalk, ...).

Pure PyTorch, vectorised, running on CPU (tests, the smoke profile) and on CUDA; no hand-built
extensions. One job per module:

- `hash_grid`: multiresolution hash encoding (torch-ngp `gridencoder` semantics) and
  `make_hash_grid`, which picks tiny-cuda-nn on CUDA when it is installed.
- `triplane`: ER-NeRF's tri-plane hash (three 2D grids, features concatenated) and the 3D
  grid of RAD-NeRF.
- `rays`: camera rays from intrinsics and camera-to-world poses (OpenCV axes), pixel subsets,
  ray-box intersection, stratified and importance sampling along rays.
- `volume_rendering`: alpha compositing of densities and colours into colour, depth and
  accumulated opacity, with a background.
- `checkpoint`: atomic save and safe (`weights_only`) load of model + optimizer + step + config.

The talking heads built on them (`methods/er_nerf/method.py`, `methods/rad_nerf/method.py`):

- `audio`: AudioNet over per-frame audio windows (`talkbench.audio_features.extractors`: log-mel by default,
  HuBERT / wav2vec / DeepSpeech from installed weights), AudioAttNet over 8 neighbouring frames,
  and the eye feature (eye_ratio, landmark eye aspect ratio, or blink).
- `fields`: the head fields; shared density/colour MLPs, ER-NeRF's tri-plane + region
  attention and RAD-NeRF's 3D grid + audio-spatial ambient grid as the encoders.
- `torso`: the pose-conditioned deformable 2D torso.
- `losses`: photometric, opacity entropy, ambient and lip-patch LPIPS losses.
- `trainer`: data preparation (head box, background, features), the head / lips / torso
  stages with an occupancy grid, curves.csv, and chunked rendering of a Drive.
"""
