"""Dataset adapters: each public dataset's own layout -> a list of :class:`ClipSource`.

| format | layout (as downloaded) | labels |
|---|---|---|
| mead | ``M003/video/front/angry/level_1/001.mp4`` + ``M003/audio/angry/level_1/001.m4a`` | emotion, level 1-3, speaker |
| cremad | ``VideoFlash/1001_DFA_ANG_XX.flv`` (+ ``AudioWAV/1001_DFA_ANG_XX.wav``) | emotion, LO/MD/HI/XX, speaker, sentence |
| ravdess | ``Actor_01/01-01-03-02-01-01-01.mp4`` (audio-visual speech only) | emotion, normal/strong, speaker, statement |
| grid | ``s1/bbaf2n.mpg`` (+ ``align/bbaf2n.align`` anywhere under the root) | speaker, words (GRID grammar) |
| hdtf | a folder of ``*.mp4`` | speaker = file name |
| voxceleb2 | ``id00012/21Uxsk56VDQ/00001.mp4`` | speaker |
| folder | any videos; optional ``name.txt`` transcripts, ``name.wav`` (or .flac/.mp3/.m4a) audio; optional ``labels.csv`` (file, emotion, intensity, speaker, audio, av_offset: frames the picture lags its sound) | as given |

Unknown layouts raise an error that says what was expected; files that do not fit are skipped and reported.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from emohead.data.transcripts import CREMAD_SENTENCES, grid_sentence
from emohead.emotion.vocabulary import canonical_emotion
from emohead.errors import EmoheadError

VIDEO_EXT = {".mp4", ".flv", ".mpg", ".mpeg", ".avi", ".mov", ".mkv", ".webm"}
AUDIO_EXT = (".wav", ".flac", ".mp3", ".m4a", ".ogg")


@dataclass
class ClipSource:
    """One clip to prepare. ``audio`` None means the video's own audio track.
    intensity: the dataset's level as an int (MEAD 1-3; CREMA-D LO/MD/HI = 1/2/3, XX = 0 unspecified;
    RAVDESS normal/strong = 1/2), None when the dataset has none.
    av_offset: how many frames (25 fps) the picture lags its sound, SyncNet's convention (``eval.avsync``); negative
    when the picture runs ahead. ``process_clip`` pairs each frame with its own sound; 0 for a clip in sync."""

    clip_id: str
    dataset: str
    video: Path
    audio: Path | None = None
    transcript: str | None = None
    emotion: str | None = None
    intensity: int | None = None
    speaker: str | None = None
    sentence: str | None = None
    word_times: list[tuple[str, float, float]] | None = None
    extra: dict = field(default_factory=dict)
    av_offset: int = 0


def _videos(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in VIDEO_EXT and p.is_file())


def _slug(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "_".join(parts)).strip("-")


def scan_mead(root: Path, skipped: list) -> list[ClipSource]:
    out = []
    for v in _videos(root):
        rel = v.relative_to(root).parts
        m = re.fullmatch(r"level_(\d)", rel[-2]) if len(rel) >= 6 else None
        if not (m and rel[-6:-4] != () and rel[-5] == "video"):
            skipped.append((str(v), "not in MEAD layout SPEAKER/video/VIEW/EMOTION/level_N/NNN.mp4"))
            continue
        speaker, view, emotion, level = rel[-6], rel[-4], rel[-3], int(m[1])
        if view != "front":
            skipped.append((str(v), f"view {view!r}: only frontal clips are prepared"))
            continue
        audio = root.joinpath(*rel[:-5], "audio", emotion, rel[-2], v.stem + ".m4a")
        out.append(
            ClipSource(
                _slug("mead", speaker, emotion, rel[-2], v.stem),
                "mead",
                v,
                audio if audio.exists() else None,
                emotion=canonical_emotion(emotion),
                intensity=level,
                speaker=speaker,
                sentence=f"{emotion}-{v.stem}",
            )
        )
    return out


CREMAD_EMOTIONS = {"ANG": "angry", "DIS": "disgust", "FEA": "fear", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
CREMAD_LEVELS = {"LO": 1, "MD": 2, "HI": 3, "XX": 0, "X": 0}


def scan_cremad(root: Path, skipped: list) -> list[ClipSource]:
    out = []
    for v in _videos(root):
        m = re.fullmatch(r"(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{1,2})", v.stem)
        if not m or m[2] not in CREMAD_SENTENCES or m[3] not in CREMAD_EMOTIONS or m[4] not in CREMAD_LEVELS:
            skipped.append((str(v), "name is not ACTOR_SENTENCE_EMOTION_LEVEL, e.g. 1001_DFA_ANG_XX"))
            continue
        wav = next((p for p in (root / "AudioWAV" / f"{v.stem}.wav", v.with_suffix(".wav")) if p.exists()), None)
        out.append(
            ClipSource(
                _slug("cremad", v.stem),
                "cremad",
                v,
                wav,
                transcript=CREMAD_SENTENCES[m[2]],
                emotion=CREMAD_EMOTIONS[m[3]],
                intensity=CREMAD_LEVELS[m[4]],
                speaker=m[1],
                sentence=m[2],
            )
        )
    return out


RAVDESS_EMOTIONS = {1: "neutral", 2: "neutral", 3: "happy", 4: "sad", 5: "angry", 6: "fear", 7: "disgust", 8: "surprise"}
RAVDESS_STATEMENTS = {1: "Kids are talking by the door", 2: "Dogs are sitting by the door"}


def scan_ravdess(root: Path, skipped: list) -> list[ClipSource]:
    out = []
    for v in _videos(root):
        m = re.fullmatch(r"(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)", v.stem)
        if not m:
            skipped.append((str(v), "name is not the 7 RAVDESS field codes, e.g. 01-01-03-02-01-01-01"))
            continue
        modality, channel, emo, level, statement, _rep, actor = (int(g) for g in m.groups())
        if modality != 1 or channel != 1:
            skipped.append((str(v), "not an audio-visual speech clip (modality 01, vocal channel 01)"))
            continue
        calm = {"calm": True} if emo == 2 else {}
        out.append(
            ClipSource(
                _slug("ravdess", v.stem),
                "ravdess",
                v,
                transcript=RAVDESS_STATEMENTS.get(statement),
                emotion=RAVDESS_EMOTIONS[emo],
                intensity=level,
                speaker=f"Actor_{actor:02d}",
                sentence=f"{statement:02d}",
                extra=calm,
            )
        )
    return out


def read_grid_align(path: Path) -> list[tuple[str, float, float]]:
    """GRID ``.align``: ``start end word`` in 1/1000 of a 25 fps frame -> (word, start s, end s), silences dropped."""
    words = []
    for line in path.read_text().split("\n"):
        parts = line.split()
        if len(parts) == 3 and parts[2] not in ("sil", "sp"):
            words.append((parts[2], int(parts[0]) / 25000.0, int(parts[1]) / 25000.0))
    return words


def scan_grid(root: Path, skipped: list) -> list[ClipSource]:
    aligns = {p.stem: p for p in root.rglob("*.align")}
    out = []
    for v in _videos(root):
        code = v.stem[-6:]
        try:
            sentence = grid_sentence(code)
        except EmoheadError as err:
            skipped.append((str(v), str(err)))
            continue
        speaker = v.parent.name if v.parent != root else f"grid-{v.stem}"  # flat folder: speakers unknown, one per clip
        align = aligns.get(v.stem) or aligns.get(code)
        out.append(
            ClipSource(
                _slug("grid", speaker, v.stem),
                "grid",
                v,
                transcript=sentence,
                speaker=speaker,
                sentence=code,
                word_times=read_grid_align(align) if align else None,
            )
        )
    return out


def scan_hdtf(root: Path, skipped: list) -> list[ClipSource]:
    return [ClipSource(_slug("hdtf", v.stem), "hdtf", v, speaker=v.stem) for v in _videos(root)]


def scan_voxceleb2(root: Path, skipped: list) -> list[ClipSource]:
    out = []
    for v in _videos(root):
        rel = v.relative_to(root).parts
        if len(rel) < 3 or not re.fullmatch(r"id\d+", rel[-3]):
            skipped.append((str(v), "not in VoxCeleb2 layout idNNNNN/VIDEO_ID/NNNNN.mp4"))
            continue
        out.append(ClipSource(_slug("vox", rel[-3], rel[-2], v.stem), "voxceleb2", v, speaker=rel[-3]))
    return out


def scan_folder(root: Path, skipped: list) -> list[ClipSource]:
    labels = {}
    table = root / "labels.csv"
    if table.exists():
        for row in csv.DictReader(open(table, newline="")):
            labels[Path(row.get("file", "")).stem] = row
    out = []
    for v in _videos(root):
        row = labels.get(v.stem, {})
        txt = v.with_suffix(".txt")
        emotion = row.get("emotion") or None
        try:
            emotion = canonical_emotion(emotion) if emotion else None
        except EmoheadError as err:
            skipped.append((str(v), f"labels.csv: {err}"))
            continue
        intensity = row.get("intensity") or None
        offset = (row.get("av_offset") or "0").strip()
        if not offset.lstrip("-").isdigit():
            skipped.append((str(v), f"labels.csv: av_offset {offset!r} is not a whole number of frames (25 fps)"))
            continue
        audio = root / row["audio"] if row.get("audio") else next((a for a in (v.with_suffix(e) for e in AUDIO_EXT) if a.exists()), None)
        out.append(
            ClipSource(
                _slug("folder", v.relative_to(root).with_suffix("").as_posix()),
                "folder",
                v,
                audio,
                transcript=txt.read_text().strip() if txt.exists() else None,
                emotion=emotion,
                intensity=int(intensity) if intensity and intensity.isdigit() else None,
                speaker=row.get("speaker") or v.stem,
                av_offset=int(offset),
            )
        )
    return out


SCANNERS = {
    "mead": scan_mead,
    "cremad": scan_cremad,
    "ravdess": scan_ravdess,
    "grid": scan_grid,
    "hdtf": scan_hdtf,
    "voxceleb2": scan_voxceleb2,
    "folder": scan_folder,
}


def scan(root: str | Path, fmt: str) -> tuple[list[ClipSource], list[tuple[str, str]]]:
    """All clips of a dataset in its published layout, and the files skipped with reasons."""
    root = Path(root)
    if fmt not in SCANNERS:
        raise EmoheadError(f"unknown format {fmt!r}; choose one of: {', '.join(SCANNERS)}")
    if not root.is_dir():
        raise EmoheadError(f"dataset folder not found: {root} (check the path)")
    skipped: list[tuple[str, str]] = []
    clips = SCANNERS[fmt](root, skipped)
    if not clips:
        why = f"; {len(skipped)} file(s) did not fit, e.g. {skipped[0][0]}: {skipped[0][1]}" if skipped else ""
        fix = "check --format and the folder layout" if fmt != "folder" else "put video files with speech in it (or labels.csv)"
        raise EmoheadError(f"no {fmt} clips found under {root}{why}; {fix}")
    return clips, skipped
