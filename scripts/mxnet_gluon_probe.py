"""Probe the seed's "Gluon" RMSProp program with real MXNet 1.9.1.

Purpose
-------
The source document ``../shared/seeds/001_388190c84a98f8cb.txt`` (beside the clone) contains two
Python code blocks: an in-place ``rmsprop(params, sqrs, lr, alpha, batch_size,
eps)`` function (seed lines 46-51) and a linear-regression training loop using
``mx.io.NDArrayIter`` (seed lines 59-103).  This script executes that text with
real MXNet -- verbatim, and under a series of small, explicitly listed textual
repairs -- and records, for every variant:

* the exception raised (type, message, program line, seed-file line), if any;
* every RMSProp update: the batch seen (data, labels, ``pad``), the loss, the
  raw gradients, the effective gradient ``param.grad / batch_size``, the ``sqrs``
  accumulators before/after, the parameters before/after;
* every ``loss_fn`` call (input shapes, broadcast residual shape, value);
* the printed "Epoch %d, loss %.4f" lines.

It also records ``NDArrayIter`` behaviour (padding, exhaustion without
``reset()``, other ``last_batch_handle`` modes), a shape probe of the loss
expression, an independent implementation of the *intended* computation (full
batch of 4 rows, column targets, mean-loss gradient used once) in float32 and
float64, a numpy replay of the intended float32 run, and an eps-rescaling
equivalence check for the doubly-divided gradient.

All floating-point values are stored both as ``float.hex()`` strings (exact) and
as decimal ``repr(float(v))`` strings (plus the shortest float32 decimal for
float32 data).  The fixed initial weights ``w0 = [[0.5], [-0.3]]``, ``b0 = [0]``
replace ``nd.random.normal`` in every variant except ``V0_verbatim``.

How to run
----------
MXNet 1.9.1 needs ``numpy<1.24``; install it in its own virtualenv::

    python3 -m venv .venv-mxnet                      # in the clone
    .venv-mxnet/bin/pip install mxnet==1.9.1 'numpy<1.24'
    OPENBLAS_CORETYPE=Haswell .venv-mxnet/bin/python scripts/mxnet_gluon_probe.py \
        [golden/mxnet/gluon_probe_mxnet-1.9.1.json] [--seed PATH]

The float values depend on the BLAS kernel MXNet's bundled OpenBLAS (0.3.13,
``DYNAMIC_ARCH``) picks for ``nd.dot``.  The record was made with its
``Haswell`` kernel (FMA); on a CPU that OpenBLAS 0.3.13 does not know (for
example a Sapphire Rapids Xeon) it falls back to ``Prescott`` (SSE3, no FMA) and
the values computed after the first update (float32 and float64) differ in the
last bits.  ``OPENBLAS_CORETYPE=Haswell`` selects the recorded kernel on any CPU with
AVX2 and FMA; the kernel that ran is stored in ``meta.openblas_core``.

The output path defaults to ``golden/mxnet/gluon_probe_mxnet-1.9.1.json`` under
the repository root.  The seed file is optional: the two code blocks are
embedded below verbatim, and when the seed file is present they are checked
against it (result stored in ``meta.seed_blocks_match_embedded``).

Run time: about 2-5 seconds on CPU (MXNet import dominates).  The output JSON is
deterministic (no timestamps); re-running reproduces it byte for byte.

The module imports only the standard library at top level; ``mxnet`` and
``numpy`` are imported inside ``main()`` so the file can be imported (e.g. by
test collection) without MXNet installed.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import hashlib
import io
import json
import os
import platform
import sys
import time
import traceback

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "golden", "mxnet", "gluon_probe_mxnet-1.9.1.json")
DEFAULT_SEED = os.path.join(os.path.dirname(REPO_ROOT), "shared", "seeds", "001_388190c84a98f8cb.txt")
SEED_SHA256 = "cd54779a1465ba594c1cc64842b443bcaa4c97bf15be803a02538e738d9792f1"

# ---------------------------------------------------------------------------
# The two code blocks of the seed, verbatim (block 2 line 43 = seed line 101
# is a line of 8 spaces, written as "\x20" * 8 so editors keep it).
# Block 1 = seed lines 46-51, block 2 = seed lines 59-103.
# ---------------------------------------------------------------------------
BLOCK1_FIRST_SEED_LINE = 46
BLOCK2_FIRST_SEED_LINE = 59

BLOCK1 = (
    "def rmsprop(params, sqrs, lr, alpha, batch_size, eps):\n"
    "    for param, sqr in zip(params, sqrs):\n"
    "        g = param.grad / batch_size\n"
    "        sqr[:] = alpha * sqr + (1 - alpha) * nd.square(g)\n"
    "        div = lr * g / nd.sqrt(sqr + eps)\n"
    "        param[:] = param - div\n"
)

BLOCK2 = (
    "import mxnet as mx\n"
    "\n"
    "# Define the model parameters\n"
    "w = nd.random.normal(shape=(2, 1))\n"
    "b = nd.zeros(1)\n"
    "\n"
    "# Attach gradient to the parameters\n"
    "w.attach_grad()\n"
    "b.attach_grad()\n"
    "\n"
    "# Define the optimizer parameters\n"
    "sqrs = []\n"
    "for param in [w, b]:\n"
    "    sqrs.append(param.zeros_like())\n"
    "\n"
    "lr = 0.03\n"
    "batch_size = 10\n"
    "alpha = 0.9\n"
    "eps = 1e-6\n"
    "\n"
    "# Define the loss function\n"
    "def loss_fn(X, y):\n"
    "    return nd.mean((nd.dot(X, w) + b - y) ** 2)\n"
    "\n"
    "# Define the data set\n"
    "X = nd.array([[1, 2], [3, 4], [5, 6], [7, 8]])\n"
    "y = nd.array([0, -1, -2, -3])\n"
    "\n"
    "data_iter = mx.io.NDArrayIter(X, y, batch_size)\n"
    "\n"
    "# Train the model\n"
    "num_epochs = 5\n"
    "\n"
    "for epoch in range(num_epochs):\n"
    "    for batch in data_iter:\n"
    "        with autograd.record():\n"
    "            l = loss_fn(batch.data[0], batch.data[1])\n"
    "        l.backward()\n"
    "        rmsprop([w, b], sqrs, lr, alpha, batch_size, eps)\n"
    "        # reset the parameter gradient to zero\n"
    "        w.grad[:] = 0\n"
    "        b.grad[:] = 0\n"
    "\x20\x20\x20\x20\x20\x20\x20\x20\n"
    "    train_loss = loss_fn(X, y).mean().asscalar()\n"
    "    print(\"Epoch %d, loss %.4f\" % (epoch, train_loss))\n"
)

# ---------------------------------------------------------------------------
# Textual edits.  Each is (block_index, old, new); ``old`` must occur exactly
# once in the (already edited) block.
# ---------------------------------------------------------------------------
FIXED_INIT = {
    "id": "INIT",
    "kind": "instrumentation (not a repair)",
    "description": "replace the random initial weights by the fixed w0 = [[0.5], [-0.3]] (b0 = nd.zeros(1) = [0] already)",
    "edits": [(2, "w = nd.random.normal(shape=(2, 1))", "w = nd.array([[0.5], [-0.3]])")],
}

EDITS = {
    "R1": {
        "description": "add the missing imports: the text uses `nd` (rmsprop body, parameter/data definitions, loss_fn) and `autograd` (training loop) but only does `import mxnet as mx`",
        "edits": [(2, "import mxnet as mx\n", "import mxnet as mx\nfrom mxnet import nd, autograd\n")],
    },
    "R1a_nd_only": {
        "description": "diagnostic half of R1: import only `nd` (shows that `autograd` is missing too)",
        "edits": [(2, "import mxnet as mx\n", "import mxnet as mx\nfrom mxnet import nd\n")],
    },
    "R2": {
        "description": "take the targets from the batch's label list: a DataBatch from NDArrayIter(X, y) has data=[X_batch] (one entry) and label=[y_batch]; `batch.data[1]` raises IndexError",
        "edits": [(2, "l = loss_fn(batch.data[0], batch.data[1])", "l = loss_fn(batch.data[0], batch.label[0])")],
    },
    "R3": {
        "description": "reset the iterator at the start of every epoch (without it only epoch 0 yields a batch; epochs 1-4 perform no update)",
        "edits": [(2, "for epoch in range(num_epochs):\n", "for epoch in range(num_epochs):\n    data_iter.reset()\n")],
    },
    "R3alt_reset_at_end": {
        "description": "alternative to R3: reset the iterator at the end of each epoch (after the inner loop)",
        "edits": [(2, "        b.grad[:] = 0\n", "        b.grad[:] = 0\n    data_iter.reset()\n")],
    },
    "R4": {
        "description": "make the targets a column (4,1) so that `nd.dot(X, w) + b - y` is (n,1) instead of broadcasting (n,1) - (n,) to (n,n)",
        "edits": [(2, "y = nd.array([0, -1, -2, -3])", "y = nd.array([[0], [-1], [-2], [-3]])")],
    },
    "R5": {
        "description": "iterate over the real 4 rows (one full batch, no padding) instead of a 10-row batch padded by wrapping around; edits only the iterator so the rmsprop divisor batch_size=10 is untouched",
        "edits": [(2, "data_iter = mx.io.NDArrayIter(X, y, batch_size)", "data_iter = mx.io.NDArrayIter(X, y, batch_size=X.shape[0])")],
    },
    "R5alt_batch_size_4": {
        "description": "alternative to R5: `batch_size = 4` (changes the iterator AND the rmsprop divisor to 4)",
        "edits": [(2, "batch_size = 10\n", "batch_size = 4\n")],
    },
    "R5alt_discard": {
        "description": "non-repair alternative to R5: last_batch_handle='discard' (4 < 10 rows -> the iterator yields no batch at all)",
        "edits": [(2, "data_iter = mx.io.NDArrayIter(X, y, batch_size)", "data_iter = mx.io.NDArrayIter(X, y, batch_size, last_batch_handle='discard')")],
    },
    "R6": {
        "description": "use the gradient of the mean loss once: do not divide it again by batch_size",
        "edits": [(1, "g = param.grad / batch_size", "g = param.grad")],
    },
    "R6alt_pass_1": {
        "description": "alternative to R6: call rmsprop with batch_size argument 1",
        "edits": [(2, "rmsprop([w, b], sqrs, lr, alpha, batch_size, eps)", "rmsprop([w, b], sqrs, lr, alpha, 1, eps)")],
    },
    "EPS_1e-4": {
        "description": "diagnostic: eps = 1e-4 = 1e-6 * 10**2 (eps rescaling that makes an undivided run mathematically equal to the run dividing the gradient by 10)",
        "edits": [(2, "eps = 1e-6\n", "eps = 1e-4\n")],
    },
}

# Variants: (id, [edit ids applied after INIT in order], description).  INIT is
# applied to all variants except V0_verbatim.
CHAIN = ["R1", "R2", "R3", "R4", "R5", "R6"]


def _variants():
    v = [
        ("V0_verbatim", None, "the two code blocks exactly as written (random init, no edits)"),
        ("V0", [], "as written, fixed init"),
        ("V1a", ["R1a_nd_only"], "only `from mxnet import nd` added"),
    ]
    for i in range(1, len(CHAIN) + 1):
        v.append(("V%d" % i, CHAIN[:i], "cumulative repairs " + "+".join(CHAIN[:i])))
    for r in CHAIN[1:]:
        v.append(("S_" + r, [r], "single repair %s on the original text (no imports)" % r))
    for r in CHAIN[2:]:
        v.append(("B_" + r, ["R1", "R2", r], "single semantic repair %s on the minimal runnable base R1+R2" % r))
    for r in CHAIN[2:]:
        rest = [x for x in CHAIN if x != r]
        v.append(("L_" + r, rest, "all repairs except %s" % r))
    v += [
        ("A_R3alt", ["R1", "R2", "R3alt_reset_at_end"], "R1+R2 + reset at the end of each epoch (compare with V3)"),
        ("A_R5alt_bs4", ["R1", "R2", "R3", "R4", "R5alt_batch_size_4"], "R1-R4 + `batch_size = 4` (iterator and divisor both 4)"),
        ("A_R5alt_bs4_R6", ["R1", "R2", "R3", "R4", "R5alt_batch_size_4", "R6"], "R1-R4 + `batch_size = 4` + R6 (compare with V6)"),
        ("A_R5alt_discard", ["R1", "R2", "R3", "R4", "R5alt_discard"], "R1-R4 + last_batch_handle='discard'"),
        ("A_R6alt_pass1", ["R1", "R2", "R3", "R4", "R5", "R6alt_pass_1"], "R1-R5 + rmsprop(..., 1, eps) (compare with V6)"),
        ("X_eps_equiv", CHAIN + ["EPS_1e-4"], "V6 with eps = 1e-4 (compare with V5: g/10 with eps 1e-6)"),
    ]
    return v


# ---------------------------------------------------------------------------
# Encoding helpers
# ---------------------------------------------------------------------------
def _nested(fn, obj):
    if isinstance(obj, list):
        return [_nested(fn, o) for o in obj]
    return fn(obj)


def enc(x, np):
    """Encode an NDArray / numpy array / python number exactly."""
    if hasattr(x, "asnumpy"):
        a = x.asnumpy()
    else:
        a = np.asarray(x)
    out = {"dtype": str(a.dtype), "shape": list(a.shape)}
    lst = a.tolist()
    if a.dtype.kind == "f":
        out["hex"] = _nested(lambda v: float(v).hex(), lst)
        out["repr"] = _nested(lambda v: repr(float(v)), lst)
        if a.dtype == np.float32:
            out["f32_repr"] = _nested(lambda v: str(np.float32(v)), lst)
    else:
        out["value"] = lst
    return out


def enc_scalar(v):
    if isinstance(v, float):
        return {"type": "float", "hex": v.hex(), "repr": repr(v)}
    return {"type": type(v).__name__, "repr": repr(v)}


def apply_edits(blocks, edits):
    blocks = list(blocks)
    applied = []
    for bi, old, new in edits:
        txt = blocks[bi - 1]
        n = txt.count(old)
        if n != 1:
            raise RuntimeError("edit target %r occurs %d times in block %d" % (old, n, bi))
        blocks[bi - 1] = txt.replace(old, new)
        applied.append({"block": bi, "old": old, "new": new})
    return blocks, applied


# ---------------------------------------------------------------------------
# Running one program variant
# ---------------------------------------------------------------------------
def _seed_line(block_index, edited_block, line_in_block):
    """Map a line of an edited block to the seed-file line it came from.

    Unchanged lines and 1:1 replaced lines map to the original line's seed
    line; inserted lines map to None."""
    orig = (BLOCK1, BLOCK2)[block_index - 1].split("\n")
    first = (BLOCK1_FIRST_SEED_LINE, BLOCK2_FIRST_SEED_LINE)[block_index - 1]
    sm = difflib.SequenceMatcher(a=orig, b=edited_block.split("\n"), autojunk=False)
    j = line_in_block - 1
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if j1 <= j < j2:
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                return first + i1 + (j - j1), orig[i1 + (j - j1)]
            return None, None
    return None, None


def _exc_record(e, blocks):
    tb = traceback.extract_tb(e.__traceback__)
    prog = [f for f in tb if f.filename.startswith("<seed-block")]
    mod = type(e).__module__
    rec = {"type": type(e).__name__ if mod == "builtins" else mod + "." + type(e).__name__,
           "message": str(e).strip()}
    if prog:
        f = prog[-1]
        bi = int(f.filename[len("<seed-block-"):-1])
        rec["program_block"] = bi
        rec["line_in_block"] = f.lineno
        rec["line_text"] = blocks[bi - 1].split("\n")[f.lineno - 1]
        rec["seed_file_line"], rec["seed_line_text"] = _seed_line(bi, blocks[bi - 1], f.lineno)
    inner = tb[-1]
    fn = inner.filename
    if "site-packages" in fn:
        fn = fn.split("site-packages" + os.sep, 1)[1]
    rec["innermost_frame"] = {"file": fn, "line": inner.lineno}
    msg_lines = rec["message"].splitlines()
    rec["message_last_line"] = msg_lines[-1] if msg_lines else ""
    return rec


def run_variant(blocks, mx, nd, autograd, np):
    """Exec the (edited) blocks with recording hooks.  Returns a dict."""
    b1, b2 = blocks
    b2_lines = b2.split("\n")
    split = next(i for i, s in enumerate(b2_lines) if s.startswith("# Train the model"))
    chunks = [
        (1, 0, b1),
        (2, 0, "\n".join(b2_lines[:split]) + "\n"),
        (2, split, "\n".join(b2_lines[split:])),
    ]
    ns = {"__name__": "__seed_program__"}
    divides = "g = param.grad / batch_size" in b1
    updates, loss_calls = [], []
    state = {"per_epoch": {}}

    def name_of(p):
        for k in ("w", "b"):
            if ns.get(k) is p:
                return k
        return "?"

    def hook_rmsprop(orig):
        def rmsprop(params, sqrs, lr, alpha, batch_size, eps):
            epoch = ns.get("epoch")
            k = state["per_epoch"].get(epoch, 0)
            state["per_epoch"][epoch] = k + 1
            batch = ns.get("batch")
            rec = {"update": len(updates) + 1, "epoch": epoch, "step_in_epoch": k + 1,
                   "args": {"lr": enc_scalar(lr), "alpha": enc_scalar(alpha),
                            "batch_size": enc_scalar(batch_size), "eps": enc_scalar(eps)}}
            if batch is not None:
                rec["batch"] = {"n_data": len(batch.data), "n_label": len(batch.label or []),
                                "pad": batch.pad, "data": enc(batch.data[0], np)}
                if batch.label:
                    rec["batch"]["label"] = enc(batch.label[0], np)
            if ns.get("l") is not None:
                rec["loss"] = enc(ns["l"], np)
            names = [name_of(p) for p in params]
            rec["params_before"] = {n: enc(p, np) for n, p in zip(names, params)}
            rec["grad"] = {n: enc(p.grad, np) for n, p in zip(names, params)}
            # the gradient the (edited) rmsprop body actually feeds to the update
            if divides:
                rec["g_eff"] = {n: enc(p.grad / batch_size, np) for n, p in zip(names, params)}
            else:
                rec["g_eff"] = {n: enc(p.grad, np) for n, p in zip(names, params)}
            rec["sqrs_before"] = {n: enc(s, np) for n, s in zip(names, sqrs)}
            orig(params, sqrs, lr, alpha, batch_size, eps)
            rec["sqrs_after"] = {n: enc(s, np) for n, s in zip(names, sqrs)}
            rec["params_after"] = {n: enc(p, np) for n, p in zip(names, params)}
            updates.append(rec)
        return rmsprop

    def hook_loss(orig):
        def loss_fn(X, y):
            rec = {"call": len(loss_calls) + 1, "epoch": ns.get("epoch"),
                   "recording": autograd.is_recording(),
                   "X_shape": list(X.shape), "y_shape": list(y.shape)}
            with autograd.pause():
                try:
                    r = nd.dot(X, ns["w"]) + ns["b"] - y
                    rec["dot_shape"] = list(nd.dot(X, ns["w"]).shape)
                    rec["residual_shape"] = list(r.shape)
                except Exception as e:  # pragma: no cover - diagnostic only
                    rec["residual_error"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[-1])
            out = orig(X, y)
            rec["value"] = enc(out, np)
            loss_calls.append(rec)
            return out
        return loss_fn

    buf = io.StringIO()
    result = {"status": "ok"}
    try:
        with contextlib.redirect_stdout(buf):
            for bi, pad, text in chunks:
                code = compile("\n" * pad + text, "<seed-block-%d>" % bi, "exec")
                exec(code, ns)
                if bi == 1 and "rmsprop" in ns:
                    ns["rmsprop"] = hook_rmsprop(ns["rmsprop"])
                if bi == 2 and pad == 0 and "loss_fn" in ns:
                    ns["loss_fn"] = hook_loss(ns["loss_fn"])
    except Exception as e:
        result["status"] = "error"
        result["exception"] = _exc_record(e, blocks)
    out = buf.getvalue()
    result["stdout"] = out
    result["epoch_lines"] = [s for s in out.splitlines() if s.startswith("Epoch ")]
    result["n_updates"] = len(updates)
    ne = ns.get("num_epochs")
    if isinstance(ne, int):
        result["updates_per_epoch"] = [state["per_epoch"].get(i, 0) for i in range(ne)]
    result["updates"] = updates
    result["eval_losses"] = [c["value"] for c in loss_calls if not c["recording"]]
    result["loss_fn_calls"] = [{k: v for k, v in c.items() if k != "value"} | {"value_hex": c["value"]["hex"]}
                               for c in loss_calls]
    if "w" in ns and hasattr(ns["w"], "asnumpy"):
        result["final"] = {"w": enc(ns["w"], np), "b": enc(ns["b"], np)}
    return result


# ---------------------------------------------------------------------------
# Independent implementation of the intended computation
# ---------------------------------------------------------------------------
def intended_run(mx, nd, autograd, np, dtype="float32", epochs=5, lr=0.03, alpha=0.9, eps=1e-6):
    X = nd.array([[1, 2], [3, 4], [5, 6], [7, 8]], dtype=dtype)
    Y = nd.array([[0], [-1], [-2], [-3]], dtype=dtype)
    w = nd.array([[0.5], [-0.3]], dtype=dtype)
    b = nd.zeros(1, dtype=dtype)
    w.attach_grad()
    b.attach_grad()
    params = [("w", w), ("b", b)]
    sqrs = [p.zeros_like() for _, p in params]
    ups, lines, evals = [], [], []
    for epoch in range(epochs):
        with autograd.record():
            l = nd.mean((nd.dot(X, w) + b - Y) ** 2)
        l.backward()
        rec = {"update": epoch + 1, "epoch": epoch, "step_in_epoch": 1,
               "batch": {"pad": 0, "data": enc(X, np), "label": enc(Y, np)},
               "loss": enc(l, np),
               "params_before": {n: enc(p, np) for n, p in params},
               "grad": {n: enc(p.grad, np) for n, p in params},
               "sqrs_before": {n: enc(s, np) for (n, _), s in zip(params, sqrs)}}
        for (n, p), s in zip(params, sqrs):
            g = p.grad
            s[:] = alpha * s + (1 - alpha) * nd.square(g)
            p[:] = p - lr * g / nd.sqrt(s + eps)
        rec["sqrs_after"] = {n: enc(s, np) for (n, _), s in zip(params, sqrs)}
        rec["params_after"] = {n: enc(p, np) for n, p in params}
        ups.append(rec)
        ev = nd.mean((nd.dot(X, w) + b - Y) ** 2)
        evals.append(enc(ev, np))
        lines.append("Epoch %d, loss %.4f" % (epoch, ev.asscalar()))
    return {"dtype": dtype, "n_updates": len(ups), "updates": ups, "eval_losses": evals,
            "epoch_lines": lines, "final": {"w": enc(w, np), "b": enc(b, np)}}


def _fma_dot(np, a, b):
    """float32 dot product as a sequential fused-multiply-add chain in index
    order: acc = fma(a[i], b[i], acc).  The float32 product is exact in float64,
    so one float64 add + rounding to float32 emulates the fma (double rounding
    is possible in principle; it does not occur in this run)."""
    f = np.float32
    acc = f(0)
    for x, y in zip(a, b):
        acc = f(np.float64(x) * np.float64(y) + np.float64(acc))
    return acc


def _kahan_sum(np, xs):
    """float32 compensated (Kahan) sum in index order, the algorithm of
    mshadow_op::sum::Reduce used by MXNet 1.x reductions."""
    f = np.float32
    acc, res = f(0), f(0)
    for x in xs:
        y = f(f(x) - res)
        t = f(acc + y)
        res = f(f(t - acc) - y)
        acc = t
    return acc


def numpy_replay_f32(np, epochs=5, lr=0.03, alpha=0.9, eps=1e-6, fma=True):
    """float32 numpy replay of the intended run, backward written out by hand.

    Python scalars are rounded to float32 first (as MXNet's *_scalar operators
    do).  With fma=True the two matrix products (forward X.w and backward
    X^T.dr) are sequential fma chains (see _fma_dot); with fma=False they are
    numpy's float32 matmul.  The remaining ops round after every operation:
    r = (Xw + b) - y; loss = sum(r*r)/n; dr = (1/n)*(2*r); gb = sum(dr)
    (with fma=True the sums are Kahan sums, see _kahan_sum);
    s = alpha*s + (1-alpha)*g*g; p = p - (lr*g)/sqrt(s + eps)."""
    f = np.float32
    X = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], f)
    Y = np.array([[0], [-1], [-2], [-3]], f)
    w = np.array([[0.5], [-0.3]], f)
    b = np.zeros(1, f)
    sw, sb = np.zeros_like(w), np.zeros_like(b)
    lr32, a32, oma32, e32 = f(lr), f(alpha), f(1 - alpha), f(eps)
    out = []
    for _ in range(epochs):
        if fma:
            xw = np.array([[_fma_dot(np, X[i], w[:, 0])] for i in range(4)], f)
        else:
            xw = X @ w
        r = (xw + b) - Y
        n = f(r.size)
        loss = (_kahan_sum(np, (r * r).ravel()) if fma else np.sum(r * r, dtype=f)) / n
        dr = (f(1) / n) * (f(2) * r)
        if fma:
            gw = np.array([[_fma_dot(np, X[:, j], dr[:, 0])] for j in range(2)], f)
        else:
            gw = X.T @ dr
        gb = (np.array([_kahan_sum(np, dr[:, 0])], f) if fma
              else np.sum(dr, axis=0, dtype=f).reshape(1))
        sw = a32 * sw + oma32 * (gw * gw)
        sb = a32 * sb + oma32 * (gb * gb)
        w = w - (lr32 * gw) / np.sqrt(sw + e32)
        b = b - (lr32 * gb) / np.sqrt(sb + e32)
        out.append({"loss": loss, "gw": gw, "gb": gb, "sw": sw, "sb": sb, "w": w, "b": b})
    return out


# ---------------------------------------------------------------------------
# Other observations
# ---------------------------------------------------------------------------
def iter_observations(mx, nd, np):
    X = nd.array([[1, 2], [3, 4], [5, 6], [7, 8]])
    y = nd.array([0, -1, -2, -3])
    yc = nd.array([[0], [-1], [-2], [-3]])
    obs = {}

    def batches(it, epochs, reset):
        res = []
        for ep in range(epochs):
            bl = []
            try:
                for bt in it:
                    bl.append({"n_data": len(bt.data), "n_label": len(bt.label),
                               "data_shape": list(bt.data[0].shape), "label_shape": list(bt.label[0].shape),
                               "data": bt.data[0].asnumpy().tolist(), "label": bt.label[0].asnumpy().tolist(),
                               "pad": bt.pad, "index": bt.index})
                res.append({"epoch": ep, "n_batches": len(bl), "batches": bl})
            except Exception as e:
                res.append({"epoch": ep, "n_batches": len(bl), "batches": bl,
                            "exception": {"type": type(e).__module__ + "." + type(e).__name__,
                                          "message_last_line": str(e).strip().splitlines()[-1]}})
                break
            if reset:
                it.reset()
        return res

    it = mx.io.NDArrayIter(X, y, 10)
    obs["defaults"] = {"provide_data": str(it.provide_data), "provide_label": str(it.provide_label),
                       "last_batch_handle": it.last_batch_handle, "num_data": it.num_data,
                       "batch_size": it.batch_size, "cursor_initial": it.cursor}
    obs["pad_no_reset_3_epochs"] = batches(it, 3, False)
    obs["pad_no_reset_cursor_after"] = it.cursor
    obs["pad_with_reset_3_epochs"] = batches(mx.io.NDArrayIter(X, y, 10), 3, True)
    obs["pad_column_label_1_epoch"] = batches(mx.io.NDArrayIter(X, yc, 10), 1, True)
    obs["discard_with_reset_2_epochs"] = batches(mx.io.NDArrayIter(X, y, 10, last_batch_handle="discard"), 2, True)
    obs["roll_over_with_reset_2_epochs"] = batches(mx.io.NDArrayIter(X, y, 10, last_batch_handle="roll_over"), 2, True)
    obs["batch_size_4_with_reset_2_epochs"] = batches(mx.io.NDArrayIter(X, yc, 4), 2, True)
    it2 = mx.io.NDArrayIter(X, y, 10)
    next(it2)
    try:
        next(it2)
        second = "returned a batch"
    except StopIteration:
        second = "StopIteration"
    obs["second_next_without_reset"] = second
    obs["iter_returns_self"] = iter(it2) is it2
    return obs


def shape_probe(mx, nd, np):
    """Shapes and values of nd.mean((nd.dot(X, w) + b - y) ** 2) at w0, b0."""
    w = nd.array([[0.5], [-0.3]])
    b = nd.zeros(1)
    X4 = nd.array([[1, 2], [3, 4], [5, 6], [7, 8]])
    X10 = nd.concat(X4, X4, X4[:2], dim=0)
    y4 = nd.array([0, -1, -2, -3])
    y10 = nd.concat(y4, y4, y4[:2], dim=0)
    cases = [("X10", X10, "y10", y10), ("X4", X4, "y4", y4), ("X10", X10, "y10col", y10.reshape((-1, 1))),
             ("X4", X4, "y4col", y4.reshape((-1, 1))), ("X4", X4, "y10", y10), ("X10", X10, "y4", y4),
             ("X4", X4, "y10col", y10.reshape((-1, 1)))]
    res = []
    for xn, Xv, yn, yv in cases:
        rec = {"X": xn, "X_shape": list(Xv.shape), "y": yn, "y_shape": list(yv.shape),
               "dot_shape": list(nd.dot(Xv, w).shape), "dot_plus_b_shape": list((nd.dot(Xv, w) + b).shape)}
        try:
            r = nd.dot(Xv, w) + b - yv
            rec["residual_shape"] = list(r.shape)
            rec["loss"] = enc(nd.mean(r ** 2), np)
        except Exception as e:
            rec["exception"] = {"type": type(e).__module__ + "." + type(e).__name__,
                                "message_last_line": str(e).strip().splitlines()[-1]}
        res.append(rec)
    return res


def _flat_hex(u):
    return json.dumps({k: u[k] for k in ("loss", "grad", "sqrs_after", "params_after") if k in u}, sort_keys=True)


def _max_abs_diff(np, a_updates, b_updates):
    m = 0.0
    for ua, ub in zip(a_updates, b_updates):
        for k in ("w", "b"):
            xa = np.array(_nested(float.fromhex, ua["params_after"][k]["hex"]), dtype=np.float64)
            xb = np.array(_nested(float.fromhex, ub["params_after"][k]["hex"]), dtype=np.float64)
            m = max(m, float(np.max(np.abs(xa - xb))))
    return m


def openblas_core(mx):
    """The kernel name MXNet's bundled OpenBLAS chose (``openblas_get_corename``), or None."""
    import ctypes

    path = os.path.join(os.path.dirname(mx.__file__), "libopenblas.so.0")
    if not os.path.exists(path):
        return None
    fn = ctypes.CDLL(path).openblas_get_corename
    fn.restype = ctypes.c_char_p
    return fn().decode()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", default=DEFAULT_OUT)
    ap.add_argument("--seed", default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    t0 = time.time()

    import numpy as np
    import mxnet as mx
    from mxnet import autograd, nd

    blocks_match = None
    seed_sha = None
    if os.path.exists(args.seed):
        raw = open(args.seed, "rb").read()
        seed_sha = hashlib.sha256(raw).hexdigest()
        seed_lines = raw.decode("utf-8").split("\n")
        got1 = "\n".join(seed_lines[BLOCK1_FIRST_SEED_LINE - 1:BLOCK1_FIRST_SEED_LINE - 1 + BLOCK1.count("\n")]) + "\n"
        got2 = "\n".join(seed_lines[BLOCK2_FIRST_SEED_LINE - 1:BLOCK2_FIRST_SEED_LINE - 1 + BLOCK2.count("\n")]) + "\n"
        blocks_match = (got1 == BLOCK1 and got2 == BLOCK2
                        and seed_lines[BLOCK1_FIRST_SEED_LINE - 2] == "```python"
                        and seed_lines[BLOCK2_FIRST_SEED_LINE - 2] == "```python")

    doc = {
        "meta": {
            "script": "scripts/mxnet_gluon_probe.py",
            "mxnet_version": mx.__version__,
            "numpy_version": np.__version__,
            "python_version": platform.python_version(),
            "platform": platform.platform(),
            "context": str(mx.context.current_context()),
            "default_dtype": str(nd.array([1]).dtype),
            "openblas_core": openblas_core(mx),
            "seed_path": os.path.relpath(args.seed, REPO_ROOT),  # no machine path in the record
            "seed_sha256": seed_sha,
            "seed_sha256_expected": SEED_SHA256,
            "seed_blocks_match_embedded": blocks_match,
            "block1_seed_lines": [BLOCK1_FIRST_SEED_LINE, BLOCK1_FIRST_SEED_LINE + BLOCK1.count("\n") - 1],
            "block2_seed_lines": [BLOCK2_FIRST_SEED_LINE, BLOCK2_FIRST_SEED_LINE + BLOCK2.count("\n") - 1],
            "value_encoding": "arrays: {dtype, shape, hex: float.hex of each element, repr: repr(float(v)), f32_repr: shortest float32 decimal}",
            "exception_lines": "line_in_block counts from the first line of the (edited) code block; seed_file_line is the seed-file line the (possibly edited) line comes from (null for an inserted line); seed_line_text is that seed line",
        },
        "edits": {"INIT": {"description": FIXED_INIT["description"], "kind": FIXED_INIT["kind"],
                           "edits": [{"block": b, "old": o, "new": n} for b, o, n in FIXED_INIT["edits"]]}},
        "ndarrayiter": iter_observations(mx, nd, np),
        "loss_shape_probe": shape_probe(mx, nd, np),
        "variants": {},
    }
    for k, v in EDITS.items():
        doc["edits"][k] = {"description": v["description"],
                           "edits": [{"block": b, "old": o, "new": n} for b, o, n in v["edits"]]}

    for vid, edit_ids, desc in _variants():
        if edit_ids is None:
            blocks, applied = [BLOCK1, BLOCK2], []
            ids = []
        else:
            ids = ["INIT"] + edit_ids
            allr = FIXED_INIT["edits"] + [e for r in edit_ids for e in EDITS[r]["edits"]]
            blocks, applied = apply_edits([BLOCK1, BLOCK2], allr)
        res = run_variant(blocks, mx, nd, autograd, np)
        rec = {"description": desc, "edit_ids": ids, "program_block1": blocks[0], "program_block2": blocks[1]}
        rec.update(res)
        if vid == "V0_verbatim":
            rec.pop("final", None)  # random init: values are not reproducible
        doc["variants"][vid] = rec
        status = res["status"] if res["status"] == "ok" else "%s: %s" % (
            res["exception"]["type"], res["exception"]["message_last_line"])
        print("%-16s updates=%-2d %s" % (vid, res["n_updates"], status), file=sys.stderr)
        for line in res["epoch_lines"]:
            print("    " + line, file=sys.stderr)

    # ---- intended computation, independent implementation -----------------
    doc["intended_float32"] = intended_run(mx, nd, autograd, np, "float32")
    doc["intended_float64"] = intended_run(mx, nd, autograd, np, "float64")
    V = doc["variants"]
    cmp = {}
    ia = doc["intended_float32"]["updates"]
    for vid in ("V6", "A_R5alt_bs4_R6", "A_R6alt_pass1"):
        vb = V[vid]["updates"]
        cmp["%s_bitwise_equal_intended_float32" % vid] = (
            len(vb) == len(ia) and all(_flat_hex(a) == _flat_hex(b) for a, b in zip(ia, vb))
            and V[vid]["epoch_lines"] == doc["intended_float32"]["epoch_lines"])
    cmp["A_R3alt_bitwise_equal_V3"] = [_flat_hex(u) for u in V["A_R3alt"]["updates"]] == [_flat_hex(u) for u in V["V3"]["updates"]]
    # eps rescaling: g/10 with eps vs g with eps*100 are mathematically the same update
    cmp["V5_vs_X_eps_equiv"] = {
        "note": "V5 divides the mean-loss gradient by batch_size=10 with eps=1e-6; X_eps_equiv uses it undivided with eps=1e-4. "
                "lr*(g/c)/sqrt(s/c^2+eps) == lr*g/sqrt(s+c^2*eps), so the two runs agree up to float32 rounding.",
        "max_abs_param_diff": _max_abs_diff(np, V["V5"]["updates"], V["X_eps_equiv"]["updates"]),
        "bitwise_equal": [_flat_hex({"params_after": u["params_after"]}) for u in V["V5"]["updates"]]
        == [_flat_hex({"params_after": u["params_after"]}) for u in V["X_eps_equiv"]["updates"]],
    }
    cmp["V6_vs_intended_float64_max_abs_param_diff"] = _max_abs_diff(np, ia, doc["intended_float64"]["updates"])
    # numpy float32 replays
    def hx(a):
        return _nested(lambda v: float(v).hex(), np.asarray(a).tolist())

    for tag, use_fma in (("fma_dots_kahan_sums", True), ("numpy_matmul_sum", False)):
        per = []
        for u, r in zip(ia, numpy_replay_f32(np, fma=use_fma)):
            per.append({
                "update": u["update"],
                "loss_equal": hx(r["loss"].reshape(1)) == u["loss"]["hex"],
                "grad_w_equal": hx(r["gw"]) == u["grad"]["w"]["hex"],
                "grad_b_equal": hx(r["gb"]) == u["grad"]["b"]["hex"],
                "sqrs_equal": hx(r["sw"]) == u["sqrs_after"]["w"]["hex"] and hx(r["sb"]) == u["sqrs_after"]["b"]["hex"],
                "params_equal": hx(r["w"]) == u["params_after"]["w"]["hex"] and hx(r["b"]) == u["params_after"]["b"]["hex"],
                "replay_grad": {"w": enc(r["gw"], np), "b": enc(r["gb"], np)},
                "replay_params_after": {"w": enc(r["w"], np), "b": enc(r["b"], np)},
            })
        cmp["numpy_float32_replay_of_intended_" + tag] = {
            "note": numpy_replay_f32.__doc__.split("\n")[0] + " dots: " + tag,
            "all_bitwise_equal": all(all(v for k, v in p.items() if k.endswith("_equal")) for p in per),
            "per_update": per,
        }
    doc["comparisons"] = cmp

    out = args.out
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=1, sort_keys=False)
        fh.write("\n")
    print("comparisons: " + json.dumps({k: (v if not isinstance(v, dict) else
                                            {kk: vv for kk, vv in v.items() if kk not in ("per_update", "note")})
                                        for k, v in cmp.items()}), file=sys.stderr)
    print("wrote %s in %.1f s" % (out, time.time() - t0), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
