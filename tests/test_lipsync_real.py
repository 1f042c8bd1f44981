"""Lip sync on real recorded speakers (../shared/data): generated vs real mouth opening."""

import sys
from pathlib import Path

import pytest

from tests.conftest import shared_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


@pytest.mark.slow
@pytest.mark.parametrize("clip", ["cremad/1001_DFA_NEU_XX.flv", "cremad/1001_DFA_ANG_XX.flv", "grid/bbaf2n.mpg", "grid/lrwp9a.mpg"])
def test_generated_mouth_follows_the_real_speaker(clip):
    from lipsync_real import evaluate

    (row,) = evaluate(shared_data("video", clip), ["analytic"])
    assert row["pearson"] > 0.55, row
    assert row["pearson"] > row["pearson_energy"]  # better than opening the mouth with loudness
