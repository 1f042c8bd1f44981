import numpy as np
import pytest

from emohead.emotion.timeline import parse_timeline, timeline_weights
from emohead.emotion.vocabulary import EMOTIONS
from emohead.errors import EmoheadError


def test_timeline_parses_items_aliases_and_open_ends():
    segs = parse_timeline("neutral@0-1.5, Happiness:0.9@1.5-4 ,sad:0.6@4-")
    assert [(s.emotion, s.intensity, s.start, s.end) for s in segs] == [
        ("neutral", 1.0, 0.0, 1.5),
        ("happy", 0.9, 1.5, 4.0),
        ("sad", 0.6, 4.0, None),
    ]


def test_single_label_uses_default_intensity():
    (seg,) = parse_timeline("angry", default_intensity=0.8)
    assert (seg.emotion, seg.intensity, seg.start, seg.end) == ("angry", 0.8, 0.0, None)


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("ecstatic", "unknown emotion 'ecstatic'"),
        ("happy@x-2", "bad emotion item"),
        ("happy:high", "bad emotion item"),
        ("happy@3-1", "ends before it starts"),
        ("happy@0-3,sad@2-", "overlap"),
        ("happy@0-,sad@2-", "overlap"),
        ("  ", "empty --emotion"),
    ],
)
def test_bad_specs_name_the_problem(spec, fragment):
    with pytest.raises(EmoheadError, match=fragment):
        parse_timeline(spec)


def test_weights_follow_segments_with_smooth_transitions():
    fps = 25
    w, notes = timeline_weights(parse_timeline("neutral@0-2,happy:0.8@2-"), 100, fps, transition=0.4)
    happy = w[:, EMOTIONS.index("happy")]
    assert happy[:40].max() < 0.5 * 0.8 and happy[10] == 0  # before 2 s: at most half-way through the fade
    assert np.allclose(happy[60:], 0.8)
    steps = np.diff(happy)
    assert steps.min() >= 0 and steps.max() < 0.8 / 5  # the fade spans several frames, no jump
    assert notes == []


def test_intensity_above_limit_is_clamped_with_a_note():
    w, notes = timeline_weights(parse_timeline("sad:3"), 10, 25)
    assert np.allclose(w[:, EMOTIONS.index("sad")], 1.5)
    assert "clamped" in notes[0]
