"""The built-in preparation passes, one module each (registered through the `talkbench.passes` entry points):

| pass | requires | provides | module |
| --- | --- | --- | --- |
| `landmarks` | — | landmarks, landmarks_detected* | `landmarks` |
| `head_pose_template` (`--head-pose template`) | landmarks_detected* | head_pose, intrinsics | `head_pose` |
| `head_pose_3dmm` (`--head-pose 3dmm`) | landmarks_detected* | head_pose, intrinsics, exp_coeffs | `head_pose` |
| `segmentation` | — | person_mask* | `masks` |
| `masks` | landmarks, person_mask* | head_mask, torso_mask | `masks` |
| `background` | person_mask* | background | `background` |
| `eye_ratio` | landmarks | eye_ratio | `eyes` |
| `audio_features` (`--audio-features`) | — | audio_features | `audio_features` |

(* transient: handed on within one run, never stored.) SyncTalk's `head_stabilizer` (head_pose, landmarks,
intrinsics → head_pose_stabilized) lives in `talkbench.methods.synctalk.stabilizer`.
"""
