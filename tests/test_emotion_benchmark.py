"""The emotion benchmark's real reference photos (../shared/data): the frames it calls an emotion's apex."""

import sys
from pathlib import Path

import pytest

from tests.conftest import shared_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


@pytest.mark.slow
def test_the_happy_reference_photo_is_the_actors_broadest_smile():
    """The apex is chosen on MediaPipe's tracking of the clip, so the photo must be the frame that was tracked: the
    clip is 30 fps and was read at 25 while it was tracked at 30, and the chosen photo was 0.85 of the clip's
    broadest smile (a frame mid-word that the classifier read as angry)."""
    from emohead import dims
    from emohead.face import blendshapes as bs
    from emohead.face.analyze import analyze_portrait, track_video
    from emotion import acted_apexes, read_frames

    smile = bs.indices(("mouthSmileLeft", "mouthSmileRight", "cheekSquintLeft", "cheekSquintRight"))
    path = shared_data("video", "cremad", "1001_DFA_HAP_XX.flv")
    _, shapes, found = track_video(path, fps=dims.FPS)
    assert len(list(read_frames(path, fps=dims.FPS))) == len(shapes)
    broadest = shapes[found][:, smile].mean(1).max()
    assert analyze_portrait(acted_apexes()["happy"], 256).blendshapes[smile].mean() > 0.95 * broadest
