"""Lip-sync metrics: LSE-C and LSE-D (SyncNet v2 confidence and distance, syncnet_python protocol).

`lse` (the metric classes) over `evaluation` (the whole pipeline and its protocol), which runs one module per
step: `shots` (25 fps frames, scene cuts), `tracks` (face tracks), `crops` (SyncNet's input), `scoring`
(SyncNet distances to LSE values). The networks come from `talkbench.zoo.syncnet` and `talkbench.zoo.s3fd`.
"""
