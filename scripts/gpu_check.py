#!/usr/bin/env python3
"""Certify torch's RMSprop and optax on a CUDA GPU; write their compatibility-matrix rows.

Usage (``scripts/gpu_check.sh`` is the wrapper the coordinator runs)::

    OUT=/tmp/gpu python scripts/gpu_check.py --out "$OUT" [--jobs 8] [--budget 270] [--profile quick]
    ORACLE_GPU_DEVICE=cpu python scripts/gpu_check.py --out DIR --only torch   # the same code on the CPU

Each configuration (``CONFIGS``: an adapter of ``oracle/adapters/`` and a dtype) is certified
with ``python -m oracle certify MODULE:ATTR --convention=<its CONVENTION> --dtype=D`` in its own
process (the candidate in the suite's worker process, on the GPU; the reference on the CPU),
several at once, each with its own time limit, so that one configuration that fails, hangs or
crashes leaves the others' results intact.  torch: ``torch.optim.RMSprop`` with
``foreach=False``, ``foreach=True``, ``capturable=True`` and ``fused=True`` (declined where the
installed torch has no fused RMSprop) in float64, float32, float16 and bfloat16; optax:
``optax.rmsprop`` eager and jitted on jax's GPU in float32, float16 and bfloat16.

Without a CUDA device (and without ``ORACLE_GPU_DEVICE=cpu``) it exits with status 2 and says
so.  It writes, under ``--out``:

* ``gpu-matrix.json``: the rows in ``golden/matrix/compatibility.json``'s format (frameworks
  ``torch-cuda`` and ``jax-gpu``), with the GPU, driver and versions; merge them into the
  matrix with ``python scripts/compat_matrix.py --merge OUT/gpu-matrix.json``;
* ``gpu-matrix.md``: those rows rendered as on ``golden/compatibility.md``;
* ``gpu-check.log``: every configuration's command, time and the tail of its output;
* ``summary.txt``: the compact summary also printed to stdout.

Exit status: 0 when every configuration ran and none failed or errored (declines are fine),
1 otherwise, 2 without CUDA.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TORCH_DTYPES = ("float64", "float32", "float16", "bfloat16")
JAX_DTYPES = ("float32", "float16", "bfloat16")
CONFIGS = [("torch-cuda", f"oracle.adapters.torch:{attr}", TORCH_DTYPES) for attr in (
    "rmsprop_cuda_single", "rmsprop_cuda_foreach", "rmsprop_cuda_capturable", "rmsprop_cuda_fused")] + [
    ("jax-gpu", f"oracle.adapters.optax:{attr}", JAX_DTYPES) for attr in ("rmsprop_gpu", "rmsprop_gpu_jit")]
"""(framework, adapter, dtypes): every configuration certified."""

ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
"""Environment of every certification (jax would otherwise take 75% of the GPU's memory per process)."""


def cuda_report() -> tuple[bool, dict]:
    """(whether a CUDA device is usable, what was found): torch and jax asked in subprocesses."""
    found: dict = {"python": platform.python_version()}
    probes = {
        "torch": "import torch, json; ok = torch.cuda.is_available(); print(json.dumps({'version': torch.__version__, "
                 "'cuda': torch.version.cuda, 'available': ok, 'device': torch.cuda.get_device_name(0) if ok else None}))",
        "jax": "import jax, json; import optax; ds = [d for d in jax.devices() if d.platform == 'gpu']; "
               "print(json.dumps({'version': jax.__version__, 'optax': optax.__version__, 'available': bool(ds), "
               "'device': str(ds[0].device_kind) if ds else None}))",
    }
    for name, code in probes.items():
        try:
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                                  env={**os.environ, **ENV})
            found[name] = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else \
                {"available": False, "error": (proc.stderr.strip().splitlines() or ["?"])[-1][:200]}
        except (subprocess.TimeoutExpired, IndexError, ValueError) as exc:
            found[name] = {"available": False, "error": str(exc)[:200]}
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30)
        found["nvidia-smi"] = smi.stdout.strip() or smi.stderr.strip()[:200]
    except (OSError, subprocess.TimeoutExpired) as exc:
        found["nvidia-smi"] = f"not available ({exc.__class__.__name__})"
    return any(found[n].get("available") for n in probes), found


def certify_one(adapter: str, dtype: str, profile: str, timeout: float) -> dict:
    """One configuration: the suite's verdict and statistics for ``adapter`` in ``dtype`` (a row)."""
    from oracle.adapters.certify import adapter_convention, certify

    spec = adapter_convention(adapter)
    t0 = time.time()
    row: dict = {"dtype": dtype}
    try:
        r = certify(adapter, spec, [dtype], python=sys.executable, profile=profile, timeout=timeout, env=ENV)
    except subprocess.TimeoutExpired:
        row.update(verdict="error", error=f"did not finish within {timeout:.0f} s", output="")
    except Exception as exc:  # an oracle-side problem: reported for this row, the others go on
        row.update(verdict="error", error=f"{exc.__class__.__name__}: {exc}", output="")
    else:
        stats = r["dtypes"].get(dtype)
        if stats is None:
            row.update(verdict="error", error=(r.get("output", "").strip().splitlines() or ["no certificate"])[-1][:300])
        else:
            row.update(stats)
            row["failures"] = [{"test": f["test"], "detail": _gist(f["detail"])} for f in r["failures"]]
            row["declined_reasons"] = r["declined"][:5]
        row["output"] = r.get("output", "")[-1500:]
    row["seconds"] = round(time.time() - t0)
    return row


