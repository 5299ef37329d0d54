"""Pretrained networks: one module per network, each declaring its `WeightsEntry` next to the code that builds it.

The entries reach `talkbench.infra.weights.ENTRIES` through the `talkbench.weights` entry points of pyproject.toml
(infra holds the mechanics and never imports the zoo). Everything here loads only verified local files; nothing
is downloaded at run time.

| module | entries | builds |
| --- | --- | --- |
| `lpips` | `alexnet`, `vgg16` | `lpips.LPIPS` over a torchvision backbone |
| `syncnet` | `syncnet_v2` | syncnet_python's SyncNet `S`, and its audio input (int16, MFCC) |
| `s3fd` | `sfd_face` | syncnet_python's S3FD face detector |
| `fan` | `fan_s3fd`, `fan_2dfan4` | face_alignment's 2D-FAN-4 with its S3FD |
| `mediapipe` | `face_landmarker` | the bundled face mesh (+ `MESH_TO_IBUG68`), selfie segmentation, FaceLandmarker |
| `bfm` | `bfm2009_3dmm` | (the Basel Face Model file; `talkbench.face3d.morphable_model` reads it) |
| `hubert`, `wav2vec` | `hubert_large_ls960_ft`, `wav2vec2_xlsr53_esperanto` | transformers models from snapshots (`hf`) |
| `deepspeech` | `deepspeech_0_1_0` | the DeepSpeech 0.1.0 frozen TensorFlow graph |
| `face_parsing` | `bisenet_face_parsing` | the released face-parsing BiSeNet (19 CelebAMask-HQ classes) and its head / neck / torso split |

`cache` keeps the built networks per process.
"""
