"""The NeRF talking-head engine: components, one training loop and a model base class; it names no method.

Pure PyTorch, vectorised, running on CPU (tests, the smoke profile) and on CUDA; no hand-built extensions.

Components: `hash_grid` (torch-ngp `gridencoder` semantics; tiny-cuda-nn on CUDA when installed), `triplane`,
`rays` (OpenCV axes, ray-box intersection, stratified and importance sampling), `volume_rendering`, `fields`
(the MLP heads every head field shares), `torso` (the pose-conditioned deformable 2D torso), `audio` (AudioNet,
AudioAttNet, the eye value), `head_box`, `sampling`, `render` (rendering head rays), `occupancy` (the grid's
update rule, a training callback), `postprocess`, `losses`, `checkpoint` (safe `weights_only` loading), `curves`.

The loop and the model: `config` (nested, typed), `model.TalkingHeadModel` (the hooks a method overrides),
`data` (a training clip as tensors), `trainer` (head, lip and torso stages), `drive` (rendering a drive) and
`method.NeRFMethod` (the Method interface). The methods are subclasses in their own packages:
`talkbench.methods.er_nerf`, `rad_nerf`, `synctalk`, `wildtalker`.
"""