def _gist(detail: str) -> str:
    lines = [x.strip() for x in detail.strip().splitlines() if x.strip()]
    why = [x for x in lines if "cause" in x or "catalogued mistake" in x or "raised" in x]
    return (why or lines or [""])[0][:300]


def run(out: Path, jobs: int, budget: float, profile: str, only: Optional[list], found: dict,
        adapters: Optional[list] = None, dtypes: Optional[list] = None) -> int:
    from compat_matrix import FRAMEWORKS, render  # scripts/ is on sys.path when run as a script
    from oracle.adapters.certify import adapter_convention

    started = time.time()
    tasks = [(fw, a, d) for fw, a, ds in CONFIGS for d in ds if (not only or fw.split("-")[0] in only)
             and (not adapters or a.split(":")[1] in adapters) and (not dtypes or d in dtypes)]
    results: dict = {}
    log = []

    def job(task: tuple) -> tuple:
        left = budget - (time.time() - started)
        if left < 20:
            return task, {"dtype": task[2], "verdict": "error", "error": "not run: the time budget was spent",
                          "seconds": 0, "output": ""}
        return task, certify_one(task[1], task[2], profile, timeout=min(left, 240))

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for (fw, adapter, dtype), row in pool.map(job, tasks):
            results[(fw, adapter, dtype)] = row
            log.append(f"== {adapter} {dtype}: {row['verdict']} ({row['seconds']} s)\n{row.pop('output', '')}\n")
    doc: dict = {"frameworks": {}, "generated": {
        "date": datetime.date.today().isoformat(), "profile": profile, "python": platform.python_version(),
        "last_run_seconds": round(time.time() - started), "device": os.environ.get("ORACLE_GPU_DEVICE") or "cuda",
        "found": found}}
    for fw, adapter, _ in CONFIGS:
        rows = {d: r for (f, a, d), r in results.items() if a == adapter}
        if not rows:
            continue
        entry = doc["frameworks"].setdefault(fw, {
            "label": FRAMEWORKS[fw]["label"], "rounding": FRAMEWORKS[fw]["rounding"], "findings": [],
            "versions": _versions(fw, found), "adapters": [], "seconds": 0, "figure": None})
        entry["adapters"].append({"adapter": adapter, "convention": adapter_convention(adapter), "dtypes": rows})
        entry["seconds"] += sum(r["seconds"] for r in rows.values())
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu-matrix.json").write_text(json.dumps(doc, indent=1) + "\n")
    (out / "gpu-matrix.md").write_text(render(doc))
    (out / "gpu-check.log").write_text(json.dumps(found, indent=1) + "\n\n" + "\n".join(log))
    summary = _summary(doc, results)
    (out / "summary.txt").write_text(summary)
    print(summary, end="")
    bad = [r for r in results.values() if r["verdict"] in ("failed", "error")]
    return 1 if bad else 0


def _versions(fw: str, found: dict) -> dict:
    if fw == "torch-cuda":
        t = found.get("torch", {})
        return {"torch": t.get("version"), "cuda": t.get("cuda"), "gpu": t.get("device")}
    j = found.get("jax", {})
    return {"jax": j.get("version"), "optax": j.get("optax"), "gpu": j.get("device")}


def _summary(doc: dict, results: dict) -> str:
    g = doc["generated"]
    lines = [f"gpu_check: {len(results)} configurations in {g['last_run_seconds']} s on {g['device']} "
             f"({g['found'].get('nvidia-smi', '?')})"]
    for (fw, adapter, dtype), r in results.items():
        stats = "" if not r.get("passed") else \
            f" {r['passed']}/{r['failed']}/{r['declined']} worst LRE {r.get('worst_lre') or 0:.2f} " \
            f"x bound {r.get('worst_fraction_of_bound') or 0:.3g}"
        why = (r.get("error") or "; ".join(r.get("declined_reasons", [])[:1])
               or ", ".join(f["test"] for f in r.get("failures", [])[:3])) if r["verdict"] != "certified" else ""
        lines.append(f"  {adapter.split(':')[1]:<32} {dtype:<9} {r['verdict']:<18}{stats}"
                     + (f"  [{why[:120]}]" if why else ""))
    counts: dict = {}
    for r in results.values():
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    lines.append("totals: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return "\n".join(lines) + "\n"


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.environ.get("OUT"), help="output folder (default: $OUT)")
    ap.add_argument("--jobs", type=int, default=8, help="certifications at once (default 8)")
    ap.add_argument("--budget", type=float, default=270, help="seconds for the whole run (default 270)")
    ap.add_argument("--profile", default="quick", choices=("quick", "default", "thorough"))
    ap.add_argument("--only", action="append", choices=("torch", "jax"), help="only this framework (repeatable)")
    ap.add_argument("--adapter", action="append", help="only this factory, e.g. rmsprop_cuda_foreach (repeatable)")
    ap.add_argument("--dtype", action="append", help="only this dtype (repeatable)")
    args = ap.parse_args(argv)
    if not args.out:
        ap.error("give --out DIR or set $OUT")
    ok, found = cuda_report()
    if os.environ.get("ORACLE_GPU_DEVICE", "") == "cpu":
        print("gpu_check: ORACLE_GPU_DEVICE=cpu: running the GPU configurations on the CPU (a smoke test)")
    elif not ok:
        print("gpu_check: no CUDA device is visible to torch or jax here; nothing certified. "
              f"Found: {json.dumps(found)}", file=sys.stderr)
        return 2
    return run(Path(args.out), args.jobs, args.budget, args.profile, args.only, found, args.adapter, args.dtype)


if __name__ == "__main__":
    sys.exit(main())
