"""Behaviour of the analytic motion model on real speech (the bundled JFK clip, force-aligned)."""

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

import emohead
from emohead.face import blendshapes as bs
from emohead.face.ibug68 import mouth_opening
from emohead.motion.analytic.model import VISEME_LAG
from tests.conftest import DEMO_TRANSCRIPT, ffmpeg

FPS = 25
OPEN_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "EY", "OW", "OY"}
VOWELS = OPEN_VOWELS | {"ER", "IH", "IY", "UH", "UW"}  # close vowels /i u/ open the jaw only a little


@pytest.fixture(scope="module")
def demo_inputs(demo_portrait, demo_audio):
    """The demo portrait, speech and transcript, analysed once for the tests of this file."""
    return emohead.analyze(demo_portrait, demo_audio, transcript=DEMO_TRANSCRIPT)


@pytest.fixture(scope="module")
def runs(demo_inputs):
    """(result, mouth opening) per emotion: the analytic model on the same analysed inputs."""
    model, out = emohead.load_motion_model("analytic"), {}
    for emotion in ("neutral", "happy", "sad", "angry", "fear", "surprise"):
        motion = model.generate(demo_inputs.with_emotion(emotion))
        r = SimpleNamespace(motion=motion, lm68=motion.lm68(), phones=demo_inputs.phones)
        out[emotion] = (r, mouth_opening(r.lm68))
    return out


def _frames_near(phone, n):
    """Frames whose display interval lies within one frame of the phone, as the mouth shows it (``VISEME_LAG`` later)."""
    start, end = phone.start + VISEME_LAG, phone.end + VISEME_LAG
    return slice(max(int(np.floor(start * FPS)) - 1, 0), min(int(np.ceil(end * FPS)) + 1, n))


def test_mouth_closes_on_bilabials_and_opens_on_vowels(runs):
    result, opening = runs["neutral"]
    labels = [p.label for p in result.phones]
    assert {"M", "AE", "AH"} <= set(labels), labels  # "my", "Americans", "ask", "what"
    bilabials = [p for p in result.phones if p.label in ("P", "B", "M")]
    vowels = [p for p in result.phones if p.label in VOWELS and p.end - p.start >= 0.06]
    assert bilabials and len(vowels) > 10
    closed = [opening[_frames_near(p, len(opening))].min() for p in bilabials]
    opened = {p: opening[_frames_near(p, len(opening))].max() for p in vowels}
    assert max(closed) < 0.03, closed  # lips meet (inner-lip gap / eye distance)
    assert min(opened.values()) > 0.05, opened  # apart on every vowel
    assert min(v for p, v in opened.items() if p.label in OPEN_VOWELS) > 0.08, opened  # clearly apart on open ones
    assert np.median(list(opened.values())) > 4 * max(np.median(closed), 0.01)


def test_mouth_closes_as_a_phrase_ends_then_the_lips_part_in_a_pause(runs):
    """In connected speech the real mouth closes as a phrase ends and the lips part again while the speaker breathes
    in (the weekly address: 0.2 of its top 0.25 s into a pause, 0.6 from 0.5 s on); parted, not open as in speech."""
    result, opening = runs["neutral"]
    pauses = [p for p in result.phones if p.label == "SIL" and p.end - p.start > 0.6 and 0 < p.start]
    assert len(pauses) >= 2  # JFK pauses after "Americans" and "for you"
    top = np.percentile(opening, 95)
    for p in pauses:
        closing = opening[int((p.start + VISEME_LAG + 0.1) * FPS) : int((p.start + VISEME_LAG + 0.3) * FPS)]
        parted = opening[int((p.end + VISEME_LAG - 0.25) * FPS) : int((p.end + VISEME_LAG - 0.05) * FPS)]
        assert closing.min() < 0.03, (p, closing)  # the lips meet
        assert 0.03 < parted.min() and parted.max() < 0.5 * top, (p, parted, top)  # then part, less than in speech


