"""The limits emohead enforces, in one place, with the CLI's and the API's defaults.

Every check that refuses an input names its limit from here, so a message, a default and a test
cannot disagree.
"""

from __future__ import annotations

MAX_IMAGE_PIXELS = 100_000_000  # larger photos are refused before decoding (a 20000x20000 PNG would need 1.2 GB)
MIN_FACE_PX = 64  # smallest face height (pixels of the photo) worth animating
HEAD_MOTION_MAX = 3.0  # --head-motion above this tears the face from the photo
SIZES = (256, 512)  # face-crop sizes the renderers support
MAX_MINUTES = 30.0  # default refusal length for audio (--max-minutes)
INTENSITY_MAX = 1.5  # above 1 exaggerates; larger values are clamped here, with a note
INTENSITY_REFUSED = 10.0  # an intensity above this is refused outright (surely a typo)
MOTION_FPS_MAX = 240.0  # --motion-fps: exported curves up to this rate (MEDTalk animates at 60)
AUDIO_CHUNK_SECONDS = 60.0  # audio is decoded and analysed a chunk at a time
ALIGN_MAX_SECONDS = 120.0  # longer transcripts are not force-aligned whole; phones are recognised chunk by chunk
