"""``python -m oracle certify MODULE:ATTR [options] [-- PYTEST-ARGS]``: run the suite, report the certificate.

The options are the plugin's (:mod:`.options`: ``--convention``,
``--hyperparameters``, ``--dtype``, ``--oracle-profile``, ``--certificate``,
``--case-timeout``, ``--isolation``).  With ``--json`` only the JSON
certificate goes to standard output and pytest's report goes to standard
error.  The exit status is pytest's, except that a usage error (a bad
``MODULE:ATTR`` or option value) is 2.
"""

from __future__ import annotations

import argparse

def register(subparsers) -> None:
    from ..judge.options import add_to_argparse

    p = subparsers.add_parser("certify", help="certify an RMSProp implementation (the conformance suite)",
                              description="Run the conformance suite on MODULE:ATTR and report the certificate "
                                          "(the options are the pytest plugin's).",
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("optimizer", metavar="MODULE:ATTR", help="factory: step = factory(params, *, lr, rho, eps, **options)")
    add_to_argparse(p)
    p.add_argument("--json", action="store_true", help="write only the JSON certificate to stdout (pytest's "
                                                       "report to stderr)")
    p.add_argument("-q", "--quiet", action="store_true", help="less pytest output, no progress notes")
    p.set_defaults(func=_certify)
    p.epilog = ("Arguments after -- go to pytest, e.g. -- -k docs-example, -- -n 2 (pytest-xdist) or -- --tb=short "
                "(every failed test's report, not only the first of each cause).\n\n"
                "examples:\n"
                "  python -m oracle certify oracle.adapters.torch:rmsprop\n"
                "  python -m oracle certify mypkg.opt:make_rmsprop --convention=pytorch --dtype=float32 --json\n"
                "  python -m oracle certify mypkg.opt:make_rmsprop -- -x -k docs-example")


def _certify(args: argparse.Namespace) -> int:
    import contextlib
    import os
    import sys
    import tempfile

    import pytest

    from ...progress import interactive, set_quiet
    from ..judge.options import OPTIONS, argv
    from .plugin import SUITE, UNNAMED

    opts = {o.name: getattr(args, o.name) for o in OPTIONS}
    extra = list(getattr(args, "extra", []))
    if any(a in ("-n", "--numprocesses", "--dist") or a.startswith(("-n=", "--numprocesses", "--dist=")) or
           (a.startswith("-n") and a[2:].isdigit()) for a in extra) and not _has_xdist():
        print("error: -n/--dist run the suite in parallel with pytest-xdist, which is not installed "
              "(pip install pytest-xdist)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        cert = args.certificate or (os.path.join(tmp, "certificate.json") if args.json else None)
        flags = argv({**opts, "certificate": cert})
        # no project's configuration applies to the suite (certify.ini is empty); test ids relative to the suite's
        # folder (suite.py::test_case[...]); no assertion rewriting (the suite's verdicts are its own); no report per
        # failed test (--tb=no: the summary shows the first report of each cause of failure; -- --tb=short for all)
        cmd = [SUITE, *flags, "-p", "no:cacheprovider", "-c", os.path.join(os.path.dirname(SUITE), "certify.ini"),
               "--rootdir", os.path.dirname(SUITE),
               "--assert=plain", "--tb=no", *(["-q"] if args.quiet or args.json else []), *extra]
        if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") or not _plugin_via_entry_point():
            cmd += ["-p", "oracle.conformance.pytest.plugin"]
        set_quiet(args.quiet)
        if interactive():  # collection starts the candidate's worker and runs the probes: seconds of silence
            print("certify: starting the candidate and collecting the suite (the probes run now) ...", file=sys.stderr)
        sink = sys.stderr if args.json else sys.stdout
        if args.certificate is None and cert is not None:  # ours, temporary: never named
            cmd.append(UNNAMED)
        with contextlib.redirect_stdout(sink):
            code = int(pytest.main(cmd))
        if args.json and cert and os.path.exists(cert):
            with open(cert, encoding="utf-8") as fh:
                sys.stdout.write(fh.read())
    return 2 if code == int(pytest.ExitCode.USAGE_ERROR) else code


def _has_xdist() -> bool:
    import importlib.util

    return importlib.util.find_spec("xdist") is not None


def _plugin_via_entry_point() -> bool:
    from importlib.metadata import entry_points

    return any(ep.value.startswith("oracle.conformance.pytest.plugin") for ep in entry_points(group="pytest11"))
