"""Fit how far each viseme class opens the mouth, on real talking video (never on a held-back clip).

    python scripts/fit_visemes.py [--data corpus] [--fit 60:760] [--check 800:1000] [--ridge 0.3]

The analytic model's mouth opening is, per frame, the loudness gain times the dominance-weighted mix of the
phone classes' targets (Cohen & Massaro coarticulation, ``motion.analytic.model.viseme_curves``), sealed at
bilabials. With the dominances, decay and timing fixed, the opening is linear in each class's opening, so the
openings that best explain the real inner-lip distance are a least-squares fit: non-negative, each clip centred
(Pearson ignores the offset), with a ridge toward the table in ``visemes.py`` (``--ridge``, relative to the data's scale:
0 trusts the data alone, large keeps the table; the fitted table was fitted from the hand-set one). Data: the GRID s1 sentences of the corpus
(``scripts/build_corpus.py``; MediaPipe's tracked inner lips and the transcript's forced alignment), sentences
``--fit`` (in clip-id order) to fit, ``--check`` to check; other speakers' real clips that are not held back
(``emohead.data.corpus.HELD_OUT_REAL``) check that the fit carries to other faces and voices.

Printed: per class the opening (eye-distances above the closed rest, on the face model's template) before and
after, and the target channels that give it (jawOpen, lower-lip down and upper-lip up scaled together; a class
without them gets jawOpen alone), to paste into ``motion/analytic/visemes.py``; and the correlation of the linear
predictor with the real opening, before and after, on each set.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from emohead import dims
from emohead.data.cache import Cache
from emohead.data.corpus import HELD_OUT_REAL
from emohead.face import blendshapes as bs
from emohead.face.ibug68 import mouth_opening, to_ibug68
from emohead.face.model import FaceModel
from emohead.motion.analytic import visemes
from emohead.motion.analytic.model import LIP_SEAL, VISEME_LAG, opening_gain, trim_phrase_ends, viseme_curves
from emohead.text.align import Phone

NAMES = list(visemes.CLASSES)
CLASS_OF = {p: k for k, (phones, _, _) in visemes.CLASSES.items() for p in phones}
SCALED = bs.indices(("jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight"))


def class_target(label: str) -> tuple[np.ndarray, float]:
    """A phone's class as a one-hot in the first channels, with the phone's own dominance."""
    vec = np.zeros(bs.COUNT, np.float32)
    vec[NAMES.index(CLASS_OF.get(label, "rest"))] = 1.0
    return vec, visemes.target(label)[1]


def class_mix(arrays: dict) -> tuple[np.ndarray, np.ndarray]:
    """(T, classes) the model's opening per unit opening of each class, and the real opening (T,)."""
    phones = [Phone(str(label), float(a), float(b)) for label, (a, b) in zip(arrays["phone_labels"], arrays["phone_times"])]
    n, fps = len(arrays["energy_db"]), float(dims.FPS)
    phones = trim_phrase_ends(phones, arrays["energy_db"], fps)  # the phones the model animates
    mix, closure = viseme_curves(phones, n, fps, lag=VISEME_LAG, targets=class_target)
    x = mix[:, : len(NAMES)] * (opening_gain(arrays["energy_db"], fps) * (1.0 - LIP_SEAL * closure))[:, None]
    real = mouth_opening(arrays["lm68"])
    m = min(len(x), len(real))
    return x[:m].astype(np.float64), real[:m].astype(np.float64)


def opening_of(face: FaceModel, vec: np.ndarray) -> float:
    return float(mouth_opening(to_ibug68(face.canonical(face.template, vec[None].astype(np.float32)))[0]))


def mean_r(data, theta) -> float:
    return float(np.nanmean([np.corrcoef(x @ theta, y)[0, 1] for x, y in data if np.std(y) > 0 and np.std(x @ theta) > 0]))


def matched_target(face: FaceModel, vec: np.ndarray, opening: float) -> np.ndarray:
    """``vec`` with its opening channels scaled (or jawOpen set, when it has none) so it opens ``opening``."""
    has = vec[SCALED].max() > 0

    def make(f: float) -> np.ndarray:
        out = vec.copy()
        if has:
            out[SCALED] = np.clip(vec[SCALED] * f, 0, 1)
        else:
            out[bs.INDEX["jawOpen"]] = f
        return out

    lo, hi = 0.0, (1.0 / vec[SCALED].max() if has else 1.0)
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if opening_of(face, make(mid)) < opening else (lo, mid)
    return make((lo + hi) / 2)


def main() -> None:
    from scipy.optimize import lsq_linear

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("corpus"), help="corpus built by scripts/build_corpus.py (default %(default)s)")
    ap.add_argument("--fit", default="60:760", help="GRID s1 sentences to fit on, as a slice in clip-id order (default %(default)s)")
    ap.add_argument("--check", default="800:1000", help="GRID s1 sentences to check on (default %(default)s)")
    ap.add_argument("--ridge", type=float, default=0.3, help="pull toward the table in visemes.py (default %(default)s)")
    args = ap.parse_args()
    t0 = time.time()
    cache = Cache(args.data)
    real = [m for m in cache.metas() if not m.get("synthetic")]
    s1 = sorted((m for m in real if m["speaker"] == "s1"), key=lambda m: m["clip_id"])
    held = set(HELD_OUT_REAL.values())

    def load(metas):
        out = []
        for m in metas:
            arrays = cache.load(m["clip_id"])
            if len(arrays["phone_labels"]):
                out.append(class_mix(arrays))
        return out

    def part(spec: str):
        a, b = (int(v) for v in spec.split(":"))
        return s1[a:b]

    fit, check = load(part(args.fit)), load(part(args.check))
    others = load([m for m in real if m["speaker"] not in held and m["speaker"] != "s1"])
    face = FaceModel.default()
    rest = opening_of(face, visemes.TARGETS["SIL"])
    before = np.array([max(opening_of(face, visemes.TARGETS[visemes.CLASSES[k][0][0]]) - rest, 0.0) for k in NAMES])
    before[NAMES.index("bilabial")] = 0.0  # sealed by the closure, whatever its target
    x = np.concatenate([xi - xi.mean(0) for xi, _ in fit])
    y = np.concatenate([yi - yi.mean() for _, yi in fit])
    prior = before * float((x @ before) @ y / ((x @ before) @ (x @ before)))  # the table at the data's scale
    weight = np.sqrt(args.ridge * np.trace(x.T @ x) / len(NAMES))
    theta = lsq_linear(np.vstack([x, weight * np.eye(len(NAMES))]), np.concatenate([y, weight * prior]), bounds=(0, np.inf)).x
    after = theta * before.max() / theta.max()  # the widest class keeps the table's widest opening; calibrate_mouth.py sets the scale
    print(f"{len(fit)} fit / {len(check)} check GRID s1 sentences, {len(others)} clips of other speakers")
    for name, data in (("fit sentences", fit), ("check sentences", check), ("other speakers", others)):
        print(f"  r of the linear predictor, {name:16s} table {mean_r(data, before):.3f} -> fitted {mean_r(data, after):.3f}")
    print(f"{'class':13s} {'before':>7s} {'after':>7s}  target channels (paste into visemes.py)")
    for k, b, a in zip(NAMES, before, after):
        vec = visemes.TARGETS[visemes.CLASSES[k][0][0]]
        new = vec if k == "rest" else matched_target(face, vec, rest + a)
        chans = {bs.NAMES[i]: round(float(new[i]), 2) for i in np.nonzero(new)[0]}
        print(f"{k:13s} {b:7.3f} {a:7.3f}  {chans}")
    print(f"{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
