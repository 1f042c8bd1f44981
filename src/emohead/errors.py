"""The one exception type users see.

Every problem a user can fix (a missing file, audio without speech, an unknown emotion) raises
:class:`EmoheadError` with a one-line message that names the problem and the fix. The CLI prints
that line and exits non-zero; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class EmoheadError(Exception):
    """A user-facing error: ``str(err)`` is one line naming the problem and the fix."""
