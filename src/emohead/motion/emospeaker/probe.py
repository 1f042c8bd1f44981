"""Is emotion decoupled from the content code? A linear probe, as the paper's claim asks to be measured.

For labelled emotional clips, the trained audio encoder's low-level code and its high-level (content) code are
read frame by frame; a logistic-regression probe is fitted on the first half of every clip and scored on the
second half. The decoupler should leave emotion readable in the low level and not in the content code:
``accuracy["low"] > accuracy["high"]``.
"""

from __future__ import annotations

import numpy as np


def codes(net, speech: np.ndarray) -> dict[str, np.ndarray]:
    """One clip's speech features (the network's ``speech``: (T, 28, 12) MFCC windows or (T, 384) whisper states)
    -> {level: (T, H)} codes of the trained encoder."""
    import torch

    with torch.no_grad():
        _, levels = net.encode(torch.from_numpy(speech[None].astype(np.float32)))
    return {k: v[0].numpy() for k, v in levels.items()}


def probe_accuracy(clips: list[tuple[np.ndarray, int]], steps: int = 300, seed: int = 0) -> float:
    """clips: (features (T, H), label) each; fit on each clip's first half, score on the second half."""
    import torch

    train = [(x[: len(x) // 2], y) for x, y in clips]
    test = [(x[len(x) // 2 :], y) for x, y in clips]
    xs = np.concatenate([x for x, _ in train])
    mean, std = xs.mean(0), xs.std(0) + 1e-6

    def stack(parts):
        x = np.concatenate([(p - mean) / std for p, _ in parts]).astype(np.float32)
        y = np.concatenate([np.full(len(p), label) for p, label in parts])
        return torch.from_numpy(x), torch.from_numpy(y).long()

    (x_tr, y_tr), (x_te, y_te) = stack(train), stack(test)
    labels = sorted({y for _, y in clips})
    remap = {label: i for i, label in enumerate(labels)}
    y_tr = torch.tensor([remap[int(v)] for v in y_tr])
    y_te = torch.tensor([remap[int(v)] for v in y_te])
    torch.manual_seed(seed)
    probe = torch.nn.Linear(x_tr.shape[1], len(labels))
    opt = torch.optim.Adam(probe.parameters(), lr=1e-2, weight_decay=1e-3)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(probe(x_tr), y_tr).backward()
        opt.step()
    with torch.no_grad():
        return float((probe(x_te).argmax(1) == y_te).float().mean())


def decoupling(net, clips: list[tuple[np.ndarray, int]]) -> dict[str, float]:
    """clips: (speech features, emotion index) -> probe accuracy per level (low, mid, high)."""
    per_level = [codes(net, mw) for mw, _ in clips]
    return {level: probe_accuracy([(c[level], y) for c, (_, y) in zip(per_level, clips)]) for level in ("low", "mid", "high")}
