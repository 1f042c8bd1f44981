"""The base of landmark-space motion models (mul2lm, EAPC): network -> 68 landmarks -> blendshapes.

The network predicts canonical 68 landmarks; ``FaceModel.fit_blendshapes`` turns them into the 52
blendshape curves that drive the face model, the mesh and the renderers, so every motion model returns
the same ``Motion``. Head pose and blinks, which neither paper predicts, come from ``motion.animate``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from emohead import dims
from emohead.emotion.condition import EmotionCondition
from emohead.emotion.prototypes import EXPRESSIVE, load_prototypes
from emohead.emotion.vocabulary import EMOTIONS
from emohead.errors import EmoheadError
from emohead.face import blendshapes as bs
from emohead.face.ibug68 import to_ibug68
from emohead.motion.animate import EMOTION_FILE, add_blinks, mouth_settings, scaled_head_motion, smooth, widen_mouth
from emohead.motion.base import Motion, MotionInputs, MotionModel
from emohead.motion.heard import heard_opening, heard_states, with_heard_mouth
from emohead.text.asr import whisper_available

BLINK_WINDOW = dims.FPS  # frames: longer than a blink (0.1-0.4 s), shorter than an emotion's change
EMOTION_SMOOTH = 0.08  # seconds (Gaussian sigma) over which the amplified emotion change is smoothed


def emotional_landmarks(face_model, neutral: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """The identity's face at rest (the relaxed baseline) plus a blendshape offset: (T, 68, 3) canonical.
    offset: (T, 52), an emotion condition's ``offset`` (a label, timeline, curve or reference portrait)."""
    protos = load_prototypes()
    w = np.zeros((len(offset), bs.COUNT), np.float32)
    w[:, bs.indices(EXPRESSIVE)] = protos.baseline[bs.indices(EXPRESSIVE)]
    return to_ibug68(face_model.canonical(neutral, np.clip(w + offset, 0, 1)))


def reference_face(inputs: MotionInputs) -> np.ndarray:
    """(68, 3) canonical landmarks a network takes as the speaker's face. With a requested face change (a label,
    timeline, curve or reference portrait) that is the relaxed face the change is put on, as in the analytic model
    and the synthetic training rows: the portrait's own expression taken out, so a smiling photo asked to look sad
    does not keep its smile. Otherwise (no request, or emotion read from the voice) the portrait as it is."""
    p = inputs.portrait
    if inputs.emotion.offset(1) is None:
        return to_ibug68(p.canonical)
    return emotional_landmarks(p.face_model, p.neutral, np.zeros((1, bs.COUNT), np.float32))[0]


def cross_faded(predict_window, n_frames: int, window: int, overlap: int) -> np.ndarray:
    """``predict_window(start, stop) -> (stop - start, D)`` run over windows of ``window`` frames, ``window - overlap``
    apart, their overlaps cross-faded linearly: (n_frames, D). A network trained on fixed windows then sees the
    context it was trained on at any length, and memory stays bounded however long the input."""
    out, weight = None, np.zeros(n_frames, np.float32)
    for s in range(0, max(n_frames - overlap, 1), window - overlap):
        e = min(s + window, n_frames)
        pred = predict_window(s, e)
        if out is None:
            out = np.zeros((n_frames, pred.shape[-1]), np.float32)
        ramp = np.minimum(1.0, np.minimum(np.arange(1, e - s + 1), np.arange(e - s, 0, -1)) / (overlap + 1))
        ramp = np.where((np.arange(s, e) < overlap) | (np.arange(s, e) >= n_frames - overlap), 1.0, ramp)
        out[s:e] += pred * ramp[:, None]
        weight[s:e] += ramp
    return out / np.maximum(weight, 1e-6)[:, None]


def emotion_gains(folder) -> np.ndarray | None:
    """(8,) per-emotion gains in EMOTIONS order from ``folder/emotion.json`` (None when there is none: a fresh
    training run draws what its network learnt, unscaled)."""
    path = Path(folder) / EMOTION_FILE
    if not path.is_file():
        return None
    gains = json.loads(path.read_text())["gains"]
    return np.array([float(gains.get(e, 1.0)) for e in EMOTIONS], np.float32)


def neutral_counterpart(emotion: EmotionCondition) -> EmotionCondition:
    """What a requested face change is measured against: the same per-frame intensity all on the neutral label,
    or, for a reference portrait, no offset (the relaxed face)."""
    if emotion.weights is None:
        return dataclasses.replace(emotion, reference=np.zeros_like(emotion.reference))
    weights = np.zeros_like(emotion.weights)
    weights[:, EMOTIONS.index("neutral")] = emotion.weights.sum(1)
    return dataclasses.replace(emotion, weights=weights)


def frame_gains(emotion: EmotionCondition, gains: np.ndarray, n_frames: int) -> np.ndarray:
    """(T,) gain per frame: the emotions' gains averaged by their weights (1 where only neutral is asked for);
    a reference portrait, which names no emotion, gets the mean of the six."""
    if emotion.weights is None:
        return np.full(n_frames, float(gains[1:].mean()), np.float32)
    emotive = np.clip(emotion.weights[:, 1:], 0.0, None)
    mass = emotive.sum(1)
    return np.where(mass > 1e-6, (emotive @ gains[1:]) / np.maximum(mass, 1e-6), 1.0).astype(np.float32)


