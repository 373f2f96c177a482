"""``python -m oracle certify MODULE:ATTR [options]``: run the suite, print the certificate.

Runs pytest on :mod:`oracle.conformance.suite` with the plugin's options (a bad
``MODULE:ATTR`` is reported as a usage error with close matches, exit status 2)
and prints the JSON certificate.
"""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser("certify", help="certify an RMSProp implementation (the conformance suite)")
    p.add_argument("optimizer", metavar="MODULE:ATTR", help="factory: step = factory(params, *, lr, rho, eps, **options)")
    p.add_argument("--convention", default="auto", help="preset name or auto (default: auto)")
    p.add_argument("--hyperparameters", default="exact", choices=("exact", "float32", "float32_lr", "auto"))
    p.add_argument("--dtype", default="float64,float32,float16", help="comma-separated dtypes")
    p.add_argument("--profile", default="default", choices=("quick", "default", "thorough"))
    p.add_argument("--certificate", default=None, metavar="PATH", help="also write the JSON certificate here")
    p.add_argument("--case-timeout", default="60", metavar="SECONDS")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the certificate")
    p.set_defaults(func=_certify)


def _certify(args: argparse.Namespace) -> int:
    import json
    import os
    import sys
    import tempfile

    from .candidate import UsageError, load

    try:
        load(args.optimizer)
    except UsageError as exc:
        print(f"python -m oracle certify: error: {exc}", file=sys.stderr)
        return 2
    import pytest

    from .plugin import SUITE

    with tempfile.TemporaryDirectory() as tmp:
        path = args.certificate or os.path.join(tmp, "certificate.json")
        argv = [SUITE, "-p", "no:cacheprovider", f"--optimizer={args.optimizer}", f"--convention={args.convention}",
                f"--hyperparameters={args.hyperparameters}", f"--dtype={args.dtype}",
                f"--oracle-profile={args.profile}", f"--certificate={path}", f"--case-timeout={args.case_timeout}",
                "-o", "addopts=", "-o", "filterwarnings=", "--rootdir", tmp, "-q" if not args.quiet else "-qq"]
        if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") or not _plugin_via_entry_point():
            argv += ["-p", "oracle.conformance.plugin"]
        code = pytest.main(argv)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                print(json.dumps(json.load(fh), indent=2))
    return int(code)


def _plugin_via_entry_point() -> bool:
    from importlib.metadata import entry_points

    return any(ep.value.startswith("oracle.conformance.plugin") for ep in entry_points(group="pytest11"))
