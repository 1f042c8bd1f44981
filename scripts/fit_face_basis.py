"""Fit emohead's face model (template + 52-channel linear basis) on real talking-face video.

    python scripts/fit_face_basis.py --data ../shared/data/video -o src/emohead/assets/weights/face_model

Every video under --data is tracked with MediaPipe (mesh + blendshapes per frame); clips whose
names share a speaker prefix (CREMA-D ``1001_*``) are pooled so their emotion differences count.
The fit itself is ``emohead.face.model.fit_basis``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from emohead.data.corpus import HELD_OUT_REAL
from emohead.face.analyze import track_video
from emohead.face.model import FaceModel, fit_basis

VIDEO_EXT = {".mp4", ".flv", ".mpg", ".avi", ".mov", ".mkv", ".webm"}


def speaker_of(path: Path) -> str:
    """CREMA-D names start with the actor id; other clips stand alone."""
    head = path.stem.split("_")[0]
    return f"{path.parent.name}/{head}" if head.isdigit() else f"{path.parent.name}/{path.stem}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder searched recursively for videos")
    ap.add_argument("-o", "--out", type=Path, required=True, help="output folder (model.safetensors + config.json)")
    ap.add_argument("--ridge", type=float, default=1e-3, help="ridge penalty relative to the frame count")
    ap.add_argument(
        "--exclude",
        nargs="*",
        default=list(HELD_OUT_REAL),
        help="clips (relative to --data) kept out of the fit; default: the held-back test clips",
    )
    args = ap.parse_args()

    t0 = time.time()
    groups: dict[str, list] = defaultdict(list)
    videos = sorted(p for p in args.data.rglob("*") if p.suffix.lower() in VIDEO_EXT and str(p.relative_to(args.data)) not in args.exclude)
    for path in videos:
        pts, shapes, found = track_video(path)
        groups[speaker_of(path)].append((pts[found], shapes[found]))
        print(f"{path.relative_to(args.data)}: {found.sum()}/{len(found)} frames with a face")
    clips = [(np.concatenate([p for p, _ in g]), np.concatenate([s for _, s in g])) for g in groups.values()]
    template, basis = fit_basis(clips, ridge=args.ridge)
    frames = sum(len(p) for p, _ in clips)
    info = {
        "fitted_on": [str(p.relative_to(args.data)) for p in videos],
        "frames": int(frames),
        "groups": len(clips),
        "ridge": args.ridge,
        "excluded": args.exclude,
        "command": f"python scripts/fit_face_basis.py --data ../shared/data/video -o src/emohead/assets/weights/face_model --ridge {args.ridge}",
    }
    FaceModel(template=template, basis=basis, info=info).save(args.out)
    print(json.dumps({k: v for k, v in info.items() if k != "fitted_on"}, indent=1), f"\n{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
