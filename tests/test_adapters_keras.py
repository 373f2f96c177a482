"""Keras 3 adapters, one per backend: each certified in its own process; declining a second backend."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("keras")

# the framework's own deprecation noise (e.g. MXNet importing scipy.sparse.csr) is not under test
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                        "ignore::UserWarning")

from adapter_support import assert_certified  # noqa: E402

BACKEND_MODULE = {"jax": "jax", "tensorflow": "tensorflow", "torch": "torch"}


DTYPES = {"jax": ["float64", "float32", "float16"], "tensorflow": ["float64", "float32", "float16"],
          "torch": ["float32", "float16"]}  # torch: float64 weight decay is float32-accurate (below)


@pytest.mark.parametrize("backend", list(BACKEND_MODULE))
def test_backend_certified_under_its_convention(backend):
    """``rmsprop_<backend>`` is certified under its CONVENTION (jax: keras,float32=lr; tensorflow and
    torch: keras,float32=lr+weight_decay)."""
    if importlib.util.find_spec(BACKEND_MODULE[backend]) is None:
        pytest.skip(f"{backend} is not installed")
    factory = f"oracle.adapters.keras:rmsprop_{backend}"
    assert_certified(factory, DTYPES[backend])


WD_STEP = {  # one step, zero gradient: only the decoupled weight decay moves p (float64 weights)
    "jax": lambda p, f32: p - p * 0.3 * f32(0.1),
    "tensorflow": lambda p, f32: p - p * f32(0.3) * f32(0.1),
    "torch": lambda p, f32: p * float(np.float32(1) - np.float32(np.float32(0.3) * np.float32(0.1))),
}


@pytest.mark.parametrize("backend", list(BACKEND_MODULE))
def test_weight_decay_rounding_per_backend(backend, tmp_path):
    """float64 weights: jax keeps wd exact, tensorflow rounds wd to float32, torch forms 1 - wd*lr in float32."""
    if importlib.util.find_spec(BACKEND_MODULE[backend]) is None:
        pytest.skip(f"{backend} is not installed")
    code = (f"import numpy as np; from oracle.adapters import keras as k\n"
            f"p = np.random.default_rng(0).uniform(0.5, 2, 200)\n"
            f"s = k.rmsprop_{backend}([p], lr=0.1, rho=0.9, eps=1e-3, weight_decay=0.3)\n"
            f"np.save('out.npy', s([np.zeros(200)])[0])\n")
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                         cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr[-2000:]
    got = np.load(tmp_path / "out.npy")
    p0 = np.random.default_rng(0).uniform(0.5, 2, 200)
    f32 = lambda x: float(np.float32(x))  # noqa: E731
    np.testing.assert_array_equal(got, WD_STEP[backend](p0, f32))
    others = [b for b in WD_STEP if b != backend]
    assert all(np.any(got != WD_STEP[b](p0, f32)) for b in others)


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


@pytest.mark.parametrize("backend", list(BACKEND_MODULE))
def test_learning_rate_schedule_keeps_lr_inside_the_buffer(backend):
    """lr_schedule through a keras.optimizers.schedules.LearningRateSchedule subclass (floatx values, as
    Keras's own schedules): lr inside the momentum buffer, rounded to float32 -- the backend's convention,
    confirmed by the schedule cases and the lr-in-momentum probe."""
    if importlib.util.find_spec(BACKEND_MODULE[backend]) is None:
        pytest.skip(f"{backend} is not installed")
    from adapter_support import assert_schedule_convention
    from oracle.adapters.certify import adapter_convention

    factory = f"oracle.adapters.keras:rmsprop_{backend}"
    assert_schedule_convention(factory, adapter_convention(factory), DTYPES[backend])


def test_jax_backend_bfloat16():
    """``rmsprop_jax`` in bfloat16 (jax's bfloat16 is ``ml_dtypes.bfloat16``): the quick cases pass under
    its CONVENTION, the subnormal ones included (jax's CPU flushes bfloat16 subnormals to zero: the
    convention says so, ``subnormals=flush:...``).  Other backends decline bfloat16."""
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed")
    from adapter_support import grade_cases

    from oracle.adapters.keras import CONVENTION

    graded = grade_cases("oracle.adapters.keras:rmsprop_jax", CONVENTION, ["bfloat16"])
    assert len(graded) >= 20 and {s for s, _ in graded.values()} <= {"passed", "skipped"}, graded
    assert sum(s == "passed" for s, _ in graded.values()) >= 18
