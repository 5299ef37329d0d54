"""Fixtures of the LSE tests: random SyncNet and S3FD files installed through the weights registry."""

from tests.kit.weights import installed_both, installed_syncnet, random_s3fd_file, random_syncnet_file, sync_env  # noqa: F401
