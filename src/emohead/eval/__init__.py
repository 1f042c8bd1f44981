"""Evaluation: one module per metric family, and the harness behind ``emohead eval``.

Metrics that need weights emohead cannot ship (Inception for FID, SyncNet for LSE, the FER2013
classifier) take a user-supplied file and report "not available" without it; never a made-up number.
"""

NOT_AVAILABLE = None  # how a metric without its weights is reported (rendered as "n/a")
