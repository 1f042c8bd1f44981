import numpy as np
import pytest

from emohead.audio.features import AudioFeatures, frame_energy_db, mfcc, vocal_effort_db
from emohead.audio.io import check_audio, load_audio, stream_audio


def test_decoding_resamples_to_16k_mono(demo_audio):
    x = load_audio(demo_audio)
    assert x.dtype == np.float32 and x.ndim == 1
    assert abs(len(x) / 16000 - 11.0) < 0.01 and check_audio(demo_audio) == pytest.approx(11.0, abs=0.02)


def test_features_are_at_25_fps_and_chunking_keeps_them(demo_audio):
    whole = AudioFeatures.from_chunks([load_audio(demo_audio)])
    chunked = AudioFeatures.from_chunks(list(stream_audio(demo_audio, chunk_seconds=2.0)))
    assert whole.n_frames == chunked.n_frames == 275
    assert whole.mfcc.shape == (275, 40) and whole.mfcc100.shape == (1100, 40) and whole.llf.shape == (275, 25)
    assert whole.mfcc_window.shape == (275, 28, 12)
    assert np.allclose(whole.mfcc100[:, :13], mfcc(load_audio(demo_audio)), atol=1e-4)  # 13 MFCCs = the first 13 of 40
    assert np.allclose(whole.energy_db, chunked.energy_db, atol=1e-3)
    inner = np.ones(275, bool)
    inner[49:52] = inner[99:102] = inner[149:152] = inner[199:202] = inner[249:252] = False  # chunk seams
    assert np.abs(whole.mfcc - chunked.mfcc)[inner].max() < 1e-3


def test_mfcc_separates_a_low_and_a_high_tone():
    t = np.arange(16000) / 16000
    low, high = np.sin(2 * np.pi * 200 * t).astype(np.float32), np.sin(2 * np.pi * 4000 * t).astype(np.float32)
    a, b = mfcc(low)[10:-10].mean(0), mfcc(high)[10:-10].mean(0)
    assert mfcc(low).shape == (100, 13)
    assert a[1] > b[1] + 5  # c1 tilts positive for energy in the low bands


def test_energy_is_in_dbfs():
    full = np.ones(640 * 4, np.float32) * 0.5
    assert np.allclose(frame_energy_db(full), 20 * np.log10(0.5), atol=1e-3)


def _voice(seconds: float, brightness: float) -> np.ndarray:
    """A 200 Hz voice with syllable-like loudness swings and ``brightness`` x its amplitude at 2.5 kHz."""
    t = np.arange(int(seconds * 16000)) / 16000
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    return (0.3 * envelope * (np.sin(2 * np.pi * 200 * t) + brightness * np.sin(2 * np.pi * 2500 * t))).astype(np.float32)


def test_vocal_effort_reads_a_brighter_voice_as_more_effort_and_follows_it_over_time():
    def effort(x):
        f = AudioFeatures.from_chunks([x])
        return vocal_effort_db(f.mfcc100, f.n_frames)

    soft, loud = effort(_voice(2, 0.05)), effort(_voice(2, 0.5))
    assert len(soft) == 50 and np.ptp(soft) == 0  # a clip shorter than the window: one value
    assert loud[0] - soft[0] == pytest.approx(20.0, abs=1.5)  # 10x the amplitude up high
    both = effort(np.concatenate([_voice(15, 0.05), _voice(15, 0.5)]))  # calm, then raised
    assert both[:125].mean() == pytest.approx(soft[0], abs=1.0) and both[-125:].mean() == pytest.approx(loud[0], abs=1.0)
    assert np.all(np.diff(both) >= -1e-3)  # it rises once, through the change, and stays
