"""Lip-sync metrics: LSE-C and LSE-D (SyncNet v2 confidence and distance, syncnet_python protocol)."""
