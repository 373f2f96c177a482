#!/usr/bin/env python3
"""The compatibility matrix: every framework adapter certified under its documented convention.

Usage::

    python scripts/compat_matrix.py                      # every framework, quick profile
    python scripts/compat_matrix.py paddle mxnet         # some frameworks (merged into the page)
    python scripts/compat_matrix.py --venvs DIR --jobs 2 --profile default
    python scripts/compat_matrix.py --render             # rewrite the page (and findings) from the JSON
    python scripts/compat_matrix.py torch --dtypes bfloat16 --python .venv/bin/python   # add rows, this python
    python scripts/compat_matrix.py --merge OUT/gpu-matrix.json   # the GPU rows of scripts/gpu_check.sh
    python scripts/compat_matrix.py keras --dtypes bfloat16 --adapters oracle.adapters.keras:rmsprop_jax \
        --python /path/to/venv/bin/python      # one adapter's rows (the venv needs only its distributions)

For each framework (``FRAMEWORKS``) it creates, once, the virtualenv ``DIR/fw-<name>``
(default ``DIR`` = ``~/.cache/rmsprop-oracle/matrix``) from the pinned
``scripts/matrix/requirements-<name>.txt`` (a ``requirements-<name>.build.txt`` is
installed first and the framework then built with ``--no-build-isolation``: chainer)
plus this repository (``pip install -e``), and then, inside that venv, certifies each
of the framework's adapters in each dtype with ``python -m oracle certify MODULE:ATTR
--convention=<the adapter's CONVENTION> --certificate=PATH`` (one process per adapter and
dtype: Keras fixes its backend at first import), reading the JSON file
(:func:`oracle.adapters.certify.read_certificate`, the one place that knows its format).

It writes ``golden/matrix/compatibility.json`` (the data; ``golden/*.json`` are golden cases) and ``golden/compatibility.md`` (the
page, :func:`render`; ``tests/test_compat_matrix.py`` checks that the page is the
rendering of the JSON and that every listed convention spec parses and is the adapter's
``CONVENTION``).  Findings (documented deviations, each with a one-line reproduction
to run in the framework's venv) are listed in ``FINDINGS``.

Run time: with the venvs in place, 6 to 70 seconds per adapter and dtype (quick profile,
2 cores); the whole matrix, 19 adapters x 3 dtypes, took 1,184 s (20 minutes) with
``--jobs 2``.  Creating the venvs from PyPI adds 10-20 minutes and about 8 GB of disk.
Too heavy for CI.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MATRIX = ROOT / "scripts" / "matrix"
JSON_PATH = ROOT / "golden" / "matrix" / "compatibility.json"  # not golden/*.json: those are golden cases (oracle/golden/store.py)
MD_PATH = ROOT / "golden" / "compatibility.md"
DTYPES = ("float64", "float32", "float16")
SHOWN_DTYPES = DTYPES + ("bfloat16",)
"""The rows of the page, in this order (bfloat16 where a framework's entry has it: ``dtypes``)."""

# name -> (label, distributions whose versions are reported, adapters as MODULE:ATTR, rounding)
FRAMEWORKS: dict[str, dict] = {
    "torch": dict(label="PyTorch torch.optim.RMSprop (CPU)", dists=["torch"], adapters=[
        "oracle.adapters.torch:rmsprop_single", "oracle.adapters.torch:rmsprop_foreach",
        "oracle.adapters.textbook:seed_rmsprop"], dtypes=SHOWN_DTYPES,
        rounding="float64: exact; float32: every scalar rounded to float32; float16: kernels in float32, "
                 "alpha/momentum/1-alpha/-lr rounded to float32, eps and weight decay to float16"),
    "torch-cuda": dict(label="PyTorch torch.optim.RMSprop (CUDA GPU)", dists=["torch"], gpu=True, adapters=[
        "oracle.adapters.torch:rmsprop_cuda_single", "oracle.adapters.torch:rmsprop_cuda_foreach",
        "oracle.adapters.torch:rmsprop_cuda_capturable", "oracle.adapters.torch:rmsprop_cuda_fused"],
        dtypes=SHOWN_DTYPES, rounding="as on the CPU: every scalar rounded to the parameter dtype (float16 and "
        "bfloat16 kernels compute in float32); capturable keeps lr and step as device tensors"),
    "jax": dict(label="optax.rmsprop and jax.example_libraries.optimizers", dists=["jax", "optax"], adapters=[
        "oracle.adapters.optax:rmsprop", "oracle.adapters.jax_example:rmsprop",
        "oracle.adapters.jax_example:rmsprop_momentum", "oracle.adapters.optax:rmsprop_inject"],
        dtypes=SHOWN_DTYPES,
        rounding="exact (Python scalars weakly typed, converted once to the parameter dtype; x64 on for float64); "
                 "optax.inject_hyperparams: every hyperparameter an array of the parameter dtype (1 - decay formed "
                 "in it)"),
    "jax-gpu": dict(label="optax.rmsprop on jax's GPU", dists=["jax", "optax"], gpu=True, adapters=[
        "oracle.adapters.optax:rmsprop_gpu", "oracle.adapters.optax:rmsprop_gpu_jit"], dtypes=SHOWN_DTYPES,
        rounding="exact (Python scalars weakly typed, converted once to the parameter dtype)"),
    "keras": dict(label="Keras 3 keras.optimizers.RMSprop", dists=["keras", "jax", "tensorflow-cpu", "torch"], adapters=[
        "oracle.adapters.keras:rmsprop_jax", "oracle.adapters.keras:rmsprop_tensorflow",
        "oracle.adapters.keras:rmsprop_torch"], dtypes=SHOWN_DTYPES,
        rounding="lr float32 (a floatx variable); weight decay exact on jax, float32 on tensorflow, and on torch "
                 "the factor 1 - wd*lr formed in float32; rho, eps, momentum in the parameter dtype"),
    "tensorflow": dict(label="TensorFlow: tf.compat.v1 optimizer, raw kernels, tf_keras", dists=[
        "tensorflow-cpu", "tf_keras"], adapters=[
        "oracle.adapters.tensorflow:rmsprop_v1", "oracle.adapters.tensorflow:resource_apply_rmsprop",
        "oracle.adapters.tensorflow:apply_rmsprop", "oracle.adapters.tf_keras:rmsprop",
        "oracle.adapters.tf_keras:rmsprop_legacy"],
        rounding="RMSPropOptimizer: all float32; raw ops: as passed (parameter dtype); tf_keras: lr and weight decay "
                 "float32; tf_keras legacy: lr, rho, momentum float32, then lr, rho, momentum, eps and 1 - rho in the "
                 "parameter dtype (hyper_dtype=param)"),
    "mxnet": dict(label="MXNet 1.9.1 mx.optimizer.RMSProp", dists=["mxnet", "numpy"], adapters=[
        "oracle.adapters.mxnet:rmsprop", "oracle.adapters.textbook:gluon_rmsprop"],
        rounding="all float32 (float operator parameters); float32 weights only"),
    "paddle": dict(label="PaddlePaddle paddle.optimizer.RMSProp (CPU)", dists=["paddlepaddle"], adapters=[
        "oracle.adapters.paddle:rmsprop"],
        rounding="rho, eps, momentum float32 (float attributes); lr and weight decay in the parameter dtype"),
    "autograd": dict(label="autograd.misc.optimizers.rmsprop", dists=["autograd", "numpy"], adapters=[
        "oracle.adapters.autograd:rmsprop"],
        rounding="exact; the accumulator is float64 whatever the input dtype"),
    "chainer": dict(label="chainer.optimizers.RMSprop", dists=["chainer", "numpy"], adapters=[
        "oracle.adapters.chainer:rmsprop", "oracle.adapters.chainer:rmsprop_eps_inside"],
        rounding="each hyperparameter rounded once to the parameter dtype (numpy scalars)"),
}

# framework -> list of (finding, one-line reproduction run in that framework's venv)
FINDINGS: dict[str, list] = {
    "torch": [
        ("float16 on CPU: eps <= 2**-25 (the default 1e-8) rounds to 0 in float16, so a zero gradient "
         "with v = 0 gives 0/0 = NaN",
         "python -c \"import torch; p=torch.zeros(1,dtype=torch.float16,requires_grad=True); "
         "o=torch.optim.RMSprop([p],eps=1e-8); p.grad=torch.zeros(1,dtype=torch.float16); o.step(); print(p)\""),
    ],
    "mxnet": [
        ("RMSProp.create_state drops the weight dtype: the state is float32, so float64 and float16 "
         "weights fail in rmsprop_update (the adapters decline them)",
         "python -c \"import mxnet as mx; print(mx.optimizer.RMSProp().create_state(0, "
         "mx.nd.ones(3, dtype='float64'))[0].dtype)\""),
        ("gamma2 (momentum) is silently ignored unless centered=True (the adapter declines momentum "
         "without centered)",
         "python -c \"import mxnet as mx; ws=[mx.nd.ones(1) for _ in range(2)]; "
         "[[o.update(0,w,mx.nd.ones(1),s) for _ in range(3)] for g2,w in zip((0.0,0.9),ws) "
         "for o in [mx.optimizer.RMSProp(gamma2=g2)] for s in [o.create_state(0,w)]]; "
         "print([w.asnumpy()[0] for w in ws])\""),
        ("legacy shapes: 0-d and empty weights fail in create_state (zeros(()) has an unknown shape); "
         "they work under mx.util.np_shape(True), which the adapter uses",
         "python -c \"import mxnet as mx; mx.optimizer.RMSProp().create_state(0, mx.nd.ones(()))\""),
    ],
    "paddle": [
        ("rho, epsilon and momentum are float attributes: rounded to float32 even for float64 weights "
         "(lr and the L2 coefficient stay float64); bit-for-bit numpy emulation in tests/test_adapters_paddle.py",
         "python -c \"import paddle,numpy as np; p=paddle.to_tensor(np.zeros(1),stop_gradient=False); "
         "o=paddle.optimizer.RMSProp(0.5,rho=0.1,epsilon=0.0,parameters=[p]); (p*paddle.to_tensor(np.ones(1)))"
         ".sum().backward(); o.step(); print(p.numpy()[0], -0.5/np.sqrt(1-float(np.float32(0.1))), -0.5/np.sqrt(0.9))\""),
        ("no float16 kernel on the CPU (the adapter declines float16)",
         "python -c \"import paddle; p=paddle.ones([2],'float16'); p.stop_gradient=False; "
         "o=paddle.optimizer.RMSProp(0.1,parameters=[p]); (p*p).sum().backward(); o.step()\""),
    ],
    "autograd": [
        ("the accumulator starts at 1 (np.ones) with eps outside the root: no other framework has both",
         "python -c \"import numpy as np; from autograd.misc.optimizers import rmsprop; "
         "print(rmsprop(lambda x,i: np.zeros(1), np.ones(1), num_iters=1, eps=0.0))\""),
        ("float32 and float16 inputs come back float64 (the float64 accumulator promotes x)",
         "python -c \"import numpy as np; from autograd.misc.optimizers import rmsprop; "
         "print(rmsprop(lambda x,i: np.ones(2,np.float32), np.ones(2,np.float32), num_iters=1).dtype)\""),
    ],
    "tensorflow": [
        ("the CPU kernels flush float64, float32 and bfloat16 subnormals to zero (FTZ/DAZ); float16 keeps them; "
         "the adapters declare subnormals=flush:float64+float32+bfloat16 (docs/subnormals.md)",
         "python -c \"import tensorflow as tf, numpy as np; print([float(tf.constant(np.finfo(d).tiny / 4, d) "
         "* tf.constant(1.0, d)) for d in ('float64', 'float32', 'float16')])\""),
        ("tf.compat.v1 RMSPropOptimizer rounds lr, decay, momentum and epsilon to float32 before casting "
         "them to the variable dtype (float64 variables included); the raw kernels take them as given",
         "python -c \"import tensorflow as tf; v=tf.Variable([0.0],dtype=tf.float64); "
         "tf.compat.v1.train.RMSPropOptimizer(0.1,decay=0.5,epsilon=0.0).apply_gradients([(tf.constant([1.0],"
         "tf.float64),v)]); print(v.numpy()[0], -0.1/(1+0.5*(1-1))**0.5)\""),
        ("tf_keras legacy RMSprop puts eps outside the root without momentum and inside with it (it calls "
         "the TF1 kernel only then)",
         "python -c \"import tf_keras as k,tensorflow as tf; "
         "r=[tf.Variable([10.0]) for m in (0,0.5)]; [k.optimizers.legacy.RMSprop(0.1,epsilon=1.0,momentum=m)"
         ".apply_gradients([(tf.constant([10.0]),v)]) for m,v in zip((0,0.5),r)]; print([v.numpy() for v in r])\""),
        ("tf_keras RMSprop (the new optimizer) rounds weight_decay to float32 for float64 weights, like lr "
         "(tf.cast of a Python float); the adapter's convention is keras,float32=lr+weight_decay",
         "python -c \"import tf_keras as k,tensorflow as tf; v=tf.Variable([1.0],dtype=tf.float64); "
         "k.optimizers.RMSprop(0.5,weight_decay=0.1).apply_gradients([(tf.zeros([1],tf.float64),v)]); "
         "print(repr(v.numpy()[0]), 1-0.5*0.1)\""),
        ("tf_keras legacy RMSprop silently replaces epsilon=0 by 1e-7 (the adapter declines eps=0)",
         "python -c \"import tf_keras as k; print(k.optimizers.legacy.RMSprop(epsilon=0.0).epsilon)\""),
        ("tf_keras legacy RMSprop casts lr, rho, momentum (float32 variables) and eps to the variable dtype "
         "and forms 1 - rho there (_prepare_local): in float16 rho = 0.9997 is 1 - 2**-11 and 1 - rho is 2**-11, "
         "63% too large; the adapter's convention is keras2_legacy,hyper_dtype=param (the new optimizer "
         "rounds the binary64 1 - rho once: 2.9993e-4)",
         "python -c \"import tf_keras as k,tensorflow as tf; v=tf.Variable([1.0],dtype=tf.float16); "
         "o=k.optimizers.legacy.RMSprop(0.01,rho=0.9997); o.apply_gradients([(tf.ones([1],tf.float16),v)]); "
         "print(float(o.get_slot(v,'rms')[0]), 1-0.9997)\""),
    ],
    "chainer": [
        ("eps is cast to the gradient dtype and an eps that rounds to 0 raises (float16 with eps=1e-8); "
         "the adapter declines it",
         "python -c \"import chainer,numpy as np; l=chainer.Link(); l.add_param('w',(1,),dtype=np.float16); "
         "o=chainer.optimizers.RMSprop(); o.setup(l); l.w.grad=np.ones(1,np.float16); o.update()\""),
    ],
    "keras": [
        ("tensorflow backend: weight_decay is rounded to float32 for float64 weights "
         "(ops.cast of a Python float makes a float32 tensor first); the jax backend keeps it exact",
         "KERAS_BACKEND=tensorflow python -c \"import keras,numpy as np; v=keras.Variable(np.ones(1)); "
         "keras.optimizers.RMSprop(0.5,weight_decay=0.1).apply([np.zeros(1)],[v]); "
         "print(repr(float(v.numpy()[0])), 1-0.5*0.1, 1-0.5*float(np.float32(0.1)))\""),
        ("torch backend: the decoupled weight-decay factor 1 - wd*lr is formed in float32 even for float64 "
         "weights, so float64 weight decay is only float32-accurate (no convention spec expresses it)",
         "KERAS_BACKEND=torch python -c \"import keras,numpy as np; v=keras.Variable(np.ones(1)); "
         "keras.optimizers.RMSprop(0.5,weight_decay=0.1).apply([keras.ops.zeros(1,'float64')],[v]); "
         "print(repr(float(v.numpy()[0])), 1-0.5*0.1, float(np.float32(1)-np.float32(0.5)*np.float32(0.1)))\""),
    ],
    "jax": [
        ("XLA's CPU kernels flush float64, float32 and bfloat16 subnormals to zero (FTZ/DAZ); float16 keeps them; "
         "the adapters declare subnormals=flush:float64+float32+bfloat16 (docs/subnormals.md)",
         "python -c \"import jax; jax.config.update('jax_enable_x64', True); import jax.numpy as jnp; "
         "print([float(jnp.asarray(jnp.finfo(d).tiny / 4, d) * jnp.asarray(1, d)) for d in ('float64', 'float32', "
         "'float16')])\""),
    ],
    "torch-cuda": [],
    "jax-gpu": [],
}


from oracle.adapters.certify import adapter_convention  # noqa: E402


def venv_python(venvs: Path, name: str) -> Path:
    return venvs / f"fw-{name}" / "bin" / "python"


def ensure_venv(venvs: Path, name: str, log) -> Path:
    """Create (or top up) ``venvs/fw-<name>`` from the pinned requirements; returns its python."""
    py = venv_python(venvs, name)
    pip = [str(py), "-m", "pip", "install", "-q"]
    if not py.exists():
        log(f"[{name}] creating {py.parent.parent}")
        subprocess.run([sys.executable, "-m", "venv", str(py.parent.parent)], check=True)
    build = MATRIX / f"requirements-{name}.build.txt"
    req = MATRIX / f"requirements-{name}.txt"
    if build.exists():
        subprocess.run(pip + ["-r", str(build)], check=True)
        subprocess.run(pip + ["--no-build-isolation", "-r", str(req)], check=True)
    else:
        subprocess.run(pip + ["-r", str(req)], check=True)
    # matplotlib draws the framework's figure; the pins hold (MXNet needs numpy < 1.24)
    subprocess.run(pip + ["-e", str(ROOT), "matplotlib", "-c", str(req)], check=True)
    return py


FIGURE_CASE, FIGURE_DTYPE = "docs-example-long", "float32"
"""Each framework's figure: its first adapter on the documents' example (80 steps, past the horizon)."""


def figure(py: Path, name: str, adapter: str, log) -> Optional[dict]:
    """Draw the error-vs-bound figure of ``adapter`` in its venv (``python -m oracle plot``); its record."""
    rel = f"figures/compat-{name}.png"
    cmd = [str(py), "-m", "oracle", "plot", "--case", FIGURE_CASE, "--optimizer", adapter,
           "--convention", adapter_convention(adapter), "--dtype", FIGURE_DTYPE, "-o", str(MD_PATH.parent / rel)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"})
    if proc.returncode != 0:
        log(f"[{name}] figure failed: {(proc.stderr or proc.stdout).strip()[-300:]}")
        return None
    return {"path": rel, "adapter": adapter, "case": FIGURE_CASE, "dtype": FIGURE_DTYPE}


def versions(py: Path, dists: list) -> dict:
    code = ("import importlib.metadata as m, json, sys; out={}\n"
            "for d in sys.argv[1:]:\n"
            "    try: out[d]=m.version(d)\n"
            "    except m.PackageNotFoundError: out[d]=None\n"
            "print(json.dumps(out))")
    proc = subprocess.run([str(py), "-c", code, *dists, "numpy"], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def run_adapter(py: Path, adapter: str, dtype: str, profile: str) -> dict:
    """Certify one adapter in one dtype in the venv of ``py``: the suite's verdict, counts, statistics."""
    from oracle.adapters.certify import certify

    spec = adapter_convention(adapter)
    env = {"CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
    t0 = time.time()
    try:
        r = certify(adapter, spec, [dtype], python=str(py), profile=profile, env=env)
    except subprocess.TimeoutExpired as exc:
        return {"dtype": dtype, "verdict": "error", "error": str(exc), "seconds": round(time.time() - t0)}
    out = {"dtype": dtype, "seconds": round(time.time() - t0)}
    stats = r["dtypes"].get(dtype)
    if stats is None:
        out.update(verdict="error", error=r.get("output", "")[-600:])
        return out
    out.update(stats)
    out["failures"] = [{"test": f["test"], "detail": _gist(f["detail"])} for f in r["failures"]]
    out["declined_reasons"] = r["declined"][:5]
    return out


def _gist(detail: str) -> str:
    """The line of a failure that says why (the diagnosis), else its first line."""
    lines = [x.strip() for x in detail.strip().splitlines() if x.strip()]
    why = [x for x in lines if "cause" in x or "catalogued mistake" in x or "raised" in x]
    return (why or lines or [""])[0][:300]


def save(doc: dict) -> None:
    """Write the JSON (frameworks in ``FRAMEWORKS`` order) and its page."""
    doc["frameworks"] = {k: doc["frameworks"][k] for k in FRAMEWORKS if k in doc["frameworks"]}
    JSON_PATH.write_text(json.dumps(doc, indent=1) + "\n")
    MD_PATH.write_text(render(doc))


def refresh(doc: dict) -> dict:
    """Labels, rounding texts and findings taken again from this script (no certification rerun)."""
    for name, entry in doc["frameworks"].items():
        fw = FRAMEWORKS[name]
        entry.update(label=fw["label"], rounding=fw["rounding"],
                     findings=[{"finding": f, "reproduce": r} for f, r in FINDINGS.get(name, [])])
    return doc


def run(names: list, venvs: Path, profile: str, jobs: int, log, dtypes: Optional[list] = None,
        python: Optional[str] = None, adapters: Optional[list] = None) -> dict:
    """Certify the frameworks ``names``, merging into the existing JSON and saving after each one.

    ``dtypes``: only those rows, merged into the framework's existing entry; ``python``: that
    interpreter instead of the framework's virtualenv (it must have the pinned versions);
    ``adapters``: only those adapters' rows, merged likewise (the interpreter needs only the
    distributions they use: one it lacks is not compared, one it has must have the pinned version).
    """
    doc = json.loads(JSON_PATH.read_text()) if JSON_PATH.exists() else {"frameworks": {}}
    started = time.time()
    for name in names:
        fw = FRAMEWORKS[name]
        if fw.get("gpu"):
            raise SystemExit(f"{name} runs on a CUDA machine: bash scripts/gpu_check.sh there, then --merge")
        py = Path(python) if python else ensure_venv(venvs, name, log)
        entry = {"label": fw["label"], "versions": versions(py, fw["dists"]), "rounding": fw["rounding"],
                 "findings": [{"finding": f, "reproduce": r} for f, r in FINDINGS.get(name, [])],
                 "adapters": []}
        old = doc["frameworks"].get(name)
        partial = bool(dtypes or adapters)
        if partial and old is not None:
            have = entry["versions"]
            if any(have[d] != v and (have[d] is not None or not adapters) for d, v in old["versions"].items()):
                raise SystemExit(f"{name}: {py} has {entry['versions']}, the matrix {old['versions']}")
            entry = old
        todo = [d for d in fw.get("dtypes", DTYPES) if not dtypes or d in dtypes]
        chosen = [a for a in fw["adapters"] if not adapters or a in adapters]
        tasks = [(a, d) for a in chosen for d in todo]
        for slot in entry["adapters"]:  # rows merged into an entry all hold the adapter's current CONVENTION
            if slot["adapter"] not in chosen:
                continue
            spec = adapter_convention(slot["adapter"])
            kept = [d for d in slot["dtypes"] if d not in todo]
            if slot["convention"] != spec and kept:
                raise SystemExit(f"{slot['adapter']}: its CONVENTION is now {spec}, its {', '.join(kept)} rows "
                                 f"were certified under {slot['convention']}: rerun those dtypes too")
            slot["convention"] = spec
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(lambda ad: run_adapter(py, ad[0], ad[1], profile), tasks))
        for adapter in chosen:
            rows = [r for (a, _), r in zip(tasks, results) if a == adapter]
            slot = next((x for x in entry["adapters"] if x["adapter"] == adapter), None)
            if slot is None:
                slot = {"adapter": adapter, "convention": adapter_convention(adapter), "dtypes": {}}
                entry["adapters"].append(slot)
            slot["dtypes"].update({r["dtype"]: r for r in rows})
            slot["dtypes"] = {d: slot["dtypes"][d] for d in SHOWN_DTYPES if d in slot["dtypes"]}
            log(f"[{name}] {adapter}: " + ", ".join(f"{r['dtype']} {r['verdict']}" for r in rows))
        if partial and old is not None:
            entry["seconds"] = entry.get("seconds", 0) + sum(r["seconds"] for r in results)
            doc["frameworks"][name] = entry
            save(doc)
            continue
        entry["seconds"] = sum(r["seconds"] for r in results)
        entry["figure"] = figure(py, name, fw["adapters"][0], log)
        doc["frameworks"][name] = entry
        doc["generated"] = {"date": datetime.date.today().isoformat(), "profile": profile,
                            "python": sys.version.split()[0], "last_run_seconds": round(time.time() - started)}
        save(doc)
    return doc


def merge(path: Path) -> dict:
    """Put the GPU frameworks of ``scripts/gpu_check.py``'s JSON into the matrix and save it."""
    gpu = json.loads(path.read_text())
    if (gpu.get("generated") or {}).get("device") == "cpu":
        raise SystemExit(f"{path}: a smoke run on the CPU (ORACLE_GPU_DEVICE=cpu), not merged")
    doc = json.loads(JSON_PATH.read_text())
    for name, entry in gpu.get("frameworks", {}).items():
        if not FRAMEWORKS.get(name, {}).get("gpu"):
            raise SystemExit(f"{path}: {name!r} is not a GPU framework of this script")
        entry["generated"] = {k: v for k, v in gpu["generated"].items() if k != "found"}
        doc["frameworks"][name] = entry
    save(doc)
    return doc


def _num(x: Optional[float], fmt: str) -> str:
    return "–" if x is None else format(x, fmt)


def render(doc: dict) -> str:
    """The Markdown page of a matrix JSON document (deterministic: the CI test re-renders it)."""
    g = doc.get("generated", {})
    lines = [
        "# RMSProp compatibility matrix",
        "",
        "Generated by `python scripts/compat_matrix.py` from `golden/matrix/compatibility.json` "
        f"(profile `{g.get('profile', '?')}`, {g.get('date', '?')}; do not edit by hand). Each adapter "
        "(`oracle/adapters/`) runs the framework's own RMSProp and is certified by the conformance suite "
        "(`python -m oracle certify MODULE:ATTR --convention=SPEC`) in its own process and virtualenv "
        "(`scripts/matrix/requirements-*.txt`), one dtype at a time. Verdicts are the suite's: **certified** "
        "(every graded value within the forward error bound), **failed**, **declined** (every case declined: "
        "the adapter raised `NotImplementedError`, the framework cannot do it). Counts are cases "
        "passed/failed/declined; "
        "LRE is the log relative error (digits), ULP the error in units in the last place of the dtype, "
        "both worst / median over every graded value; \"× bound\" is the worst error as a fraction "
        "of the bound.",
        "",
    ]
    for name, fw in doc.get("frameworks", {}).items():
        vers = ", ".join(f"{d} {v}" for d, v in fw["versions"].items() if v)
        lines += [f"## {fw['label']}", "", f"Versions: {vers}.  ", f"Hyperparameter rounding: {fw['rounding']}.", "",
                  "| adapter | convention spec | dtype | verdict | passed/failed/declined | LRE worst / median "
                  "| ULP worst / median | × bound |", "|---|---|---|---|---|---|---|---|"]
        for a in fw["adapters"]:
            for dtype in SHOWN_DTYPES:
                r = a["dtypes"].get(dtype)
                if r is None:
                    continue
                counts = "–" if r.get("passed") is None else f"{r['passed']}/{r['failed']}/{r['declined']}"
                lre = f"{_num(r.get('worst_lre'), '.2f')} / {_num(r.get('median_lre'), '.2f')}"
                ulp = f"{_num(r.get('worst_ulp'), '.3g')} / {_num(r.get('median_ulp'), '.3g')}"
                word = f"**{r['verdict']}**"
                lines.append(f"| `{a['adapter']}` | `{a['convention']}` "
                             f"| {dtype} | {word} | {counts} | {lre} | {ulp} | "
                             f"{_num(r.get('worst_fraction_of_bound'), '.3g')} |")
        notes = []
        for a in fw["adapters"]:
            for dtype in SHOWN_DTYPES:
                r = a["dtypes"].get(dtype) or {}
                for f in r.get("failures", []):
                    notes.append(f"- `{a['adapter']}` {dtype}: failed `{f['test']}`: {f['detail']}")
                # one line per reason (the hygiene tests repeat one with " (dtype)" appended)
                for reason in dict.fromkeys(x.removesuffix(f" ({dtype})") for x in r.get("declined_reasons", [])):
                    notes.append(f"- `{a['adapter']}` {dtype}: declined: {reason}")
                if r.get("error"):
                    notes.append(f"- `{a['adapter']}` {dtype}: error: {r['error'].strip().splitlines()[-1][:300]}")
        if notes:
            lines += ["", "Notes:", ""] + notes
        fig = fw.get("figure")
        if fig:
            lines += ["", f"![{fw['label']}: `{fig['adapter']}` on the documents' example ({fig['case']}, "
                          f"{fig['dtype']}), its error at every step in ULPs against the forward error bound, and its "
                          f"trajectory against the exact one]({fig['path']})"]
        if fw["findings"]:
            lines += ["", "Findings (each reproduction runs in this framework's virtualenv):", ""]
            for f in fw["findings"]:
                lines += [f"- {f['finding']}.  ", f"  `{f['reproduce']}`"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("frameworks", nargs="*", help=f"some of {', '.join(FRAMEWORKS)} (default: all)")
    ap.add_argument("--venvs", default=str(Path.home() / ".cache" / "rmsprop-oracle" / "matrix"),
                    help="folder of the fw-<name> virtualenvs (created when missing)")
    ap.add_argument("--profile", default="quick", choices=("quick", "default", "thorough"))
    ap.add_argument("--jobs", type=int, default=1, help="certifications run at once (default 1)")
    ap.add_argument("--render", action="store_true",
                    help="only rewrite the page from the JSON (labels, rounding and findings from this script)")
    ap.add_argument("--dtypes", help="only these dtypes (comma-separated), merged into the existing entries")
    ap.add_argument("--python", help="certify with this interpreter instead of the framework's virtualenv")
    ap.add_argument("--adapters", help="only these adapters (comma-separated MODULE:ATTR of the frameworks named), "
                                       "merged into the existing entries")
    ap.add_argument("--merge", metavar="GPU_JSON", help="merge the frameworks of scripts/gpu_check.sh's "
                                                        "gpu-matrix.json into the matrix (no certification)")
    args = ap.parse_args(argv)
    bad = [n for n in args.frameworks if n not in FRAMEWORKS]
    if bad:
        ap.error(f"unknown framework {bad[0]!r}; choose from {', '.join(FRAMEWORKS)}")
    if args.merge:
        merge(Path(args.merge))
    elif args.render:
        save(refresh(json.loads(JSON_PATH.read_text())))
    else:
        names = args.frameworks or [n for n in FRAMEWORKS if not FRAMEWORKS[n].get("gpu")]
        dtypes = [d.strip() for d in args.dtypes.split(",")] if args.dtypes else None
        if dtypes and any(d not in SHOWN_DTYPES for d in dtypes):
            ap.error(f"--dtypes must name dtypes from {', '.join(SHOWN_DTYPES)}, got {args.dtypes!r}")
        adapters = [a.strip() for a in args.adapters.split(",")] if args.adapters else None
        known = {a for n in names for a in FRAMEWORKS[n]["adapters"]}
        if adapters and any(a not in known for a in adapters):
            ap.error(f"--adapters must name adapters of {', '.join(names)}, got {args.adapters!r}")
        run(names, Path(args.venvs), args.profile, args.jobs, lambda m: print(m, flush=True), dtypes, args.python,
            adapters)
    print(f"wrote {JSON_PATH.relative_to(ROOT)} and {MD_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
