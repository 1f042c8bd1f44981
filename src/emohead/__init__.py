"""emohead: emotion-controllable talking faces from one portrait and a speech recording, offline on a CPU.

Stages: ``analyze`` (portrait, audio, text, emotion -> MotionInputs), a motion model's ``generate``
(-> Motion), ``render`` (-> frames or video); ``generate`` composes all three.
"""

from emohead.api import GenerateOptions, GenerationResult, analyze, generate, render
from emohead.errors import EmoheadError
from emohead.motion import Motion, MotionInputs, load_motion_model
from emohead.render import load_renderer

__version__ = "0.1.0"
__all__ = [
    "EmoheadError",
    "GenerateOptions",
    "GenerationResult",
    "Motion",
    "MotionInputs",
    "analyze",
    "generate",
    "load_motion_model",
    "load_renderer",
    "render",
    "__version__",
]
