"""What training runs: bfloat16, the optimizer-state dtype (``Convention.state``), the GPU script's CPU path."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from oracle.algorithm import iterate
from oracle.accuracy import abs_error
from oracle.conventions import parse, preset
from oracle.engines.bound.errorbound import ErrorBoundArith
from oracle.engines.floating import FloatArith
from oracle.engines.bound.vecbound import BoundArith
from oracle.rounding import numpy_dtype, round_fraction_to_format, widens_exactly

ROOT = Path(__file__).resolve().parent.parent
BF16 = numpy_dtype("bfloat16")


def _samples(n: int = 4000) -> np.ndarray:
    rng = np.random.default_rng(17)
    x = rng.standard_normal(n) * np.exp2(rng.integers(-140, 120, n))  # normals, subnormals, near-overflow
    ties = (rng.integers(1, 255, 200) * 2 + 1) * np.exp2(rng.integers(-20, 20, 200) - 8.0)  # halfway cases
    return np.concatenate([x, ties, -ties, [0.0, 2.0**-133, 2.0**-134, 3 * 2.0**-135]])


def test_training_page_values_are_doctests():
    """docs/training.md: every value quoted (horizons, the stall step) recomputed by the engines."""
    result = doctest.testfile(str(ROOT / "docs" / "training.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10 and result.failed == 0


def test_bfloat16_rounding_is_exact_and_agrees_with_ml_dtypes():
    """oracle.rounding's integer rounding to bfloat16 (ties to even, subnormals) equals ml_dtypes' conversion."""
    x = _samples()
    ours = np.array([float(round_fraction_to_format(Fraction(v), "bfloat16")) for v in x])
    assert np.array_equal(ours, x.astype(BF16).astype(np.float64))
    assert widens_exactly("bfloat16", "float32") and not widens_exactly("float16", "bfloat16")
    assert not widens_exactly("bfloat16", "float16")


@pytest.mark.parametrize("op", ["add", "mul", "div", "sqrt"])
def test_float_engine_bfloat16_ops_are_correctly_rounded(op):
    """ml_dtypes' bfloat16 ufuncs (float32 inside, one rounding back) give the correctly rounded result."""
    rng = np.random.default_rng(3)
    a = (rng.standard_normal(3000) * np.exp2(rng.integers(-30, 30, 3000))).astype(BF16)
    b = (rng.standard_normal(3000) * np.exp2(rng.integers(-30, 30, 3000))).astype(BF16)
    if op == "sqrt":
        a = np.abs(a)
    got = {"add": lambda: a + b, "mul": lambda: a * b, "div": lambda: a / b, "sqrt": lambda: np.sqrt(a)}[op]()
    fa, fb = [Fraction(float(v)) for v in a], [Fraction(float(v)) for v in b]
    if op == "sqrt":  # the exact root is irrational: compare with the rounding of a 60-bit root
        import math
        exact = [Fraction(math.isqrt(int(x * 2**120)), 2**60) for x in fa]
        want = [float(round_fraction_to_format(e, "bfloat16")) if e else 0.0 for e in exact]
    else:
        f = {"add": lambda x, y: x + y, "mul": lambda x, y: x * y, "div": lambda x, y: x / y}[op]
        want = [float(round_fraction_to_format(f(x, y), "bfloat16")) if f(x, y) else 0.0 for x, y in zip(fa, fb)]
    assert np.array_equal(got.astype(np.float64), np.array(want))


def test_state_field_parses_validates_and_keeps_presets():
    c = parse("pytorch,state=float32")
    assert c.state == "float32" and parse(c.spec()) == c and c.describe()["state"] == "float32"
    assert all(preset(n).state == "params" and "state" not in preset(n).describe()
               for n in ("seed", "pytorch", "tf1", "keras", "optax"))
    with pytest.raises(ValueError, match="state must be 'params' or one of .* got 'bf16'"):
        preset("pytorch", state="bf16")
    with pytest.raises(ValueError, match="state=float16 cannot hold bfloat16 parameters exactly"):
        preset("pytorch", state="float16").state_dtype("bfloat16")
    with pytest.raises(ValueError, match="store must be a dtype that float16 holds exactly, got 'bfloat16'"):
        FloatArith("float16", store="bfloat16")


