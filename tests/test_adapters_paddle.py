"""Paddle ``paddle.optimizer.RMSProp`` adapter: certified as ``paddle``; the preset's rounding, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("paddle")

# the framework's own deprecation noise (e.g. MXNet importing scipy.sparse.csr) is not under test
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning",
                                        "ignore::UserWarning")

from adapter_support import assert_certified  # noqa: E402

from oracle.adapters import paddle as adapter  # noqa: E402

F32 = lambda x: float(np.float32(x))  # noqa: E731


def test_certified_as_paddle():
    """Certified under ``paddle`` (rho, eps, momentum float32) in float64 and float32."""
    factory = "oracle.adapters.paddle:rmsprop"
    assert_certified(factory, ["float64", "float32"])


def _emulate(p0, grads, lr, rho, eps, mu, centered, wd, rounded):
    """The kernel (rmsprop_kernel_impl.h, CPU) in numpy float64, ``rounded`` hyperparameters via float32."""
    h = {k: F32(v) if k in rounded else v for k, v in dict(lr=lr, rho=rho, eps=eps, mu=mu, wd=wd).items()}
    p, ms, mg, mom, out = p0.copy(), np.zeros_like(p0), np.zeros_like(p0), np.zeros_like(p0), []
    for g in grads:
        g = g + h["wd"] * p if wd else g
        ms = h["rho"] * ms + (1 - h["rho"]) * g * g
        s = ms
        if centered:
            mg = h["rho"] * mg + (1 - h["rho"]) * g
            s = ms - mg * mg
        mom = h["mu"] * mom + h["lr"] * g / np.sqrt(s + h["eps"])
        p = p - mom
        out.append(p)
    return out


@pytest.mark.parametrize("options", [{}, dict(centered=True), dict(mu=0.9), dict(wd=0.1),
                                     dict(centered=True, mu=0.5, wd=0.01)], ids=str)
def test_float64_rounds_exactly_rho_eps_momentum_to_float32(options):
    """float64 weights: rho, eps, momentum rounded to float32 and lr, weight decay exact reproduce Paddle
    bit for bit; all exact, or lr or weight decay rounded too, do not."""
    rng = np.random.default_rng(0)
    p0 = rng.uniform(-2, 2, 400)
    grads = [rng.standard_normal(400) for _ in range(4)]
    mu, centered, wd = options.get("mu", 0.0), options.get("centered", False), options.get("wd", 0.0)
    step = adapter.rmsprop([p0], lr=0.1, rho=0.9, eps=1e-3, momentum=mu, centered=centered, weight_decay=wd)
    got = [step([g])[0] for g in grads]
    documented = _emulate(p0, grads, 0.1, 0.9, 1e-3, mu, centered, wd, {"rho", "eps", "mu"})
    for a, b in zip(got, documented):
        np.testing.assert_array_equal(a, b)
    for other in ({"lr", "rho", "eps", "mu"}, set()) + (({"rho", "eps", "mu", "wd"},) if wd else ()):
        assert any(np.any(a != b) for a, b in zip(got, _emulate(p0, grads, 0.1, 0.9, 1e-3, mu, centered, wd, other)))


def test_declines_float16():
    """Paddle has no float16 RMSProp CPU kernel: the factory declines it."""
    with pytest.raises(NotImplementedError, match="^paddle float16: "):
        adapter.rmsprop([np.zeros(2, np.float16)], lr=0.1, rho=0.9, eps=1e-6)


def test_float16_is_declined_by_the_suite():
    """The suite lists float16 as declined by the candidate: certified nothing there, failed nothing."""
    import sys

    from oracle.adapters.certify import certify

    r = certify("oracle.adapters.paddle:rmsprop", "paddle", ["float16"], python=sys.executable)
    assert r["dtypes"]["float16"]["verdict"] == "declined" and r["dtypes"]["float16"]["failed"] == 0
    assert r["declined"] and all(d.startswith("paddle float16: Paddle has no float16 RMSProp kernel on the CPU")
                                 for d in r["declined"]), r["declined"]
