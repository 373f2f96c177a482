"""The sympy engine: exact short runs agree with the interval reference to >= 50 digits."""

from fractions import Fraction

import pytest
import sympy

from oracle.algorithm import simulate
from oracle.conventions import PRESET_NAMES, preset
from oracle.engines.certify import certified_run
from oracle.engines.symbolic import SymbolicArith
from oracle.rounding import format_sci

VARIANTS = {
    "seed": [{}],
    "pytorch": [{}, {"centered": True, "momentum": "0.5", "weight_decay": "0.01"}],
    "tf1": [{}, {"centered": True, "momentum": "0.9"}],
    "keras": [{"weight_decay": "0.004", "momentum": "0.5"}],
    "optax": [{"centered": True}],
    "mxnet": [{"weight_decay": "0.1"}, {"centered": True, "momentum": "0.9"}],
    "graves2013": [{}],
    "keras2_legacy": [{}, {"momentum": "0.5"}, {"centered": True}],
    "autograd": [{}],
    "paddle": [{"weight_decay": "0.01"}, {"centered": True, "momentum": "0.9"}],
}
GRADS = [[["0.5", "-3"]], [["-0.25", "2"]], [["1e-3", "0"]]]


def agree(expr, cv, digits=50):
    return format_sci(Fraction(str(sympy.N(expr, digits + 15))), digits) == cv.sci(digits)


@pytest.mark.parametrize("name, opts", [(n, o) for n in PRESET_NAMES for o in VARIANTS[n]])
def test_symbolic_values_agree_with_interval_reference(name, opts):
    """Three exact steps of every preset variant evaluate to the certified 50-digit values."""
    conv = preset(name, lr="0.1", **opts)
    grads = [[g[0]] for g in GRADS]
    exact = simulate(conv, SymbolicArith(), [["1", "-0.5"]], steps=3, grads=grads)
    ref = certified_run(conv, [["1", "-0.5"]], steps=3, grads=grads, digits=50)
    for e, r in zip(exact[1:], ref.records[1:]):
        for k in range(2):
            assert agree(e["params"][0][k], r["params"][0][k])
            for name_ in conv.state_names():
                x = e["state"][name_][0][k]
                if x == 0:
                    assert r["state"][name_][0][k].is_zero
                else:
                    assert agree(x, r["state"][name_][0][k])


def test_symbolic_hyperparameters_give_closed_forms():
    """With eps = 0 the first step is exactly -lr * sign(g) / sqrt(1 - rho)."""
    recs = simulate(preset("seed", eps=0), SymbolicArith(), ["0"], grads=[["-8"]], steps=1)
    assert sympy.simplify(recs[1]["params"][0].item() - sympy.sqrt(sympy.Rational(1, 10))) == 0