CONVS = [preset("pytorch", lr=0.01, rho=0.99, momentum=0.9, centered=True, weight_decay=0.01),
         preset("seed", lr=0.01, rho=0.9), preset("tf1", lr=0.01, rho=0.9, momentum=0.5),
         preset("keras", lr=0.01, rho=0.9, momentum=0.5, weight_decay=0.1,
                lr_schedule=tuple(0.01 * (25 - t) / 24 for t in range(1, 26)))]


@pytest.mark.parametrize("conv", CONVS, ids=lambda c: c.name)
@pytest.mark.parametrize("dtype,store", [("bfloat16", None), ("float32", "bfloat16"), ("float32", "float16")])
def test_float_engine_within_both_bounds(conv, dtype, store):
    """bfloat16 and mixed (state float32, parameters bfloat16/float16) float runs stay inside
    ErrorBoundArith's bound, and BoundArith's bound around its value covers ErrorBoundArith's."""
    rng = np.random.default_rng(5)
    pdt = store or dtype
    p0 = [rng.uniform(-2, 2, 6).astype(numpy_dtype(pdt))]
    grads = [[rng.standard_normal(6).astype(numpy_dtype(pdt))] for _ in range(25)]
    far, ear, bar = (FloatArith(dtype, store=store), ErrorBoundArith(dtype, store=store),
                     BoundArith(dtype, store=store))
    with np.errstate(all="ignore"):
        runs = [list(iterate(conv, ar, p0, steps=25, grads=grads)) for ar in (far, ear, bar)]
    for f, e, b in zip(*runs):
        for name, got, ex, bx in [("params", f["params"][0], e["params"][0], b["params"][0])] + [
                (k, f["state"][k][0], e["state"][k][0], b["state"][k][0]) for k in f["state"]]:
            hi, lo, err = ear.split(ex)
            assert (abs_error(got, hi, lo) <= err).all(), (f["step"], name)
            bhi, blo, berr = bar.split(bx)
            covered = berr >= err + abs_error(bhi + blo, hi, lo) * (1 - 2.0**-40)
            assert (covered | np.isnan(berr)).all(), (f["step"], name)  # NaN: no claim (vecbound: 0 * inf)
        if store:  # parameters on the dtype's grid
            assert np.array_equal(f["params"][0].astype(numpy_dtype(store)).astype(np.float32), f["params"][0])


def test_state_dtype_is_observable_on_a_long_stream():
    """Over 3,000 steps of rho = 0.999 a bfloat16-state run leaves the float32-state bound: the field matters."""
    conv = preset("pytorch", lr=0.001, rho=0.999, eps=1e-8)
    ones = [[np.ones(1)]] * 3000
    mixed = ErrorBoundArith("float32", store="bfloat16")
    *_, last_bf16 = iterate(conv, FloatArith("bfloat16"), [np.zeros(1)], steps=3000, grads=ones)
    *_, last_mixed = iterate(conv, FloatArith("float32", store="bfloat16"), [np.zeros(1)], steps=3000, grads=ones)
    *_, ref = iterate(conv, mixed, [np.zeros(1)], steps=3000, grads=ones)
    hi, lo, err = mixed.split(ref["state"]["v"][0])
    assert abs_error(last_mixed["state"]["v"][0], hi, lo) <= err
    assert abs_error(last_bf16["state"]["v"][0], hi, lo) > 100 * err


