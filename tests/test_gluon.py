"""The Gluon program (seed 001): hand-derived losses and gradients against MXNet 1.9.1, long-run facts."""

import contextlib
import io
import json
import math
from fractions import Fraction

import numpy as np
import pytest

from oracle.golden import GOLDEN_DIR
from oracle.golden.gluon import FILE_IDS, PROBE
from oracle.problems import gluon as G

PROBE_DATA = json.loads((GOLDEN_DIR / PROBE).read_text())
RUNNING = [vid for vid, v in G.VARIANTS.items() if not v.error]


def _flat(x):
    return [y for item in x for y in _flat(item)] if isinstance(x, list) else [x]


def _golden(vid):
    return json.loads((GOLDEN_DIR / f"{FILE_IDS[vid]}.json").read_text())


def _close_f32(mx_hex, exact, scale):
    """|MXNet float32 - exact| within 2^-16 of the larger of |exact| and the field's scale."""
    return abs(float.fromhex(mx_hex) - exact) <= 2.0**-16 * max(abs(exact), scale)


@pytest.mark.parametrize("vid", RUNNING)
def test_golden_values_match_mxnet_to_float32_precision(vid):
    """Loss, gradient used, accumulators and parameters of every update agree with MXNet's float32 run."""
    doc, updates = _golden(vid), PROBE_DATA["variants"][vid]["updates"]
    assert len(updates) == doc["step_count"]
    for u in updates:
        rec = next(r for r in doc["steps"] if r["step"] == u["update"])
        fields = [("loss", _flat(u["loss"]["hex"]), [rec["loss"]])]
        for name in ("w", "b"):
            fields += [
                ("g_eff", _flat(u["g_eff"][name]["hex"]), rec["grads"][name]["values"]),
                ("sqrs", _flat(u["sqrs_after"][name]["hex"]), rec["state"]["v"][name]["values"]),
                ("params", _flat(u["params_after"][name]["hex"]), rec["params"][name]["values"]),
            ]
        for field, mx, exact in fields:
            values = [float(Fraction(e["dec"])) for e in exact]
            scale = max(abs(v) for v in values)
            for k, (a, e) in enumerate(zip(mx, values)):
                assert _close_f32(a, e, scale), (vid, u["update"], field, k, a, e)
        assert rec["batch_rows"] == [r + 1 for r in G.VARIANTS[vid].rows]


@pytest.mark.parametrize("vid", RUNNING)
def test_printed_lines_match_mxnet(vid):
    """The certified epoch losses print exactly the lines MXNet printed."""
    doc = _golden(vid)
    assert doc["printed"] == PROBE_DATA["variants"][vid]["epoch_lines"] == doc["mxnet_printed"]


def test_initial_losses_exact():
    """At w0, b0 the three loss shapes give exactly 4.362, 5.45 and 6.45 (FINDINGS Q3)."""
    p0 = G.params0()
    assert G.evaluate(G.Variant("a", (), rows=G.PADDED), p0)[0] == Fraction(2181, 500)
    assert G.evaluate(G.Variant("b", (), rows=G.FULL), p0)[0] == Fraction(109, 20)
    loss, grads = G.evaluate(G.VARIANTS["V6"], p0)
    assert (loss, [g.reshape(-1).tolist() for g in grads]) == (Fraction(129, 20), [[23, 27], [4]])


def test_broadcast_gradient_against_finite_differences():
    """The hand-derived (n,n) broadcast gradient equals the exact difference quotient of its loss (quadratic)."""
    v = G.VARIANTS["V3"]
    p = [np.array([[Fraction(1, 3)], [Fraction(-2, 7)]], dtype=object), np.array([Fraction(1, 5)], dtype=object)]
    _, grads = G.evaluate(v, p)
    h = Fraction(1, 10**6)
    for which, idx in ((0, (0, 0)), (0, (1, 0)), (1, (0,))):
        plus = [a.copy() for a in p]
        minus = [a.copy() for a in p]
        plus[which][idx] += h
        minus[which][idx] -= h
        central = (G.evaluate(v, plus)[0] - G.evaluate(v, minus)[0]) / (2 * h)
        assert central == grads[which][idx] * v.divisor  # exact: the loss is quadratic


def test_failures_are_recorded_as_mxnet_reported_them():
    """The as-written program fails with NameError at seed line 62, R1 with IndexError at line 95."""
    v0 = json.loads((GOLDEN_DIR / "gluon-V0-as-written.json").read_text())
    v1 = json.loads((GOLDEN_DIR / "gluon-V1-R1.json").read_text())
    assert (v0["failures"][-1]["type"], v0["failures"][-1]["message"], v0["failures"][-1]["seed_file_line"]) == (
        "NameError", "name 'nd' is not defined", "62")
    assert (v1["failures"][-1]["type"], v1["failures"][-1]["seed_file_line"]) == ("IndexError", "95")
    assert v1["edits"][1]["edits"][0]["new"] == "import mxnet as mx\nfrom mxnet import nd, autograd\n"


def test_long_run_ends_on_a_two_cycle_not_a_least_squares_solution():
    """The intended run's centre lies on the solution line, half-amplitude ~0.015, loss ~0.027, not min-norm."""
    doc = json.loads((GOLDEN_DIR / "gluon-intended-long.json").read_text())
    cyc = doc["analysis"]["cycle"]
    centre = [float(Fraction(x["dec"])) for x in cyc["center_(p_N+p_N-1)/2"]]
    half = [abs(float(Fraction(x["dec"]))) for x in cyc["half_amplitude_(p_N-p_N-1)/2"]]
    assert math.isclose(centre[0] + centre[1], -0.5, abs_tol=1e-30)
    assert math.isclose(centre[1] + centre[2], 0.5, abs_tol=1e-30)
    assert all(math.isclose(h, 0.015, rel_tol=1e-5) for h in half)
    assert math.isclose(float(Fraction(cyc["loss_at_N-1_and_N"][1]["dec"])), 0.027, rel_tol=1e-5)
    assert max(abs(c - m) for c, m in zip(centre, (-0.5, 0, 0.5))) > 0.4
    assert (doc["horizon"]["float64"], doc["horizon"]["float32"]) == (33, 13)
    assert doc["analysis"]["least_squares"]["with_bias"]["rank"] == "2"


@pytest.mark.filterwarnings("ignore::DeprecationWarning:mxnet.*")  # nd.array asks scipy.sparse.csr.csr_matrix
def test_mxnet_program_matches_golden_values():
    """With real MXNet (optional), the intended program's parameters match the golden values to float32 precision."""
    pytest.importorskip("mxnet")
    variant = PROBE_DATA["variants"]["V6"]
    scope: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(variant["program_block1"], scope)  # noqa: S102
        exec(variant["program_block2"], scope)  # noqa: S102
    doc = _golden("V6")
    rec = doc["steps"][-1]
    w = scope["w"].asnumpy().reshape(-1).tolist() + scope["b"].asnumpy().reshape(-1).tolist()
    exact = [float(Fraction(v["dec"])) for v in rec["params"]["w"]["values"] + rec["params"]["b"]["values"]]
    assert all(abs(a - e) <= 2.0**-16 * max(abs(e), 0.1) for a, e in zip(w, exact))
    assert out.getvalue().splitlines() == doc["printed"]
