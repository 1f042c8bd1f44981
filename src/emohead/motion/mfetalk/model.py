"""MF-ETalk as a motion model: seeded DDIM sampling of motion windows with classifier-free guidance on emotion.

Long audio is cut into windows of 50 frames that overlap by 10: each window after the first is denoised with
the previous one's last 10 frames as context, and keeps its own 40 new frames, so memory stays flat and the
motion continues across windows. ``steps`` (``--steps``) sets the DDIM step count, ``guidance``
(``--guidance``) the classifier-free guidance scale (1: the conditional model alone; larger: the emotion
pushed further from the unconditional motion). The seed fixes the starting noise: two seeds give two
different, equally valid motions for the same speech. ``samples`` (``--samples``) draws that many motions in
one batch, each continuing its own windows, and returns their mean: the mouth then follows what the samples
share, which is what the speech says. Measured on the bundled weights (weights README, "mfetalk: the mean of
several samples"): one draw's lip sync on the held-back clips depends on the seed (0.545-0.579 over seeds 0-3,
mean 0.565), the mean of 4 hardly does (0.572-0.578, mean 0.574; the 13 other real clips 0.837 -> 0.839), at
2.7 times the sampling time (still over 300 frames/s); the motions of two seeds differ half as much. 1 gives the
paper's single draw and the most variety.

Emotion: the label (and intensity) of each window's middle frame, and with MFDF the AU proxies of every frame
(the prototype offsets of the label, timeline or intensity curve), so a timeline changes within a window too.
With no request the emotion is neutral, with the portrait's own expression as the neutral state.
Blinks come from the model (it learnt them from real video); gaze is the portrait's. ``mouth.json`` beside the
weights scales the mouth's movement (guided sampling narrows it), calibrated on real talking clips
(``scripts/calibrate_mouth.py --model mfetalk --write DIR``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emohead import dims
from emohead.emotion.prototypes import EXPRESSIVE, load_prototypes
from emohead.emotion.vocabulary import EMOTIONS
from emohead.errors import EmoheadError
from emohead.face import blendshapes as bs
from emohead.motion.animate import absolute_pose, closed_neutral, mouth_gain, widen_mouth
from emohead.motion.base import Motion, MotionInputs, MotionModel
from emohead.motion.mfetalk.network import CHANNELS, CONTEXT, NULL, WINDOW
from emohead.motion.speech import speech_frames
from emohead.weights import resolve_weights

DEFAULT_STEPS, DEFAULT_GUIDANCE, DEFAULT_SAMPLES = 10, 2.0, 4
MAX_STEPS, MAX_GUIDANCE, MAX_SAMPLES = 1000, 10.0, 64


class MfetalkMotionModel(MotionModel):
    name = "mfetalk"

    def __init__(
        self,
        weights: str | Path | None = None,
        head_motion: float = 1.0,
        blinks: bool = True,
        steps: int | None = None,
        guidance: float | None = None,
        samples: int | None = None,
    ):
        spec = self.spec
        self.folder = Path(resolve_weights(weights or spec.weights_location, "mfetalk weights"))
        self.net = spec.load(spec.network).from_pretrained(self.folder)
        self.head_motion_scale, self.blinks = head_motion, blinks
        self.mouth_gain = mouth_gain(self.folder)
        self.steps = DEFAULT_STEPS if steps is None else steps
        self.guidance = DEFAULT_GUIDANCE if guidance is None else guidance
        self.samples = DEFAULT_SAMPLES if samples is None else samples
        if not isinstance(self.steps, (int, np.integer)) or not 1 <= self.steps <= MAX_STEPS:
            raise EmoheadError(f"--steps {steps!r}: give a whole number of DDIM steps from 1 to {MAX_STEPS} (default {DEFAULT_STEPS})")
        if not np.isfinite(self.guidance) or not 0 <= self.guidance <= MAX_GUIDANCE:
            raise EmoheadError(
                f"--guidance {guidance!r}: give a scale from 0 to {MAX_GUIDANCE:g} (1 = no guidance; default {DEFAULT_GUIDANCE:g})"
            )
        if not isinstance(self.samples, (int, np.integer)) or not 1 <= self.samples <= MAX_SAMPLES:
            raise EmoheadError(
                f"--samples {samples!r}: give a whole number of motions to average from 1 to {MAX_SAMPLES} (1 = one draw; "
                f"default {DEFAULT_SAMPLES})"
            )

    def _conditions(self, inputs: MotionInputs):
        """Per-frame (label, intensity, AU target (T, 52)) and the neutral state (52,)."""
        n, cond, protos = inputs.n_frames, inputs.emotion, load_prototypes()
        neutral = inputs.portrait.blendshapes.astype(np.float32).copy()
        if cond.weights is None:  # no request: neutral on the portrait's own face (the null condition would sample
            # the training data's mix of emotions: on the held-back clips MEE 0.102 against 0.035 for a still face)
            return np.full(n, EMOTIONS.index("neutral")), np.zeros(n, np.float32), np.zeros((n, dims.N_BLENDSHAPES), np.float32), neutral
        expressive = bs.indices(EXPRESSIVE)
        neutral[expressive] = protos.baseline[expressive]  # an emotion starts from a relaxed face, as in training
        labels = np.argmax(cond.weights, 1)
        intensity = cond.weights.max(1).astype(np.float32)
        labels[intensity <= 1e-3] = EMOTIONS.index("neutral")
        return labels, intensity, protos.offset(cond.weights).astype(np.float32), neutral

    def _generate(self, inputs: MotionInputs) -> Motion:
        import torch

        from emohead.motion.mfetalk.diffusion import Schedule
        from emohead.nn.base import quiet_inference

        net, n, portrait = self.net, inputs.n_frames, inputs.portrait
        labels, intensity, au, neutral = self._conditions(inputs)
        audio = speech_frames(net.speech, inputs)
        schedule, gen = Schedule(), torch.Generator().manual_seed(int(inputs.seed))
        k = self.samples
        out = np.zeros((k, n, CHANNELS), np.float32)  # one motion per sample, each continuing its own windows
        done, s = 0, 0
        with quiet_inference():
            while done < n:
                e = min(s + WINDOW, n)
                context = torch.zeros(k, WINDOW, CHANNELS)
                context_mask = torch.zeros(k, WINDOW)
                if s > 0:
                    context[:, :CONTEXT] = torch.from_numpy(out[:, s : s + CONTEXT])
                    context_mask[:, :CONTEXT] = 1
                mid = min((s + e) // 2, n - 1)
                a, au_t = _window(audio, s, e), _window(au, s, e)
                both = [1] * k + [0] * k  # the conditional batch, then the unconditional one
                batch = dict(
                    audio=torch.stack([a] * 2 * k),
                    context=net.normalise(context).repeat(2, 1, 1),
                    context_mask=context_mask.repeat(2, 1),
                    label=torch.tensor([int(labels[mid]) if c else NULL for c in both]),
                    intensity=torch.tensor([float(intensity[mid]) if c else 0.0 for c in both]),
                    au_target=torch.stack([au_t if c else torch.zeros_like(au_t) for c in both]),
                    au_neutral=torch.from_numpy(neutral).expand(2 * k, -1),
                )

                def predict(x_t, t, batch=batch, guided=int(labels[mid]) != NULL):
                    pair = net(x_t.repeat(2, 1, 1), t.repeat(2), **batch)
                    cond, uncond = pair[:k], pair[k:]
                    return uncond + self.guidance * (cond - uncond) if guided else cond

                noise = torch.randn(k, WINDOW, CHANNELS, generator=gen)
                x0 = net.denormalise(schedule.ddim_sample(predict, noise, self.steps)).numpy()
                keep = CONTEXT if s > 0 else 0
                out[:, s + keep : e] = x0[:, keep : e - s]
                done, s = e, e - CONTEXT
        out = out.mean(0)
        w = np.clip(widen_mouth(out[:, : dims.N_BLENDSHAPES].copy(), self.mouth_gain), 0.0, 1.0)
        gaze = bs.indices(bs.GAZE_CHANNELS)
        w[:, gaze] = portrait.blendshapes[gaze]
        if not self.blinks:
            blink = bs.indices(bs.BLINK_CHANNELS)
            w[:, blink] = np.minimum(w[:, blink], portrait.blendshapes[blink])
        rel = out[:, dims.N_BLENDSHAPES :] * np.array([self.head_motion_scale] * 3 + [1.0] * 3, np.float32)
        pose = absolute_pose(rel, portrait.pose)
        rest = closed_neutral(portrait.neutral, portrait.face_model.basis, np.percentile(w, 5, axis=0))  # lips meet at the most closed
        return Motion(
            blendshapes=w.astype(np.float32), pose=pose, neutral=rest, face_model=portrait.face_model, fps=float(dims.FPS), rest=neutral
        )


def _window(x: np.ndarray, s: int, e: int):
    """Frames [s, e) of ``x`` as a tensor of WINDOW frames (the last one repeated past the end)."""
    import torch

    part = torch.from_numpy(np.ascontiguousarray(x[s:e]))
    pad = WINDOW - (e - s)
    return torch.cat([part, part[-1:].repeat(pad, *([1] * (part.dim() - 1)))]) if pad else part
