"""Fixtures of the zoo tests: random networks installed through the weights registry (`tests.kit.weights`,
`tests.kit.face_parsing`)."""

from tests.kit.weights import (installed, installed_alexnet, installed_syncnet, lpips_env, random_alexnet,  # noqa: F401
                               random_s3fd_file, random_syncnet_file, snapshots, sync_env)
from tests.kit.face_parsing import random_bisenet_file  # noqa: F401
