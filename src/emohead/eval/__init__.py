"""Evaluation: one module per metric family, and the harness behind ``emohead eval``.

Metrics that need weights emohead cannot ship (Inception for FID, SyncNet for LSE, the FER2013
classifier) take a user-supplied file and report "not available" without it; never a made-up number.
"""


def user_weights(path, env: str, flag: str = "weights"):
    """The user's weights file (``path``, else $``env``) as a Path; None when neither is given. A named file
    that does not exist is an error (a typo must not turn a metric into "not available" silently)."""
    import os
    from pathlib import Path

    from emohead.errors import EmoheadError

    p = path or os.environ.get(env)
    if not p:
        return None
    if not Path(p).is_file():
        source = f"--{flag}" if path else f"${env}"
        raise EmoheadError(f"{source} {p}: no such file; check the path, or leave it out to report the metric as not available")
    return Path(p)
