"""Shared test configuration."""

import os

import numpy as np
import pytest

# Matplotlib without a display.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
