"""Evaluation: one module per metric family, and the harness behind ``emohead eval``.

Metrics that need weights emohead cannot ship (Inception for FID, SyncNet for LSE, the FER2013
classifier) take a user-supplied file and report "not available" without it; never a made-up number.
"""


def user_weights(path, env: str):
    """The user's weights file (``path``, else $``env``) as a Path, or None when neither names a file."""
    import os
    from pathlib import Path

    p = path or os.environ.get(env)
    return Path(p) if p and Path(p).is_file() else None
