"""Frame-level audio features at the video rate (25 fps; one video frame = 640 samples at 16 kHz).

This is emohead's one MFCC implementation: 25 ms Hann windows every 10 ms, 512-point FFT,
40 mel bands (20-7600 Hz), log, orthonormal DCT-II. Four 10 ms frames fall in each video frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from emohead import dims
from emohead.audio.io import SAMPLE_RATE
from emohead.video.io import FPS

HOP = 160  # 10 ms
WIN = 400  # 25 ms
N_FFT = 512
SAMPLES_PER_FRAME = dims.SAMPLES_PER_FRAME
SILENCE_DBFS = -50.0


def _hz_to_mel(hz):
    """The HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _mel_edges(n_mels: int = 40, fmin: float = 20.0, fmax: float = 7600.0) -> np.ndarray:
    """(n_mels + 2,) the filters' corner frequencies in Hz, equally spaced on the HTK mel scale."""
    mel = np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2)
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


@lru_cache(maxsize=4)
def mel_filterbank(n_mels: int = 40, fmin: float = 20.0, fmax: float = 7600.0) -> np.ndarray:
    """(n_mels, N_FFT // 2 + 1) triangular filters on the HTK mel scale."""
    edges = _mel_edges(n_mels, fmin, fmax)
    freqs = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    fb = np.maximum(0.0, np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)))
    return (fb * (2.0 / (hi - lo))).astype(np.float32)


@lru_cache(maxsize=4)
def _dct_matrix(n_in: int, n_out: int) -> np.ndarray:
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    m = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    m[0] /= np.sqrt(2.0)
    return m.T.astype(np.float32)


def mfcc(samples: np.ndarray, n_mfcc: int = 13, n_mels: int = 40) -> np.ndarray:
    """16 kHz mono float32 (N,) -> (ceil(N / 160), n_mfcc) float32 at 100 Hz; frame j centred on sample 160 j + 80."""
    n = int(np.ceil(len(samples) / HOP))
    x = np.append(samples[:1], samples[1:] - 0.97 * samples[:-1]).astype(np.float32)
    pad = (WIN - HOP) // 2
    x = np.pad(x, (pad, n * HOP - len(x) + WIN - HOP - pad))
    frames = np.lib.stride_tricks.sliding_window_view(x, WIN)[::HOP][:n] * np.hanning(WIN).astype(np.float32)
    power = np.abs(np.fft.rfft(frames, N_FFT)) ** 2
    logmel = np.log(power @ mel_filterbank(n_mels).T + 1e-10)
    return (logmel @ _dct_matrix(n_mels, n_mfcc)).astype(np.float32)


