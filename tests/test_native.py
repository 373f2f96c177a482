"""Native candidates (issue 16, deliverable 3): framework optimizers certified without an adapter.

Recognition and the bridges run in the worker; these tests call them directly (``isolation="inline"``)
except one subprocess that checks the oracle's process imports no framework.  torch is tested for real;
optax, Keras and TensorFlow where importable.
"""

import subprocess
import sys

import numpy as np
import pytest

from oracle.conformance.isolation.candidate import Candidate
from oracle.conformance.judge.cases import builtin_cases
from oracle.conformance.judge.fingerprint import identify
from oracle.conformance.judge.grading import grade
from oracle.conformance.isolation.loader import UsageError
from oracle.conformance.isolation.native import names_for, parse_names, recognise
from oracle.conformance.isolation.worker import convert
from oracle.conventions import parse


def _certify_directly(spec, convention, dtype="float32", names=None, n=4):
    """The candidate, its fingerprint and its first ``n`` quick cases graded under ``convention`` (whose preset
    the probes must find among the equivalent ones: in float32 seed, keras and optax agree on every probe)."""
    c = Candidate(spec, isolation="inline", names=names)
    fp = identify(c, (dtype,))
    assert n == 0 or convention.split(",")[0] in fp.equivalent, fp.header()
    graded = [grade(c, parse(convention).replace(**case.hyper, **case.options), case)
              for case in builtin_cases(dtype, "quick")[:n]]
    return c, fp, graded


def test_torch_rmsprop_without_adapter():
    pytest.importorskip("torch")
    c, fp, graded = _certify_directly("torch.optim:RMSprop", "pytorch")
    assert c.native["framework"] == "torch" and c.native["names"]["rho"] == "alpha"
    assert c.options == {"momentum", "centered", "weight_decay", "maximize", "lr_schedule"}
    assert fp.matched and fp.spec == "pytorch", fp.header()
    assert {g.status for g in graded} == {"passed"}, [g.message for g in graded]


def test_users_own_subclass_with_hyperparameter_names():
    pytest.importorskip("torch")
    with pytest.raises(UsageError, match="no name for eps: give --hyperparameter-names NATIVE=eps"):
        Candidate("mutants.native_user:MyRMSprop", isolation="inline")
    c, fp, graded = _certify_directly("mutants.native_user:MyRMSprop", "pytorch",
                                      names=parse_names("tiny=eps"))
    assert c.native["names"] == {"lr": "lr", "rho": "beta", "eps": "tiny"} and c.options == {"lr_schedule"}
    assert fp.matched and fp.spec == "pytorch", fp.header()
    assert {g.status for g in graded} == {"passed", "skipped"}, [g.message for g in graded]
    c, fp, _ = _certify_directly("mutants.native_user:Standard", "pytorch", n=0)
    assert fp.spec == "pytorch" and c.native["names"]["rho"] == "alpha"


def test_torch_bridge_bfloat16_bits_and_schedule():
    """bfloat16 crosses the torch bridge as its 16 bits (every pattern, NaNs included, comes back unchanged);
    torch.optim.RMSprop run natively passes bfloat16 cases and, in bfloat16 and float32, the schedule cases
    under pytorch (param_groups' lr set before each step: lr outside the buffer) and fails them with
    lr_in_momentum flipped (float32: all four; bfloat16's short horizon leaves only the warm-up case able to
    tell the readings apart); the fingerprint's lr-in-momentum probe agrees (float32: in bfloat16 the probe's
    horizon is its first step, where the two readings agree)."""
    torch = pytest.importorskip("torch")
    from oracle.conformance.judge.fingerprint import PROBES, _Runs
    from oracle.conformance.isolation.native import to_numpy, to_torch
    from oracle.rounding import numpy_dtype

    bf16 = numpy_dtype("bfloat16")
    bits = np.arange(1 << 16, dtype=np.uint16)
    t = to_torch(bits.view(bf16))
    assert t.dtype == torch.bfloat16 and t[1].item() > 0  # 0x0001: the least subnormal, not 0
    np.testing.assert_array_equal(to_numpy(t, bf16).view(np.uint16), bits)
    c = Candidate("torch.optim:RMSprop", isolation="inline")
    pytorch = parse("pytorch")
    flipped = pytorch.replace(lr_in_momentum=True)
    probe = next(p for p in PROBES if p.name == "lr-in-momentum")
    runs = _Runs(c, ("float32",))
    assert runs.ratio(pytorch, probe, "float32") <= 1 < runs.ratio(flipped, probe, "float32")
    for dtype in ("bfloat16", "float32"):
        cases = builtin_cases(dtype, "quick")
        others = ("stream-centered-momentum", "subnormal", "stream-maximize-weight-decay") if dtype == "bfloat16" else ()
        picked = [x for x in cases if "schedule" in x.tags or x.name in others]
        assert len(picked) == 4 + len(others)
        wrong = {}
        for case in picked:
            graded = grade(c, pytorch.replace(**case.hyper, **case.options), case)
            assert graded.status == "passed", (dtype, case.name, graded.message[-1500:])
            if "schedule" in case.tags:
                wrong[case.name] = grade(c, flipped.replace(**case.hyper, **case.options), case).status
        assert wrong["schedule-warmup"] == "failed" and (dtype == "bfloat16" or set(wrong.values()) == {"failed"})


