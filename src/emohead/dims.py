"""Named dimensions: the sizes every stage agrees on, in one place.

Rates follow the field's convention (25 fps video, 16 kHz mono audio); sizes follow the face
analysis (MediaPipe's 478-point mesh and 52 ARKit blendshapes, the iBUG 68-point subset) and the
audio features (``audio.features``). Code says ``dims.LM68_3D``, never a bare 204.
"""

from __future__ import annotations

FPS = 25  # video frames per second, internal standard
SAMPLE_RATE = 16000  # audio samples per second, internal standard
SAMPLES_PER_FRAME = SAMPLE_RATE // FPS  # 640 audio samples per video frame
MFCC_PER_FRAME = 4  # 10 ms MFCC frames per video frame

N_MESH = 478  # MediaPipe face-mesh vertices
N_LM68 = 68  # iBUG landmarks
LM68_2D = 2 * N_LM68  # 136: flattened (x, y) landmarks (EAPC)
LM68_3D = 3 * N_LM68  # 204: flattened (x, y, z) landmarks (mul2lm)
N_BLENDSHAPES = 52  # ARKit-named channels
N_POSE = 6  # pitch, yaw, roll, tx, ty, scale

N_MFCC = 40  # MFCC coefficients per frame (the first 13 are the classic MFCC)
MFCC_WINDOW = (28, 12)  # EAPC's per-frame MFCC window: 28 steps of 12 coefficients
MFCC_WINDOW_FLAT = MFCC_WINDOW[0] * MFCC_WINDOW[1]  # 336: the window as one vector per frame
N_LLF = 25  # EAPC's low-level voice features per frame
N_EMOTIONS = 8  # the MEAD emotions (``emotion.vocabulary.EMOTIONS``)
WHISPER_DIM = 384  # whisper tiny.en encoder width