def test_torch_adapter_bfloat16_bit_for_bit_and_gpu_factories_on_cpu(monkeypatch):
    """bfloat16 crosses into torch and back bit for bit; the *_cuda_* factories run on $ORACLE_GPU_DEVICE,
    decline without CUDA, and decline fused/capturable where this torch does not offer them."""
    torch = pytest.importorskip("torch")
    from oracle.adapters import torch as adapter

    p = [np.array([1.0, -2.0, 0.5, 3.0e-3], dtype=BF16)]
    g = [np.array([0.3, -1.0, 2.0, 1e-30], dtype=BF16)]
    single = adapter.rmsprop_single(p, lr=0.01, rho=0.99, eps=1e-8, momentum=0.9)
    monkeypatch.setenv("ORACLE_GPU_DEVICE", "cpu")
    foreach = adapter.rmsprop_cuda_foreach(p, lr=0.01, rho=0.99, eps=1e-8, momentum=0.9)
    ref = torch.tensor([1.0, -2.0, 0.5, 3.0e-3], dtype=torch.bfloat16)
    ref.grad = torch.tensor([0.3, -1.0, 2.0, 1e-30], dtype=torch.bfloat16)
    opt = torch.optim.RMSprop([ref], lr=0.01, alpha=0.99, eps=1e-8, momentum=0.9, foreach=False)
    for _ in range(3):
        a, b = single(g)[0], foreach(g)[0]
        opt.step()
        assert a.dtype == BF16 and a.tobytes() == b.tobytes() == ref.detach().view(torch.int16).numpy().tobytes()
    for name in ("rmsprop_cuda_fused", "rmsprop_cuda_capturable"):
        with pytest.raises(NotImplementedError, match="torch (fused|capturable)"):
            getattr(adapter, name)(p, lr=0.01, rho=0.99, eps=1e-8)
    if not torch.cuda.is_available():
        monkeypatch.delenv("ORACLE_GPU_DEVICE")
        with pytest.raises(NotImplementedError, match="no CUDA device"):
            adapter.rmsprop_cuda_single(p, lr=0.01, rho=0.99, eps=1e-8)


def test_other_adapters_decline_bfloat16():
    from oracle.adapters._common import check_params

    with pytest.raises(NotImplementedError, match="bfloat16: this adapter does not pass bfloat16 to paddle"):
        check_params([np.zeros(2, BF16)], "paddle")
    assert check_params([np.zeros(2, BF16)], "torch", bfloat16=True) == BF16


# -- scripts/gpu_check.sh ---------------------------------------------------------------------------

def test_gpu_check_refuses_without_cuda_or_out(tmp_path):
    """Without CUDA (and without ORACLE_GPU_DEVICE=cpu) the script says so and exits 2; without $OUT too."""
    import shutil

    env = {k: v for k, v in os.environ.items() if k not in ("ORACLE_GPU_DEVICE", "OUT")}
    no_out = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_check.sh")], capture_output=True, text=True, env=env)
    assert no_out.returncode == 2 and "set OUT" in no_out.stderr
    if shutil.which("nvidia-smi") or os.path.exists("/dev/nvidia0"):
        pytest.skip("this machine has CUDA")
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_check.sh")], capture_output=True, text=True,
                          env={**env, "OUT": str(tmp_path)})
    assert proc.returncode == 2 and "no CUDA device" in proc.stderr and not list(tmp_path.iterdir())


@pytest.mark.slow  # about 15 s on an idle 2-core machine (torch and jax imported by the CUDA probe)
def test_gpu_check_python_part_on_cpu(tmp_path):
    """ORACLE_GPU_DEVICE=cpu: one configuration end to end (certify, rows, page, summary); a CPU run is
    never merged into the matrix."""
    pytest.importorskip("torch")
    env = {**os.environ, "ORACLE_GPU_DEVICE": "cpu", "OUT": str(tmp_path)}
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_check.sh"), "--only", "torch", "--adapter",
                           "rmsprop_cuda_fused", "--dtype", "float32", "--jobs", "1"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rmsprop_cuda_fused               float32   declined" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gpu-check.log", "gpu-matrix.json", "gpu-matrix.md",
                                                            "summary.txt"]
    doc = __import__("json").loads((tmp_path / "gpu-matrix.json").read_text())
    row = doc["frameworks"]["torch-cuda"]["adapters"][0]["dtypes"]["float32"]
    assert row["verdict"] == "declined" and "no fused RMSprop" in row["declined_reasons"][0]
    assert "rmsprop_cuda_fused" in (tmp_path / "gpu-matrix.md").read_text()
    merge = subprocess.run([sys.executable, str(ROOT / "scripts" / "compat_matrix.py"), "--merge",
                            str(tmp_path / "gpu-matrix.json")], capture_output=True, text=True)
    assert merge.returncode != 0 and "not merged" in merge.stderr



# -- learning-rate schedules -------------------------------------------------------------------------

