"""Keras 3 adapters, one per backend: each certified in its own process; declining a second backend."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

pytest.importorskip("keras")

from adapter_support import assert_certified  # noqa: E402

BACKEND_MODULE = {"jax": "jax", "tensorflow": "tensorflow", "torch": "torch"}


@pytest.mark.parametrize("backend", list(BACKEND_MODULE))
def test_backend_certified_as_keras_float32_lr(backend):
    """``rmsprop_<backend>`` is certified under ``keras,float32=lr`` (its CONVENTION) in every dtype."""
    if importlib.util.find_spec(BACKEND_MODULE[backend]) is None:
        pytest.skip(f"{backend} is not installed")
    assert_certified(f"oracle.adapters.keras:rmsprop_{backend}", ["float64", "float32", "float16"])


def test_declines_a_second_backend_in_one_process():
    """Keras fixes its backend at first import: asking for another one later is declined, with the reason."""
    if importlib.util.find_spec("jax") is None or importlib.util.find_spec("torch") is None:
        pytest.skip("needs the jax and torch backends")
    code = ("import numpy as np; from oracle.adapters import keras as k\n"
            "k.rmsprop_jax([np.zeros(2)], lr=0.1, rho=0.9, eps=1e-7)\n"
            "try:\n    k.rmsprop_torch([np.zeros(2)], lr=0.1, rho=0.9, eps=1e-7)\n"
            "except NotImplementedError as e:\n    print(e)\n")
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.stdout.strip().startswith(
        "keras torch backend: keras is already imported with the jax backend in this process"), out.stderr[-2000:]
