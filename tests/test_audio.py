import numpy as np
import pytest

from emohead.audio.features import AudioFeatures, frame_energy_db, mfcc, vocal_effort_db, vtlp_cepstral_matrix
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


def _vowel(formant_scale: float) -> np.ndarray:
    """One second of a 120 Hz voice whose three formants (700, 1200, 2600 Hz) are moved by ``formant_scale``."""
    t, rng = np.arange(16000) / 16000, np.random.default_rng(0)
    x = np.zeros_like(t)
    for f in range(120, 7500, 120):
        gain = 0.01 + sum(np.exp(-0.5 * ((f - F * formant_scale) / (80 * formant_scale)) ** 2) for F in (700, 1200, 2600))
        x += gain * np.sin(2 * np.pi * f * t + rng.uniform(0, 6))
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def test_a_vocal_tract_warp_of_the_cepstra_matches_a_voice_with_moved_formants():
    """Training eapc with VTLP warps cached MFCC windows: the warped cepstra of a vowel must be those of the same
    vowel from a shorter (or longer) vocal tract, and a factor of 1 must change nothing."""
    assert np.allclose(vtlp_cepstral_matrix(1.0), np.eye(12), atol=1e-6)
    source = mfcc(_vowel(1.0))[10:-10, 1:13].mean(0)
    for alpha in (0.9, 1.1):
        target = mfcc(_vowel(1 / alpha))[10:-10, 1:13].mean(0)
        apart, warped = np.linalg.norm(source - target), np.linalg.norm(source @ vtlp_cepstral_matrix(alpha) - target)
        assert warped < 0.2 * apart


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