def mfcc_psf(samples: np.ndarray) -> np.ndarray:
    """MFCC exactly as ``python_speech_features.mfcc(signal, 16000)`` computes it, for SyncNet parity (LSE).

    (N, 13) at 100 Hz: pre-emphasis 0.97, rectangular 25 ms frames every 10 ms (the last zero-padded),
    512-point power spectrum / 512, 26 bin-rounded triangular mel filters 0-8 kHz, log, orthonormal
    DCT-II, cepstral lifter 22, and c0 replaced by the log frame energy. Use :func:`mfcc` for everything else.
    """
    x = np.append(samples[:1], samples[1:] - 0.97 * samples[:-1]).astype(np.float64)
    n = 1 if len(x) <= WIN else 1 + int(np.ceil((len(x) - WIN) / HOP))
    x = np.pad(x, (0, (n - 1) * HOP + WIN - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, WIN)[::HOP][:n]
    pspec = np.abs(np.fft.rfft(frames, N_FFT)) ** 2 / N_FFT
    energy = np.maximum(pspec.sum(1), np.finfo(float).eps)
    mel = np.linspace(0, 2595 * np.log10(1 + 8000 / 700), 28)
    bins = np.floor((N_FFT + 1) * (700 * (10 ** (mel / 2595) - 1)) / SAMPLE_RATE).astype(int)
    fbank = np.zeros((26, N_FFT // 2 + 1))
    for j in range(26):
        a, b, c = bins[j], bins[j + 1], bins[j + 2]
        fbank[j, a:b] = (np.arange(a, b) - a) / max(b - a, 1)
        fbank[j, b:c] = (c - np.arange(b, c)) / max(c - b, 1)
    feat = np.log(np.maximum(pspec @ fbank.T, np.finfo(float).eps))
    feat = (feat @ _dct_matrix(26, 13).astype(np.float64)) * (1 + 11 * np.sin(np.pi * np.arange(13) / 22))
    feat[:, 0] = np.log(energy)
    return feat.astype(np.float32)


def frame_energy_db(samples: np.ndarray) -> np.ndarray:
    """RMS level per video frame in dBFS, (ceil(N / 640),) float32."""
    n = int(np.ceil(len(samples) / SAMPLES_PER_FRAME))
    x = np.pad(samples, (0, n * SAMPLES_PER_FRAME - len(samples))).reshape(n, SAMPLES_PER_FRAME)
    return (10.0 * np.log10((x.astype(np.float64) ** 2).mean(1) + 1e-12)).astype(np.float32)


N_MFCC = dims.N_MFCC  # the first 13 coefficients are the classic MFCC: the DCT rows do not depend on how many are kept


@dataclass
class AudioFeatures:
    """Features of one recording at 25 fps, the same for generation and for training.

    mfcc: (T, 40); mfcc100: (4T, 40) at 100 Hz; energy_db: (T,); llf: (T, 25) low-level voice features;
    ``mfcc_window``: (T, 28, 12) EAPC's window, derived from mfcc100.
    """

    duration: float
    mfcc: np.ndarray
    mfcc100: np.ndarray
    energy_db: np.ndarray
    llf: np.ndarray

    @property
    def n_frames(self) -> int:
        return len(self.energy_db)

    @property
    def mfcc_window(self) -> np.ndarray:
        return mfcc_windows(self.mfcc100, self.n_frames)

    def slice(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Per-frame arrays of frames [start, stop), by the names the feature cache uses."""
        return {
            "mfcc": self.mfcc[start:stop],
            "mfcc_window": self.mfcc_window[start:stop],
            "llf": self.llf[start:stop],
            "energy_db": self.energy_db[start:stop],
        }

    @classmethod
    def from_chunks(cls, chunks: list[np.ndarray] | None = None) -> AudioFeatures:
        """Features from consecutive 16 kHz chunks whose lengths are multiples of 640 samples
        (all but the last); each chunk is analysed on its own, so memory is one chunk at a time."""
        return _Accumulator().extend(chunks or []).finish()


class _Accumulator:
    def __init__(self):
        self.samples, self.m100, self.energy, self.llf = 0, [], [], []

    def add(self, chunk: np.ndarray) -> None:
        self.samples += len(chunk)
        n = int(np.ceil(len(chunk) / SAMPLES_PER_FRAME))
        self.m100.append(mfcc(chunk, n_mfcc=N_MFCC))
        self.energy.append(frame_energy_db(chunk))
        self.llf.append(low_level_features(chunk, n))

    def extend(self, chunks) -> _Accumulator:
        for c in chunks:
            self.add(c)
        return self

    def finish(self) -> AudioFeatures:
        duration = self.samples / SAMPLE_RATE
        t = max(1, round(duration * FPS))
        energy = np.concatenate(self.energy) if self.energy else np.full(1, -120.0, np.float32)
        m100 = np.concatenate(self.m100) if self.m100 else np.zeros((4, N_MFCC), np.float32)
        llf = np.concatenate(self.llf) if self.llf else np.zeros((1, dims.N_LLF), np.float32)
        energy, llf, m100 = _fit_length(energy, t), _fit_length(llf, t), _fit_length(m100, 4 * t)
        return AudioFeatures(duration=duration, mfcc=m100.reshape(t, 4, -1).mean(1), mfcc100=m100, energy_db=energy, llf=llf)


def _fit_length(a: np.ndarray, n: int) -> np.ndarray:
    """Trim or edge-pad along axis 0 to exactly n rows."""
    if len(a) >= n:
        return a[:n]
    return np.concatenate([a, np.repeat(a[-1:], n - len(a), axis=0)])


def mfcc_windows(mfcc100: np.ndarray, n_frames: int, width: int = 28, coeffs: slice = slice(1, 13)) -> np.ndarray:
    """EAPC's per-frame MFCC window: (T, 28, 12), 28 frames of 10 ms centred on each video frame,
    coefficients c1..c12 (c0, the log energy, left out). mfcc100: (4T, >=13) at 100 Hz."""
    centre = 4 * np.arange(n_frames) + 2
    idx = np.clip(centre[:, None] + np.arange(-width // 2, width - width // 2)[None], 0, len(mfcc100) - 1)
    return mfcc100[idx][..., coeffs].astype(np.float32)


VTLP_BOUNDARY_HZ = 4800.0  # Jaitly & Hinton's F_hi: frequencies up to here scale by alpha, the rest bends to meet Nyquist


def vtlp_frequency(freqs: np.ndarray, alpha: float, boundary: float = VTLP_BOUNDARY_HZ) -> np.ndarray:
    """Vocal tract length perturbation's piecewise-linear warp (Jaitly & Hinton, "Vocal Tract Length Perturbation
    (VTLP) improves speech recognition", ICML 2013 workshop): f -> alpha f up to ``boundary`` min(alpha, 1) / alpha,
    then a straight line to Nyquist, which stays put."""
    nyquist = SAMPLE_RATE / 2
    knee = boundary * min(alpha, 1.0) / alpha
    upper = nyquist - (nyquist - boundary * min(alpha, 1.0)) / (nyquist - knee) * (nyquist - freqs)
    return np.where(freqs <= knee, alpha * freqs, upper)


@lru_cache(maxsize=512)
def vtlp_cepstral_matrix(alpha: float, coeffs: tuple[int, int] = (1, 13), n_mels: int = 40) -> np.ndarray:
    """(n, n) float32 A with ``c_warped = c @ A`` for the cepstra c[coeffs[0]:coeffs[1]] of :func:`mfcc`: the
    log-mel spectrum each band reads at its centre frequency's VTLP image (``vtlp_frequency``), linearly interpolated
    between bands on the mel scale. A frequency warp is a linear map of the cepstrum (Pitz & Ney, "Vocal tract
    normalization equals linear transformation in cepstral space", IEEE TSAP 2005), so a speaker's voice can be
    stretched towards a shorter or longer vocal tract on cached MFCC windows, without the audio. c0 maps onto itself
    (a constant stays constant), so leaving it out loses nothing. alpha 1 gives the identity."""
    hz = _mel_edges(n_mels)[1:-1]  # the bands' centres
    centres, source = _hz_to_mel(hz), _hz_to_mel(vtlp_frequency(hz, alpha))
    pos = np.clip((source - centres[0]) / (centres[1] - centres[0]), 0.0, n_mels - 1.0)
    lo = np.minimum(np.floor(pos).astype(int), n_mels - 2)
    frac = pos - lo
    warp = np.zeros((n_mels, n_mels))  # warped log-mel (column) = warp @ log-mel
    warp[np.arange(n_mels), lo] = 1.0 - frac
    warp[np.arange(n_mels), lo + 1] += frac
    dct = _dct_matrix(n_mels, n_mels).astype(np.float64)[:, coeffs[0] : coeffs[1]]  # log-mel row @ dct = cepstra
    return (dct.T @ warp.T @ dct).astype(np.float32)


LLF_NAMES: tuple[str, ...] = (
    ("rms",)
    + tuple(f"chroma_{n}" for n in ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"))
    + ("centroid_khz", "bandwidth_khz", "rolloff_khz", "zcr", "flatness")
    + tuple(f"contrast_{i}" for i in range(7))
)
assert len(LLF_NAMES) == 25


def low_level_features(samples: np.ndarray, n_frames: int, n_fft: int = 1024) -> np.ndarray:
    """The 25 low-level voice features EAPC reads emotion from, one row per video frame: (T, 25).

    RMS, 12-bin chroma (max-normalised), spectral centroid / bandwidth / 85% roll-off (kHz),
    zero-crossing rate, spectral flatness, and 7 spectral-contrast bands (6 octaves from 200 Hz + the
    rest; log peak-to-valley of each band, peaks and valleys = top / bottom 2% of magnitudes).
    Definitions follow librosa's; windows of ``n_fft`` samples centred on each video frame.
    """
    hop = SAMPLES_PER_FRAME
    x = np.pad(samples.astype(np.float32), (n_fft // 2, n_fft // 2 + n_frames * hop))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[: n_frames * hop : hop][:n_frames]
    mag = np.abs(np.fft.rfft(frames * np.hanning(n_fft).astype(np.float32), axis=1))  # (T, F)
    power = mag**2
    freqs = np.fft.rfftfreq(n_fft, 1.0 / SAMPLE_RATE)
    eps = 1e-10

    centre = frames[:, n_fft // 2 - hop // 2 : n_fft // 2 + hop // 2]
    rms = np.sqrt((centre**2).mean(1))
    zcr = (np.abs(np.diff(np.signbit(centre).astype(np.int8), axis=1)) > 0).mean(1)

    pitch_class = np.full(len(freqs), -1)
    audible = freqs > 30
    pitch_class[audible] = (np.round(12 * np.log2(freqs[audible] / 440.0)).astype(int) + 9) % 12
    chroma = np.stack([power[:, pitch_class == k].sum(1) for k in range(12)], axis=1)
    chroma /= np.maximum(chroma.max(1, keepdims=True), eps)

    total = mag.sum(1) + eps
    centroid = (mag * freqs).sum(1) / total
    bandwidth = np.sqrt((mag * (freqs[None] - centroid[:, None]) ** 2).sum(1) / total)
    cum = np.cumsum(mag, axis=1)
    rolloff = freqs[np.minimum((cum < 0.85 * cum[:, -1:]).sum(1), len(freqs) - 1)]
    flatness = np.exp(np.log(power + eps).mean(1)) / (power.mean(1) + eps)

    edges = np.concatenate([[0.0], 200.0 * 2.0 ** np.arange(7)])
    edges[-1] = SAMPLE_RATE / 2 + 1
    contrast = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        band = np.sort(mag[:, (freqs >= lo) & (freqs < hi)], axis=1)
        k = max(1, int(round(0.02 * band.shape[1])))
        contrast.append(np.log(band[:, -k:].mean(1) + eps) - np.log(band[:, :k].mean(1) + eps))
    cols = [
        rms[:, None],
        chroma,
        centroid[:, None] / 1000,
        bandwidth[:, None] / 1000,
        rolloff[:, None] / 1000,
        zcr[:, None],
        flatness[:, None],
        np.stack(contrast, 1),
    ]
    return np.concatenate(cols, axis=1).astype(np.float32)


MFCC_WINDOW_SCALE = 4.0  # the window's values have a standard deviation of about 4


def flat_mfcc_windows(mfcc_window: np.ndarray) -> np.ndarray:
    """(T, 28, 12) MFCC windows -> (T, 336) float32 near unit scale: one audio vector per frame for the networks
    that read the window whole (medtalk's content mapping, mfetalk's denoiser)."""
    return (mfcc_window.reshape(len(mfcc_window), -1) / MFCC_WINDOW_SCALE).astype(np.float32)


def vocal_effort_db(mfcc100: np.ndarray, n_frames: int, window_s: float = 10.0) -> np.ndarray:
    """(T,) vocal effort around each video frame: the spectral tilt of the speech, in dB.

    The tilt is 1-5 kHz over 80-1000 Hz energy in the loudest 30 % of the 10 ms frames within ``window_s``
    seconds centred on the frame (the median over those frames), evaluated every second and interpolated; a
    clip shorter than the window gets one value. Effortful speech (raised, emphatic, shouted) has more energy
    up high, so a flatter spectrum and a higher tilt; so does a brighter microphone. The spectrum is the log-mel
    one the MFCC came from (their DCT inverted; pre-emphasis and the filters' area normalisation undone), so
    nothing but ``AudioFeatures`` is needed. mfcc100: (4T, >=13) at 100 Hz.
    """
    n_mels, n_coef = 40, min(mfcc100.shape[1], 40)
    edges = _mel_edges(n_mels)
    centre, width = edges[1:-1], (edges[2:] - edges[:-2]) / 2
    emphasis = np.abs(1 - 0.97 * np.exp(-2j * np.pi * centre / SAMPLE_RATE)) ** 2
    power = np.exp(mfcc100[:, :n_coef].astype(np.float32) @ _dct_matrix(n_mels, n_coef).T)  # float32: an hour is 58 MB
    power *= (width / emphasis).astype(np.float32)
    low, high = power[:, (centre >= 80) & (centre < 1000)].sum(1), power[:, (centre >= 1000) & (centre < 5000)].sum(1)
    tilt, total = 10 * np.log10((high + 1e-30) / (low + 1e-30)), power.sum(1)

    def at(lo: int, hi: int) -> float:
        seg = total[lo:hi]
        return float(np.median(tilt[lo:hi][seg >= np.percentile(seg, 70)]))

    half = int(window_s * 50)
    if len(tilt) <= 2 * half:
        return np.full(n_frames, at(0, len(tilt)), np.float32)
    steps = np.arange(0, len(tilt), 100)
    values = [at(max(0, c - half), c + half) for c in steps]
    return np.interp(4 * np.arange(n_frames) + 2, steps, values).astype(np.float32)
