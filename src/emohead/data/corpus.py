"""Synthetic emotion augmentation for the corpus emohead's bundled weights train on.

Real clips here have one emotion each, and most have none; the papers need the same content with
different emotions and intensities (MEDTalk builds exactly such pairs from a generator). For each
real clip outside the held-back set, and each emotion x intensity level, the analytic model's
calibrated FACS prototype is composed onto the clip's real blendshapes (``motion.animate.add_emotion``:
speech keeps the lip gap), and the real mesh is moved by the face model's basis times the change:
``mesh' = mesh + basis @ (w' - w)``, so the real speaker's identity and lip motion stay, and only the
expression differs. Audio features are the source clip's (the voice is not changed: a known limit
for models that read emotion from the voice). Rows are marked ``synthetic`` in the index.
"""

from __future__ import annotations

import numpy as np

from emohead.data.cache import Cache
from emohead.emotion.prototypes import EXPRESSIVE, INTENSITY_LEVELS, load_prototypes
from emohead.emotion.vocabulary import EMOTIONS
from emohead.face import blendshapes as bs
from emohead.face.geometry import apply_pose
from emohead.face.ibug68 import to_ibug68
from emohead.face.model import FaceModel
from emohead.motion.animate import add_emotion

# Real clips of shared/data never trained on or fitted to (speakers no other clip shares): the
# honest test set for evaluation. The face model is fitted without them as well.
DUPLICATES = ("grid/bbaf2n.mpg",)  # the same recording as grid_s1/s1/bbaf2n.mp4: counted once, as speaker s1
HELD_OUT_REAL = {  # path under shared/data/video -> the speaker id the corpus gives it
    "grid/lwbsza.mpg": "grid-lwbsza",
    "grid/swiz3n.mpg": "grid-swiz3n",
    "other/hdtf_klobuchar_silent.mp4": "klobuchar",
}
# Real clips of shared/data whose picture is out of step with their sound, in frames at 25 fps (SyncNet's convention,
# ``ClipSource.av_offset``: positive when the picture lags). The weekly address's picture runs 7 frames (280 ms)
# ahead: the analytic mouth correlates with its tracked mouth at -0.13..+0.10 with no shift and at 0.38..0.53 with
# the picture 7 frames ahead, in each of its four 5 s quarters; every other real clip's best shift is within one frame
# (``benchmarks/lipsync_real.py`` over +-12 frames). The phone alignment itself is right: its pauses fall on the
# sound's pauses. Corrected in the corpus (``scripts/build_corpus.py``) and in the lip-sync benchmark.
AV_OFFSETS = {"other/obama_weekly_address.mp4": -7}


def synthesize(arrays: dict[str, np.ndarray], emotion: str, weight: float, face_model: FaceModel) -> dict[str, np.ndarray]:
    """The clip's arrays with its expression replaced by ``emotion`` at ``weight`` (see module doc)."""
    protos = load_prototypes()
    w = arrays["blendshapes"].astype(np.float32)
    target = w.copy()
    expressive = bs.indices(EXPRESSIVE)
    target[:, expressive] = protos.baseline[expressive]
    offset = np.repeat(protos.label_offset(emotion, weight)[None], len(w), axis=0)
    target = np.clip(add_emotion(target, offset, face_model.basis), 0.0, 1.0)
    delta = (target - w) @ face_model.basis.reshape(bs.COUNT, -1)
    mesh = arrays["mesh"] + delta.reshape(len(w), -1, 3)
    out = dict(arrays)
    out.update(
        blendshapes=target,
        mesh=mesh.astype(np.float32),
        lm68=to_ibug68(mesh).astype(np.float32),
        lm68_image=to_ibug68(apply_pose(mesh, arrays["pose"].astype(np.float64))).astype(np.float32),
    )
    return out


def augment(
    cache: Cache, emotions=EMOTIONS, levels=INTENSITY_LEVELS, skip_speakers=(), progress: bool = False, per_speaker: int | None = None
) -> int:
    """Add synthetic rows for every real clip of the cache whose speaker is not in ``skip_speakers`` (at most
    ``per_speaker`` clips of any one speaker, chosen by clip id, so one speaker with a thousand sentences does
    not fill the disk). Resumable like ``prepare``: existing synthetic clips are kept. Returns the number written."""
    from tqdm import tqdm

    face_model = FaceModel.default()
    real, taken = [], {}
    for m in sorted(cache.metas(), key=lambda m: m["clip_id"]):
        if m.get("synthetic") or m["speaker"] in set(skip_speakers):
            continue
        taken[m["speaker"]] = taken.get(m["speaker"], 0) + 1
        if per_speaker is None or taken[m["speaker"]] <= per_speaker:
            real.append(m)
    written = 0
    for meta in tqdm(real, unit="clip", desc="augment", disable=not progress):
        arrays = None
        for emotion in emotions:
            for level, weight in levels.items() if emotion != "neutral" else [(1, 0.0)]:
                clip_id = f"{meta['clip_id']}_syn_{emotion}_{level}"
                if (cache.clips_dir / f"{clip_id}.json").exists():
                    continue
                arrays = arrays if arrays is not None else cache.load(meta["clip_id"])
                syn = synthesize(arrays, emotion, weight, face_model)
                cache.write_clip(
                    meta | {"clip_id": clip_id, "source_clip": meta["clip_id"], "emotion": emotion, "intensity": level, "synthetic": True},
                    syn,
                )
                written += 1
    return written