def test_schedule_field_and_engines():
    """lr_schedule: validated, exact per step, a case value (not fixable by --convention), declined by the
    compiled tracer (the constants change per step), and lr_in_momentum then changes the exact trajectory."""
    from oracle.conformance.judge.options import check_convention
    from oracle.engines import trace
    from oracle.engines.certify import certified_run

    c = preset("pytorch", momentum=0.5, lr_schedule=("0.5", 0.125))
    assert c.lr_at(1) == Fraction(1, 2) and c.lr_at(2) == Fraction(1, 8)
    with pytest.raises(ValueError, match=r"lr_schedule has 2 steps, got step t=3"):
        c.lr_at(3)
    with pytest.raises(ValueError, match=r"lr_schedule\[1\] must be >= 0, got -0.1"):
        preset("pytorch", lr_schedule=(0.1, -0.1))
    with pytest.raises(ValueError, match="lr_schedule is set by each case"):
        check_convention("pytorch,lr_schedule=0.1+0.2")
    with pytest.raises(trace.Decline, match="schedule"):
        trace.trace(c, [(1,)])
    run = [certified_run(x, ["1"], grads=[["1"], ["1"]], steps=2, digits=10).records[2]["params"][0].item().sci(10)
           for x in (c, c.replace(lr_in_momentum=True), c.replace(lr_schedule=()), c.replace(lr_schedule=(),
                                                                                              lr_in_momentum=True))]
    assert run[0] != run[1] and run[2] == run[3]


def test_torch_adapter_schedule_is_torch_lr_scheduler():
    """The adapter's per-step lr is what torch.optim.lr_scheduler.LambdaLR gives, bit for bit (momentum on)."""
    torch = pytest.importorskip("torch")
    from oracle.adapters import torch as adapter
    from oracle.conformance.judge.cases import schedules

    sched = schedules(12)["cosine"]
    rng = np.random.default_rng(1)
    p0, grads = rng.standard_normal(5), [rng.standard_normal(5) for _ in range(12)]
    step = adapter.rmsprop_single([p0], lr=sched[0], rho=0.9, eps=1e-8, momentum=0.9, lr_schedule=sched)
    w = torch.tensor(p0)
    opt = torch.optim.RMSprop([w], lr=sched[0], alpha=0.9, eps=1e-8, momentum=0.9, foreach=False)
    lam = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: sched[min(k, 11)] / sched[0])
    for g in grads:
        got = step([g])[0]
        w.grad = torch.tensor(g)
        opt.step()
        lam.step()
        assert got.tobytes() == w.detach().numpy().tobytes()