def amplify_emotion(requested: np.ndarray, neutral: np.ndarray, gain: np.ndarray, fps: float = dims.FPS) -> np.ndarray:
    """Blendshapes (T, 52): the requested run plus ``gain - 1`` times its difference from the neutral run, per
    frame, on the emotion channels (those some prototype moves), so they sit near ``neutral + gain * (requested -
    neutral)``. The difference is smoothed over ``EMOTION_SMOOTH`` seconds first: an emotion changes over tenths
    of a second, and what differs faster between the two runs is the landmark fit's noise, which a gain would turn
    into flicker. The other channels stay the requested run's: those that open the mouth (jaw, lower lip, funnel,
    pucker), so the gain never changes how speech opens it, and those no emotion uses (jaw and mouth sideways,
    lip roll)."""
    out = requested.copy()
    cols = load_prototypes().channels
    out[:, cols] += (gain[:, None] - 1.0) * smooth(requested[:, cols] - neutral[:, cols], EMOTION_SMOOTH, fps)
    return out


class LandmarkMotionModel(MotionModel):
    """Base: loads its spec's network (bundled weights unless ``weights`` names a folder); subclasses implement
    :meth:`predict` -> (T, 68, 2 or 3) canonical landmarks. ``heard_mouth``: mix whisper's heard mouth into the
    opening's shape (``motion.heard``, at the share the weights folder's ``mouth.json`` names); None does as that file
    says, since its gain was calibrated with it or without it (the bundled eapc mixes it in, mul2lm does not)."""

    def __init__(self, weights: str | Path | None = None, head_motion: float = 1.0, blinks: bool = True, heard_mouth: bool | None = None):
        from emohead.weights import resolve_weights

        spec = self.spec
        self.folder = Path(resolve_weights(weights or spec.weights_location, f"{spec.name} weights"))
        self.net = spec.load(spec.network).from_pretrained(self.folder)
        self.head_motion_scale, self.blinks = head_motion, blinks
        mouth = mouth_settings(self.folder)  # scripts/calibrate_mouth.py --write: a regression narrows the opening
        self.mouth_gain = mouth["gain"]
        self.heard_mouth = mouth["heard"] if heard_mouth is None else heard_mouth
        self.heard_share = mouth["share"]
        if self.heard_mouth and not whisper_available():
            raise EmoheadError(f"{spec.name}: the heard mouth (--heard-mouth) reads the voice with whisper: pip install 'emohead[asr]'")
        self.emotion_gains = emotion_gains(self.folder)  # scripts/calibrate_emotion_gain.py --write: it also narrows the emotions

    def predict(self, inputs: MotionInputs) -> np.ndarray:
        raise NotImplementedError

    def _generate(self, inputs: MotionInputs) -> Motion:
        from scipy.ndimage import median_filter

        from emohead.nn.base import quiet_inference

        portrait, fps = inputs.portrait, float(dims.FPS)
        rng = np.random.default_rng(inputs.seed)
        with quiet_inference():
            w = portrait.face_model.fit_blendshapes(portrait.neutral, self.predict(inputs))
            gain = None
            if self.emotion_gains is not None and inputs.emotion.offset(1) is not None:
                gain = frame_gains(inputs.emotion, self.emotion_gains, len(w))
            if gain is not None and not np.all(gain == 1.0):
                # A regression draws a requested emotion at a fraction of its prototype (eapc 0.58-0.77): the
                # calibrated gains scale its change against the same run under the neutral label, so that
                # intensity 1 is the prototype's full apex as in the analytic model (classifier-free guidance's form)
                neutral = dataclasses.replace(inputs, emotion=neutral_counterpart(inputs.emotion))
                w_neutral = portrait.face_model.fit_blendshapes(portrait.neutral, self.predict(neutral))
                w = amplify_emotion(w, w_neutral, gain)
        w = np.clip(widen_mouth(np.clip(w, 0.0, 1.0), self.mouth_gain), 0.0, 1.0)
        if self.heard_mouth:  # the regression learnt its few training speakers' mouths; whisper's readout hears others'
            states = heard_states(inputs)
            if states is None:
                raise EmoheadError(f"{self.name}: the heard mouth (--heard-mouth) reads the recording from a file; analyse a file's audio")
            heard = heard_opening(states)
            w = np.clip(with_heard_mouth(w, heard, portrait.face_model.basis, inputs.phones, fps, share=self.heard_share), 0.0, 1.0)
        # Blinks come from ``add_blinks``. The networks also learnt their training speakers' blinks, at fixed
        # places in the speech, which (fitted within bounds) shut the eyes fully on top of the seeded ones; a
        # one-second running median keeps the lids' sustained position (an emotion's) and drops those closures.
        # Mirrored at the ends: repeating the last frame instead made a closure in a clip's last 3 frames outvote the
        # open frames before it (eapc shut one eye as biden's speech ended).
        blink = bs.indices(("eyeBlinkLeft", "eyeBlinkRight"))
        w[:, blink] = median_filter(w[:, blink], size=(BLINK_WINDOW, 1), mode="mirror")
        gaze = bs.indices(bs.GAZE_CHANNELS)
        w[:, gaze] = portrait.blendshapes[gaze]
        if self.blinks:
            add_blinks(w, fps, rng)
        pose = scaled_head_motion(inputs, self.head_motion_scale, fps, rng)
        # what the display gain measures departures from: the relaxed face a requested emotion is put on (the
        # synthetic rows taught the network relaxed face + emotion), else the portrait's own face
        rest = portrait.blendshapes.copy()
        if inputs.emotion.kind not in (None, "voice"):
            rest[bs.indices(EXPRESSIVE)] = load_prototypes().baseline[bs.indices(EXPRESSIVE)]
        return Motion(blendshapes=w, pose=pose, neutral=portrait.neutral, face_model=portrait.face_model, fps=fps, rest=rest)