def test_lips_part_for_a_breath_before_the_first_words(demo_portrait, demo_audio, tmp_path):
    """Real speakers part their lips as they breathe in before speaking (on 60 calibration clips the opening peaks at
    about a third of its top 0.2 s before the first phone); long before that the mouth rests closed. The recording
    itself gets the second of silence, since the mouth also follows what whisper hears in it."""
    padded = tmp_path / "padded.wav"
    ffmpeg("-i", str(demo_audio), "-af", "adelay=1000:all=1", str(padded))  # a second more of silence first
    inputs = emohead.analyze(demo_portrait, padded, transcript=DEMO_TRANSCRIPT)
    opening = mouth_opening(emohead.load_motion_model("analytic").generate(inputs.with_emotion("neutral")).lm68())
    onset = next(p.start for p in inputs.phones if p.label != "SIL")
    assert onset > 1.0, inputs.phones[:3]
    rest, breath = opening[: int((onset - 0.8) * FPS)], opening[int((onset - 0.4) * FPS) : int((onset - 0.1) * FPS)]
    assert rest.max() < 0.02, rest
    assert breath.max() > rest.max() + 0.025, breath


def test_the_mouth_closes_when_the_sound_ends_though_the_aligner_stretched_the_last_phone(demo_inputs, demo_audio):
    """A forced aligner often stretches a sentence's last phone over the breath and room noise after it (GRID
    swiz3n: 0.4 s); the real mouth has closed by then, so the visemes follow the sound, not the stretched phone."""
    from emohead.audio.features import AudioFeatures
    from emohead.audio.io import load_audio

    x = load_audio(demo_audio)
    tail = 0.002 * np.random.default_rng(0).standard_normal(16000).astype(np.float32)  # 1 s of quiet room noise
    phones = [p for p in demo_inputs.phones]
    while phones[-1].label == "SIL":
        phones.pop()
    phones[-1] = dataclasses.replace(phones[-1], end=len(x) / 16000 + 1.0)  # the aligner's stretch
    inputs = dataclasses.replace(demo_inputs, audio=AudioFeatures.from_chunks([np.concatenate([x, tail])]), phones=phones)
    opening = mouth_opening(emohead.load_motion_model("analytic").generate(inputs.with_emotion("neutral")).lm68())
    assert opening[-int(0.8 * FPS) :].max() < 0.03, opening[-int(0.8 * FPS) :]


def test_speech_with_less_effort_opens_the_mouth_less_with_the_same_timing(demo_inputs, demo_audio, runs):
    """The same words at the same loudness with less vocal effort (less energy above 1 kHz, as in relaxed speech:
    JFK's address is emphatic) open the mouth less, as real speakers do; the timing stays the phones'."""
    from emohead.audio.features import AudioFeatures
    from emohead.audio.io import load_audio

    x = load_audio(demo_audio)
    freq = np.fft.rfftfreq(len(x), 1 / 16000)
    dull = np.fft.irfft(np.fft.rfft(x) / np.sqrt(1 + (freq / 500) ** 2), len(x))  # first-order low-pass: -14 dB at 3 kHz against 300 Hz
    dull *= np.sqrt(np.mean(x**2) / np.mean(dull**2))
    relaxed = dataclasses.replace(demo_inputs, audio=AudioFeatures.from_chunks([dull]))
    narrower = mouth_opening(emohead.load_motion_model("analytic").generate(relaxed.with_emotion("neutral")).lm68())
    _, opening = runs["neutral"]
    ratio = np.ptp(np.percentile(narrower, [5, 95])) / np.ptp(np.percentile(opening, [5, 95]))
    assert 0.5 < ratio < 0.87, ratio
    assert np.corrcoef(narrower, opening)[0, 1] > 0.95


def _mean(result, *names):
    return result.motion.blendshapes[:, bs.indices(names)].mean()


def test_happy_raises_smile_and_cheeks(runs):
    neutral, happy = runs["neutral"][0], runs["happy"][0]
    assert _mean(happy, "mouthSmileLeft", "mouthSmileRight") > _mean(neutral, "mouthSmileLeft", "mouthSmileRight") + 0.3
    assert _mean(happy, "cheekSquintLeft", "cheekSquintRight") > _mean(neutral, "cheekSquintLeft", "cheekSquintRight") + 0.3


def test_sad_raises_inner_brows_and_frown(runs):
    neutral, sad = runs["neutral"][0], runs["sad"][0]
    assert _mean(sad, "browInnerUp") > _mean(neutral, "browInnerUp") + 0.2
    assert _mean(sad, "mouthFrownLeft", "mouthFrownRight") > _mean(neutral, "mouthFrownLeft", "mouthFrownRight") + 0.4