# -- complex parameters ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype,real", [("complex64", "float32"), ("complex128", "float64")])
def test_torch_complex_follows_the_split_reading(dtype, real):
    """A real torch run on complex parameters (momentum, centered, weight decay) is inside the split
    reading's bound at every step and far outside the modulus reading's (torch: view_as_real)."""
    pytest.importorskip("torch")
    from oracle.adapters import torch as adapter
    from oracle.algorithm import complex_stages, from_pairs, to_pairs

    rng = np.random.default_rng(11)
    p0 = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(dtype)
    grads = [(rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(dtype) for _ in range(8)]
    step = adapter.rmsprop_single([p0], lr=0.01, rho=0.9, eps=1e-8, momentum=0.5, centered=True, weight_decay=0.1)
    got = [p0] + [step([g])[0] for g in grads]
    assert got[-1].dtype == np.dtype(dtype)
    worst = {}
    for reading in ("split", "modulus"):
        conv = preset("pytorch", lr=0.01, rho=0.9, eps=1e-8, momentum=0.5, centered=True, weight_decay=0.1,
                      complex_reading=reading)
        ar = ErrorBoundArith(real)
        recs = iterate(conv, ar, [to_pairs(p0)], steps=8, grads=[[to_pairs(g)] for g in grads],
                       stages=complex_stages(conv))
        ratios = []
        for rec, p in zip(recs, got):
            hi, lo, err = ar.split(rec["params"][0])
            ratios.append(float(np.max(abs_error(to_pairs(p), hi, lo) / np.maximum(err, 1e-300))))
        worst[reading] = max(ratios)
    assert worst["split"] <= 1 < 1000 < worst["modulus"], worst
    assert np.array_equal(from_pairs(to_pairs(p0)).astype(dtype), p0)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_arrays_travel_on_the_channel(dtype):
    """complex64/complex128 are on the frames whitelist: a frame carries them bit for bit."""
    from oracle.conformance.isolation import frames

    a = np.array([1 + 2j, -0.5j, 3.0, np.nan + 1j], dtype=dtype)
    seq, value = frames.decode(b"".join(bytes(b) for b in frames.encode(3, {"x": [a, a[:0].reshape(0, 2)]})))
    assert value["x"][0].dtype == np.dtype(dtype) and value["x"][0].tobytes() == a.tobytes()
    assert value["x"][1].shape == (0, 2) and frames.dtype_name(np.dtype(dtype)) == dtype


def test_complex_cases_graded_per_part_in_the_component_dtype():
    """A complex case is graded on its real and imaginary parts, each against the split reading's bound
    and in ULPs of the component dtype; a failure names the part and the reading; --dtype takes them
    (opt-in: the default dtypes stay real)."""
    from oracle.conformance.judge.cases import builtin_cases
    from oracle.conformance.judge.grading import located
    from oracle.conformance.judge.options import BY_NAME, parse_dtypes
    from oracle.conformance.judge.reference import as_real, reference

    assert parse_dtypes("complex64,complex128") == ("complex64", "complex128")
    assert "complex" not in BY_NAME["dtype"].default
    cases = builtin_cases("complex64")
    assert [c.name for c in cases] == ["complex", "complex-momentum", "complex-centered", "complex-weight-decay"]
    case = cases[2]
    split = preset("pytorch").replace(**case.hyper, **case.options)
    ref, mod = reference(split, case), reference(split.replace(complex_reading="modulus"), case)
    assert ref.last == case.steps and len(ref.params[1][0][0]) == 2 * case.params0[0].size
    hi, lo, err = ref.params[case.steps][0]
    assert 1e-9 < err[0] / hi[0] < 1e-5 and hi[1] == 0 and err[1] < 1e-30  # float32's bound; a real element stays real
    assert np.max(np.abs(mod.params[1][0][0] - ref.params[1][0][0])) > 1e-3  # the readings differ
    assert np.array_equal(as_real(np.array([1 + 2j, 3j], "complex64")), [1.0, 2.0, 0.0, 3.0])
    assert located(case, 3, 0, np.array([7]))(0) == {"case": case.id, "step": 3, "parameter": 0, "element": [3],
                                                       "part": "im"}


def test_torch_certified_on_complex_parameters():
    """The real suite in complex64 and complex128 (the fixed complex cases, the split golden stream, hygiene)
    certifies torch's RMSprop under pytorch (complex_reading split); the modulus golden stream does not apply."""
    pytest.importorskip("torch")
    from oracle.conformance.judge.run import judge

    j = judge("oracle.adapters.torch:rmsprop", dtype="complex64,complex128", oracle_profile="quick",
              isolation="inline", convention="pytorch")
    assert j.verdict == "certified", j.summary()
    graded = [o for o in j.outcomes if o.status == "passed" and o.dtype]
    assert {o.test for o in graded} == {f"{k}-{d}" for d in ("complex64", "complex128") for k in (
        "complex", "complex-momentum", "complex-centered", "complex-weight-decay", "golden-stream-pytorch-complex-split")}


def test_ml_dtypes_imported_only_for_bfloat16():
    """ml_dtypes takes most of a second to import: the oracle and its worker import it only when bfloat16
    is asked for (the worker's import counts against a candidate's per-case timeout)."""
    code = ("import sys, oracle.conformance.isolation.worker, oracle.conformance.pytest.suite, oracle.engines.floating, "
            "oracle.conformance.isolation.frames as f, oracle.rounding as r; a = 'ml_dtypes' in sys.modules; "
            "import numpy as np; assert f.dtype_name(np.dtype('float32')) == 'float32'; "
            "b = f.dtype_name(r.numpy_dtype('bfloat16')); print(a, b)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "bfloat16"], out.stderr
