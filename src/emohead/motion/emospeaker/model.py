"""EmoSpeaker as a motion model: the decoupler's content code, ExpNet's mouth, EmoNet's emotion and PoseNet's
head motion, composed into blendshapes + pose.

**The fine-grained intensity matrix** (paper Sec. III-C, Table VII): an intensity label (levels 1-3) x the
inference sliding-window length (20, 15, 10, 5, 2 frames); each window's last predicted coefficients seed the
next. ``intensity_table.json`` beside the weights holds each cell's measured strength per emotion (written by
``scripts/calibrate_emospeaker.py``: the mean change of the emotion channels along the emotion's prototype, as
a fraction of the prototype at intensity 1). A continuous intensity picks the cell whose strength is closest;
``window=`` / ``intensity_level=`` (``--emospeaker-window``, ``--intensity-level``) pick a cell directly.
Without a table (a fresh training run), the level follows the intensity (<= 0.45: 1, <= 0.8: 2, else 3) at the
training window.

**The emotion's amplitude**: the net under-shoots the synthetic targets (level 3 comes out at 0.7-0.8 of the
prototype of a full acted expression); the table's ``gain`` per emotion scales EmoNet's change from the reference
so that the strongest cell reaches the prototype (intensity 1 = MEAD level 3 / CREMA-D HI), and the strengths are
stored after that gain.

**The mouth's amplitude**: a regression net opens the mouth less than real speakers (median 0.43 of their range on
real clips); ``mouth.json`` beside the weights holds a gain on ExpNet's change from the reference mouth, calibrated
on real talking clips that are not held back (``scripts/calibrate_mouth.py --model emospeaker --write DIR``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from emohead import dims
from emohead.emotion.vocabulary import EMOTIONS
from emohead.errors import EmoheadError
from emohead.face import blendshapes as bs
from emohead.motion.animate import absolute_pose, add_blinks, add_emotion, mouth_gain
from emohead.motion.base import Motion, MotionInputs, MotionModel
from emohead.motion.emospeaker.network import EMO, EXP
from emohead.motion.speech import speech_frames
from emohead.weights import resolve_weights

WINDOWS = (20, 15, 10, 5, 2)
LEVELS = (1, 2, 3)
POSE_WINDOW = 20
TABLE = "intensity_table.json"
I_EXP, I_EMO = bs.indices(EXP), bs.indices(EMO)


class EmoSpeakerMotionModel(MotionModel):
    name = "emospeaker"

    def __init__(
        self,
        weights: str | Path | None = None,
        head_motion: float = 1.0,
        blinks: bool = True,
        window: int | None = None,
        intensity_level: int | None = None,
    ):
        spec = self.spec
        folder = self.folder = Path(resolve_weights(weights or spec.weights_location, "emospeaker weights"))
        self.net = spec.load(spec.network).from_pretrained(folder)
        self.net.eval()
        self.head_motion_scale, self.blinks = head_motion, blinks
        if window is not None and window not in WINDOWS:
            raise EmoheadError(f"--emospeaker-window {window} is not in the intensity matrix; use one of {', '.join(map(str, WINDOWS))}")
        if intensity_level is not None and intensity_level not in LEVELS:
            raise EmoheadError(f"--intensity-level {intensity_level}: use 1, 2 or 3 (the paper's intensity labels)")
        self.window, self.level = window, intensity_level
        path = Path(folder) / TABLE
        doc = json.loads(path.read_text()) if path.is_file() else {}
        self.table = doc.get("strength")
        self.emotion_gain: dict[str, float] = doc.get("gain", {})
        self.mouth_gain = mouth_gain(folder)

    def save_pretrained(self, directory) -> None:
        """The network and its calibration (intensity table; the base class copies the mouth gain)."""
        super().save_pretrained(directory)
        if (self.folder / TABLE).is_file():
            shutil.copyfile(self.folder / TABLE, Path(directory) / TABLE)

    def cell(self, emotion: str, intensity: float) -> tuple[int, int]:
        """(level, window) for ``emotion`` at a continuous ``intensity``: the matrix cell whose measured strength
        is closest, unless ``window`` / ``intensity_level`` fix one or both."""
        if self.level is not None and self.window is not None:
            return self.level, self.window
        if emotion == "neutral":  # no emotion to scale: the longest window, the lowest label
            return self.level or LEVELS[0], self.window or WINDOWS[0]
        if self.table is None or emotion not in self.table:
            level = self.level or (1 if intensity <= 0.45 else 2 if intensity <= 0.8 else 3)
            return level, self.window or 5
        cells = [
            (abs(self.table[emotion][li][wi] - intensity), level, window)
            for li, level in enumerate(LEVELS)
            for wi, window in enumerate(WINDOWS)
            if (self.level in (None, level)) and (self.window in (None, window))
        ]
        _, level, window = min(cells)
        return level, window

    def _generate(self, inputs: MotionInputs) -> Motion:
        import torch

        from emohead.nn.base import quiet_inference

        portrait, n, fps = inputs.portrait, inputs.n_frames, float(dims.FPS)
        rng = np.random.default_rng(inputs.seed)
        ref = portrait.blendshapes.astype(np.float32)
        weights = inputs.emotion.weights  # (T, 8) per-frame intensities, or None (no request: neutral)
        with quiet_inference(), torch.no_grad():
            content, _ = self.net.encode(torch.from_numpy(speech_frames(self.net.speech, inputs, raw_mfcc=True)[None].astype(np.float32)))
            exp = self.net.expression(content, torch.from_numpy(ref[I_EXP][None]))[0].numpy()
            exp = ref[I_EXP] + self.mouth_gain * (exp - ref[I_EXP])  # regression narrows the opening; the gain restores real range
            emo = np.zeros((n, len(EMO)), np.float32)
            gain = np.ones((n, 1), np.float32)
            seed = torch.from_numpy(ref[I_EMO][None])
            s = 0
            while s < n:
                emotion, intensity = _request_at(weights, s)
                level, window = self.cell(emotion, intensity)
                e = min(s + window, n)
                label = torch.tensor([EMOTIONS.index(emotion)])
                part = self.net.emotion_window(content[:, s:e], seed, label, torch.tensor([level]))
                emo[s:e] = part[0].numpy()
                gain[s:e] = self.emotion_gain.get(emotion, 1.0)
                seed, s = part[:, -1], e  # the chain runs on the network's own output; the gain is applied after
            emo = ref[I_EMO] + gain * (emo - ref[I_EMO])
            rel = np.zeros((n, 6), np.float32)
            seed = torch.zeros(1, 6)
            for s in range(0, n, POSE_WINDOW):
                e = min(s + POSE_WINDOW, n)
                emotion, intensity = _request_at(weights, s)
                level, _ = self.cell(emotion, intensity)
                part = self.net.pose_window(content[:, s:e], seed, torch.tensor([EMOTIONS.index(emotion)]), torch.tensor([level]))
                rel[s:e] = part[0].numpy()
                seed = part[:, -1]
        w = np.repeat(ref[None], n, 0)
        w[:, I_EXP] = exp
        delta = np.zeros_like(w)
        delta[:, I_EMO] = emo - ref[I_EMO]
        w = np.clip(add_emotion(w, delta, portrait.face_model.basis), 0, 1).astype(np.float32)  # emotion never moves the lip gap
        if self.blinks:
            add_blinks(w, fps, rng)
        pose = absolute_pose(rel * self.head_motion_scale, portrait.pose)
        return Motion(blendshapes=w, pose=pose, neutral=portrait.neutral, face_model=portrait.face_model, fps=fps, rest=ref)


def _request_at(weights: np.ndarray | None, frame: int) -> tuple[str, float]:
    """The dominant requested emotion at ``frame`` and its intensity (neutral when nothing is requested)."""
    if weights is None:
        return "neutral", 0.0
    row = weights[frame]
    k = int(np.argmax(row))
    return (EMOTIONS[k], float(row[k])) if row[k] > 1e-3 else ("neutral", 0.0)
