"""emohead: emotion-controllable talking faces from one portrait and a speech recording, offline on a CPU."""

from emohead.api import GenerateOptions, GenerationResult, generate
from emohead.errors import EmoheadError
from emohead.motion import Motion, load_motion_model
from emohead.render import load_renderer

__version__ = "0.1.0"
__all__ = ["EmoheadError", "GenerateOptions", "GenerationResult", "Motion", "generate", "load_motion_model", "load_renderer", "__version__"]