@pytest.mark.parametrize("emotion", ["happy", "sad"])
def test_emotion_keeps_the_lip_sync(runs, emotion):
    neutral, other = runs["neutral"][1], runs[emotion][1]
    diff, span = np.abs(other - neutral), np.ptp(np.percentile(neutral, [5, 95]))
    assert span > 0.1  # the tolerances are shares of how far the neutral mouth opens (0.005 and 0.02 of 0.18)
    assert diff.mean() < 0.027 * span and diff.max() < 0.11 * span
    assert np.corrcoef(neutral, other)[0, 1] > 0.99


@pytest.mark.parametrize("emotion", ["angry", "fear", "surprise"])
def test_the_lips_meet_on_bilabials_whatever_the_emotion(runs, emotion):
    """The brows of MediaPipe's basis narrow the lip gap, and the jaw that cancels them used to be sealed with the
    speech at /m b p/: the lips crossed, and the gap read 0.042-0.045 eye widths for angry and fear."""
    result, opening = runs[emotion]
    bilabials = [p for p in result.phones if p.label in ("P", "B", "M")]
    closed = [opening[_frames_near(p, len(opening))].min() for p in bilabials]
    assert bilabials and max(closed) < 0.03, closed


def test_surprise_drops_the_jaw_between_the_same_movements(runs):
    """FACS surprise drops the jaw (AU26): the mouth hangs further open all along (0.30 of the neutral run's swing on
    the demo), its movements keep their timing, the lips still meet for /m b p/ (the test above), and its widest
    openings are no narrower than neutral's (with the jaw clipped at its end they were: 0.30 against 0.34 eye widths)."""
    neutral, surprised = runs["neutral"][1], runs["surprise"][1]
    span = np.ptp(np.percentile(neutral, [5, 95]))
    assert (surprised - neutral).mean() > 0.15 * span
    assert np.corrcoef(neutral, surprised)[0, 1] > 0.9
    assert np.percentile(surprised, 99) >= np.percentile(neutral, 99)


def test_emotional_expression_is_visible_in_the_landmarks(runs):
    """Smile pulls the mouth corners up and out (image y grows downward)."""
    n, h = runs["neutral"][0].lm68, runs["happy"][0].lm68
    width = lambda lm: np.linalg.norm(lm[:, 54, :2] - lm[:, 48, :2], axis=1)  # noqa: E731
    eyes = np.linalg.norm(n[:, 45, :2] - n[:, 36, :2], axis=1)
    assert ((width(h) - width(n)) / eyes).mean() > 0.03
    corners_up = ((n[:, [48, 54], 1] - h[:, [48, 54], 1]).mean(1) / eyes).mean()
    assert corners_up > 0.02


def test_timeline_changes_emotion_within_one_clip(demo_portrait, short_audio):
    r = emohead.generate(demo_portrait, short_audio, emotion="neutral@0-1,happy@1.5-")
    smile = r.motion.blendshapes[:, bs.indices(("mouthSmileLeft", "mouthSmileRight"))].mean(1)
    assert smile[60:].mean() > smile[:20].mean() + 0.3