def test_recognised_without_importing_the_framework_here():
    """The oracle's process imports no framework: recognition happens in the worker, which sends plain data."""
    pytest.importorskip("torch")
    code = ("import sys; from oracle.conformance.isolation.candidate import Candidate; c = Candidate('torch.optim:RMSprop'); "
            "print(c.native['framework'], 'torch' in sys.modules); c.close()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["torch", "False"], out.stderr[-2000:]


def test_names_by_signature_and_errors():
    assert recognise(lambda params, lr, rho, eps: None) is None
    assert names_for(lambda learning_rate=0.1, decay=0.9, epsilon=1e-7, centered=False: None, {}) == {
        "lr": "learning_rate", "rho": "decay", "eps": "epsilon", "centered": "centered"}
    with pytest.raises(ValueError, match="has no parameter 'beta'"):
        names_for(lambda lr, rho: None, {"beta": "rho"})
    with pytest.raises(ValueError, match="must be NATIVE=PROTOCOL"):
        parse_names("alpha")


def test_numpy_scalar_accepted_for_0d_parameters_only():
    f32 = np.dtype(np.float32)
    out, problem = convert([np.float32(1.5)], [()], [f32])
    assert problem is None and out[0].shape == () and out[0].dtype == np.float32 and type(out[0]) is np.ndarray
    for bad in ([1.5], [np.float64(1.5)]):  # a Python float; a scalar of another dtype
        out, problem = convert(bad, [()], [f32])
        assert out is None and problem
    out, problem = convert([np.float32(1.5)], [(1,)], [f32])
    assert out is None and problem["what"] == "scalar"


def test_optax_factory_without_adapter():
    pytest.importorskip("optax")
    c, fp, graded = _certify_directly("optax:rmsprop", "optax", dtype="float32")
    assert c.native["framework"] == "optax" and c.native["names"]["rho"] == "decay"
    assert fp.matched and "optax" in fp.equivalent, fp.header()
    assert {g.status for g in graded} <= {"passed", "skipped"}, [g.message for g in graded]
    _assert_native_schedule_and_bfloat16(c, "optax")


def _assert_native_schedule_and_bfloat16(c, spec, bfloat16=True):
    """The bridge drives the framework's own per-step lr: the schedule cases pass under ``spec`` in float32
    and fail with lr_in_momentum flipped; bfloat16 cases pass (subnormal ones left out: jax's CPU flushes
    bfloat16 subnormals to zero, which ``spec`` does not declare: ``subnormals=flush:...``, docs/subnormals.md)."""
    assert "lr_schedule" in c.options
    conv = parse(spec)
    for case in builtin_cases("float32", "quick"):
        if "schedule" in case.tags:
            assert grade(c, conv.replace(**case.hyper, **case.options), case).status == "passed", case.name
            flipped = conv.replace(lr_in_momentum=not conv.lr_in_momentum, **case.hyper, **case.options)
            assert grade(c, flipped, case).status == "failed", case.name
    if not bfloat16:
        return
    picked = [x for x in builtin_cases("bfloat16", "quick")
              if x.name in ("stream", "stream-centered-momentum", "schedule-warmup", "huge-gradients")]
    assert [grade(c, conv.replace(**x.hyper, **x.options), x).status for x in picked] == ["passed"] * 4


def test_keras_optimizer_without_adapter():
    pytest.importorskip("keras")
    c, fp, graded = _certify_directly("keras.optimizers:RMSprop", "keras,float32=lr", dtype="float32")
    assert c.native["framework"] == "keras" and c.native["names"]["eps"] == "epsilon"
    assert fp.matched, fp.header()
    assert {g.status for g in graded} <= {"passed", "skipped"}, [g.message for g in graded]
    import keras

    # optimizer.learning_rate assigned per step (a float32 variable); bfloat16 on the jax backend
    _assert_native_schedule_and_bfloat16(c, "keras,float32=lr", bfloat16=keras.backend.backend() == "jax")


def test_tf1_optimizer_without_adapter():
    """RMSPropOptimizer through the tf1 bridge: TF1 rounds lr, rho, eps and momentum to float32 (``_prepare``
    makes float32 tensors), so no preset agrees in float64 and the probes determine the spec (with the CPU's
    flush to zero, ``subnormals=flush:float64``), under which the cases pass (the shipped adapter's
    ``tf1,float32=all``: TF1 has no weight decay)."""
    pytest.importorskip("tensorflow")
    c, fp, _ = _certify_directly("tensorflow.compat.v1.train:RMSPropOptimizer", "tf1", dtype="float64", n=0)
    takes = [case for case in builtin_cases("float64", "quick")[:12]  # the suite skips the options TF1 lacks
             if all(k in c.options for k, v in {**case.hyper, **case.options}.items()
                    if k in ("momentum", "centered", "weight_decay", "maximize", "lr_schedule") and v)]
    graded = [grade(c, parse(fp.spec).replace(**case.hyper, **case.options), case) for case in takes]
    assert len(graded) >= 6
    assert c.native["framework"] == "tf1" and c.native["names"] == {
        "lr": "learning_rate", "rho": "decay", "eps": "epsilon", "momentum": "momentum", "centered": "centered"}
    assert c.options == {"momentum", "centered", "lr_schedule"}
    assert not fp.matched and fp.spec == "tf1,float32=lr+rho+eps+momentum,subnormals=flush:float64", fp.header()
    assert {g.status for g in graded} == {"passed"}, [g.message for g in graded]
    _assert_native_schedule_and_bfloat16(c, fp.spec, bfloat16=False)  # a float32 tf.Variable lr, assigned per step
