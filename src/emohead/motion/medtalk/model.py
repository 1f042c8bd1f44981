"""MEDTalk as a motion model: D(emotion code, ACM(audio)) per frame (Eq. 5), the emotion code from the label,
a reference photo or a description (Sec. 3.3-3.4), with frame-wise intensity.

**Intensity.** ``--intensity`` given (or a label's own, ``happy:0.8``): that intensity on every frame (a timeline or curve: its own per frame).
Not given (label, reference or description): the FIM predicts it per frame from the voice and the transcript's
words (``--transcript``, else the recogniser's), smoothed with Savitzky-Golay (5, 2) as in the authors' code.
A description or reference photo also sets its own strength ("a faint smile" is faint): the FIM's curve is
then scaled so its mean is that strength (times ``--intensity`` when given).

**Output.** The rig's expressive channels are relative to the prototypes' relaxed face (``rig.py``): with an
emotion request they are used as they are (the face relaxes, then shows the emotion, as the analytic model
does); with none the portrait keeps its own expression. Gaze is the portrait's; blinks and head motion are
the shared generators' (MEDTalk's rig has neither). ``mouth.json`` beside the weights scales the mouth's
change from rest, calibrated on real talking clips (``scripts/calibrate_mouth.py --model medtalk``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emohead import dims
from emohead.emotion.prototypes import EXPRESSIVE, load_prototypes
from emohead.emotion.vocabulary import EMOTIONS
from emohead.face import blendshapes as bs
from emohead.motion.animate import add_blinks, closed_neutral, mouth_gain, scaled_head_motion, widen_mouth
from emohead.motion.base import Motion, MotionInputs, MotionModel
from emohead.motion.medtalk import rig as R
from emohead.motion.speech import speech_frames
from emohead.weights import resolve_weights


class MedtalkMotionModel(MotionModel):
    name = "medtalk"

    def __init__(self, weights: str | Path | None = None, head_motion: float = 1.0, blinks: bool = True):
        spec = self.spec
        self.folder = Path(resolve_weights(weights or spec.weights_location, "medtalk weights"))
        self.net = spec.load(spec.network).from_pretrained(self.folder)
        self.head_motion_scale, self.blinks = head_motion, blinks
        self.mouth_gain = mouth_gain(self.folder)

    def frame_intensity(self, inputs: MotionInputs) -> np.ndarray:
        """(T,) the FIM's intensity per frame from the voice and the words (smoothed)."""
        import torch

        from emohead.nn.base import quiet_inference
        from emohead.text.minilm import token_embeddings

        words = inputs.transcript or " ".join(p.word for p in inputs.phones or [] if p.word and p.word_index is not None)
        tokens = token_embeddings(words)
        voice = R.voice_input(inputs.audio.llf, inputs.audio.energy_db)
        with quiet_inference():
            out = self.net.intensity(
                torch.from_numpy(voice[None]), torch.from_numpy(tokens[None]), torch.ones(1, len(tokens), dtype=torch.bool)
            )
        return np.clip(R.savgol_smooth(out[0].numpy()), 0, None)

    def emotion_plan(self, inputs: MotionInputs) -> tuple[np.ndarray, np.ndarray, str]:
        """(directions (T, 256) unit, intensity (T,), what) for the request."""
        import torch

        from emohead.nn.base import quiet_inference

        cond, n, net = inputs.emotion, inputs.n_frames, self.net
        given = inputs.request.intensity_given
        with quiet_inference():
            if cond.kind in ("text", "reference"):
                kind = "image" if cond.kind == "reference" else "text"
                if kind == "text":
                    from emohead.text.minilm import sentence_embeddings

                    x = torch.from_numpy(sentence_embeddings([cond.text]))
                else:
                    # P_image learnt from synthetic rows (prototype-shaped offsets) and real neutral ones; a real photo's
                    # raw offset lands between emotions (an acted happy apex: cosine 0.44 to happy, 0.39 to sad) and
                    # its strength head reads it as neutral (0.07 for a smile at 0.77). So P_image is given the
                    # reference's projection on its nearest prototype, and the strength is that projection's size.
                    protos = load_prototypes()
                    emotion, strength = protos.projection(R.image_offset(inputs.reference.blendshapes))
                    x = torch.from_numpy((strength * protos.matrix[EMOTIONS.index(emotion)])[None])
                direction = net.guide_direction(kind, x)[0].numpy()
                if kind == "text":
                    strength = float(net.guide_strength(kind, x)[0])
                strength *= inputs.request.level
                curve = self.frame_intensity(inputs)
                curve = strength * curve / max(float(curve.mean()), 1e-3)
                return np.repeat(direction[None], n, 0), curve, f"{cond.kind} strength {strength:.2f}"
            weights = cond.weights if cond.weights is not None else np.zeros((n, dims.N_EMOTIONS), np.float32)
            labels = np.argmax(weights, 1)
            neutral = (weights.max(1) <= 1e-3) | (labels == EMOTIONS.index("neutral"))
            labels[neutral] = EMOTIONS.index("neutral")
            directions = net.label_direction(torch.from_numpy(labels)).numpy()
            if cond.kind == "label" and not given:
                return directions, self.frame_intensity(inputs), "intensity from voice and words; --intensity sets it"
            # neutral has no strength to scale: its frames get the relaxed face the model learnt at intensity 0
            return directions, np.where(neutral, 0.0, weights.max(1)).astype(np.float32), "intensity as requested"

    def _generate(self, inputs: MotionInputs) -> Motion:
        import torch

        from emohead.nn.base import quiet_inference

        portrait, fps = inputs.portrait, float(dims.FPS)
        rng = np.random.default_rng(inputs.seed)
        directions, curve, what = self.emotion_plan(inputs)
        inputs.notes.append(f"medtalk: {what} (mean {curve.mean():.2f}, range {curve.min():.2f}-{curve.max():.2f})")
        speech = speech_frames(self.net.speech, inputs)
        with quiet_inference():
            content = self.net.content(torch.from_numpy(speech[None]))
            code = self.net.fuse(torch.from_numpy(directions * curve[:, None])[None])
            w = self.net.decode(code, content)[0].numpy()
        widen_mouth(w, self.mouth_gain)
        expressive = bs.indices(EXPRESSIVE)
        rest = np.zeros(bs.COUNT, np.float32)
        rest[expressive] = load_prototypes().baseline[expressive]  # the rig's relaxed face
        if inputs.emotion.kind is None:  # no request: the portrait keeps its own expression
            w[:, expressive] += portrait.blendshapes[expressive] - rest[expressive]
            rest[expressive] = portrait.blendshapes[expressive]
        gaze = bs.indices(bs.GAZE_CHANNELS)
        w[:, gaze] = portrait.blendshapes[gaze]
        w[:, bs.indices(bs.BLINK_CHANNELS)] = 0.0
        np.clip(w, 0.0, 1.0, out=w)
        neutral = closed_neutral(portrait.neutral, portrait.face_model.basis, np.percentile(w, 5, axis=0))
        if self.blinks:
            add_blinks(w, fps, rng)
        pose = scaled_head_motion(inputs, self.head_motion_scale, fps, rng)
        return Motion(blendshapes=w.astype(np.float32), pose=pose, neutral=neutral, face_model=portrait.face_model, fps=fps, rest=rest)
