"""Face metrics: LMD (landmark distance) and AUE (action-unit error)."""