def test_blinks_are_seeded_and_close_the_eyes(demo_inputs):
    model = emohead.load_motion_model("analytic")

    def blink(seed):
        return model.generate(dataclasses.replace(demo_inputs, seed=seed)).blendshapes[:, bs.INDEX["eyeBlinkLeft"]]

    a, b, c = blink(1), blink(1), blink(2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    blinks = np.sum((a[1:] >= 0.99) & (a[:-1] < 0.99))
    assert 1 <= blinks <= 8  # 11 s: a natural rate of one every 2-6 s


def test_head_moves_a_little(runs):
    pose = runs["neutral"][0].motion.pose
    swing = np.degrees(pose[:, :3].max(0) - pose[:, :3].min(0))
    assert (swing > 0.3).all() and (swing < 10).all()


def test_speech_in_an_unknown_language_still_animates(tmp_path, demo_portrait, demo_audio):
    """Speech played backwards has real speech sounds but no English words: the mouth must still
    open on loud syllables and close in pauses (phone recognition, or the loudness fallback)."""
    from emohead.audio.features import AudioFeatures
    from emohead.audio.io import load_audio
    from tests.conftest import ffmpeg

    backwards = tmp_path / "backwards.wav"
    ffmpeg("-i", str(demo_audio), "-af", "areverse", str(backwards))
    r = emohead.generate(demo_portrait, backwards)
    opening = mouth_opening(r.lm68)
    loud = AudioFeatures.from_chunks([load_audio(backwards)]).energy_db
    assert opening.max() > 0.12 and np.percentile(opening, 10) < 0.03
    assert np.corrcoef(opening, loud[: len(opening)])[0, 1] > 0.4


def test_envelope_fallback_follows_loudness():
    from emohead.motion.analytic.model import envelope_curves

    energy = np.full(100, -70.0, np.float32)
    energy[20:40] = energy[60:80] = -20.0
    jaw = envelope_curves(energy, 25)[:, bs.INDEX["jawOpen"]]
    assert jaw[25:35].min() > 0.3 and jaw[:15].max() < 0.02 and jaw[45:55].max() < 0.05


def test_the_heard_mix_keeps_the_mouths_size_and_takes_half_its_shape_from_the_voice():
    """``heard.mixed_opening``: the analytic opening's mean and spread stay (its size is calibrated); its shape moves
    halfway to the heard curve; a curve that does not move is left as it is."""
    from emohead.motion.heard import mixed_opening

    t = np.linspace(0, 6 * np.pi, 300)
    own, heard = 0.1 + 0.05 * np.sin(t), np.cos(t)  # the same rhythm a quarter period apart
    mix = mixed_opening(own, heard)
    assert mix.mean() == pytest.approx(own.mean()) and mix.std() == pytest.approx(own.std())
    r_own, r_heard = np.corrcoef(mix, own)[0, 1], np.corrcoef(mix, heard)[0, 1]
    assert r_own == pytest.approx(r_heard, abs=1e-6) and 0.6 < r_own < 0.8  # halfway between two uncorrelated shapes
    assert np.array_equal(mixed_opening(np.full(300, 0.1), heard), np.full(300, 0.1))
    assert np.array_equal(mixed_opening(own, np.zeros(300)), own)


def test_without_whisper_the_mouth_is_the_visemes_alone(demo_inputs, monkeypatch):
    """The heard mouth needs the asr extra; without it the analytic model still animates, from the visemes alone,
    and with it the opening's size stays what the visemes give (only its shape moves)."""
    import emohead.text.asr as asr

    model = emohead.load_motion_model("analytic")
    with_heard = mouth_opening(model.generate(demo_inputs).lm68())
    monkeypatch.setattr(asr, "whisper_available", lambda: False)
    alone = mouth_opening(model.generate(demo_inputs).lm68())
    assert not np.allclose(with_heard, alone, atol=1e-4)
    spread = np.ptp(np.percentile(alone, [5, 95]))
    assert abs(np.ptp(np.percentile(with_heard, [5, 95])) - spread) < 0.25 * spread
    assert np.corrcoef(with_heard, alone)[0, 1] > 0.7


@pytest.mark.parametrize("model", ["emospeaker", "medtalk", "mfetalk"])
def test_a_weights_folder_asking_for_the_heard_mouth_is_refused_by_a_model_that_cannot_mix_it(model, tmp_path):
    """``"heard": true`` in ``mouth.json`` switches whisper's heard mouth on for eapc and mul2lm; the other trained
    models do not mix it, so their weights folder asking for it is a one-line error, not a setting quietly ignored."""
    import json
    import shutil

    from emohead.errors import EmoheadError
    from emohead.motion import get_spec
    from emohead.motion.animate import MOUTH_FILE
    from emohead.weights import resolve_weights

    folder = shutil.copytree(resolve_weights(get_spec(model).weights_location, model), tmp_path / model)
    mouth = json.loads((folder / MOUTH_FILE).read_text())
    (folder / MOUTH_FILE).write_text(json.dumps({**mouth, "heard": True}))
    with pytest.raises(EmoheadError, match="only eapc and mul2lm mix in"):
        emohead.load_motion_model(model, weights=folder)
    (folder / MOUTH_FILE).write_text(json.dumps(mouth))
    assert emohead.load_motion_model(model, weights=folder).mouth_gain == mouth["gain"]
