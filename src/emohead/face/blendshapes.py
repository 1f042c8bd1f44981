"""The 52 ARKit blendshape channels: names, Live Link Face column order, and channel groups.

MediaPipe's FaceLandmarker reports 51 of them (plus ``_neutral``); ``tongueOut`` is always 0 here.
Index order below is MediaPipe's (alphabetical, ``_neutral`` dropped) with ``tongueOut`` appended,
and every ``(T, 52)`` blendshape array in emohead uses it.
"""

from __future__ import annotations

import numpy as np

NAMES: tuple[str, ...] = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft",
    "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight",
    "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight",
    "jawForward", "jawLeft", "jawOpen", "jawRight",
    "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft",
    "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper",
    "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight", "tongueOut",
)  # fmt: skip
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}
COUNT = len(NAMES)
assert COUNT == 52

# Epic's Live Link Face CSV: Timecode, BlendShapeCount, 52 curves in this order, then head and eye rotation.
LIVE_LINK_ORDER: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight",
    "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawRight", "jawLeft", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker",
    "mouthRight", "mouthLeft", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft",
    "mouthStretchRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "browDownLeft", "browDownRight", "browInnerUp",
    "browOuterUpLeft", "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "noseSneerLeft", "noseSneerRight", "tongueOut",
)  # fmt: skip
assert sorted(LIVE_LINK_ORDER) == sorted(NAMES)

# Channels that open or close the lips: speech owns them, emotion may only add to them.
SPEECH_CHANNELS: tuple[str, ...] = (
    "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthLowerDownLeft",
    "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight", "mouthRollLower",
    "mouthRollUpper", "mouthPressLeft", "mouthPressRight", "mouthStretchLeft", "mouthStretchRight",
)  # fmt: skip
OPENING_CHANNELS: tuple[str, ...] = (  # those of the speech channels that part the lips
    "jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight", "mouthFunnel",
)  # fmt: skip
BLINK_CHANNELS: tuple[str, ...] = ("eyeBlinkLeft", "eyeBlinkRight")
GAZE_CHANNELS: tuple[str, ...] = tuple(n for n in NAMES if n.startswith("eyeLook"))


def indices(names: tuple[str, ...] | list[str]) -> np.ndarray:
    """Column indices of ``names`` in the 52-channel order."""
    return np.array([INDEX[n] for n in names], dtype=np.int64)


def from_mediapipe(categories) -> np.ndarray:
    """(52,) float32 from MediaPipe's list of blendshape categories (``_neutral`` dropped)."""
    out = np.zeros(COUNT, dtype=np.float32)
    for c in categories:
        i = INDEX.get(c.category_name)
        if i is not None:
            out[i] = c.score
    return out
