"""``python -m oracle plot``: the error-vs-bound picture of a case and a candidate, or of a golden file.

Without matplotlib it exits 2 with one line naming the ``plot`` extra.  Bad
input (unknown case or golden file, bad dtype, optimizer or convention spec,
unknown output suffix) is one line on stderr naming the field and echoing the
value, exit status 2; a candidate that breaks the protocol exits 1.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plot`` subcommand."""
    from ..conformance.judge.options import BY_NAME

    p = subparsers.add_parser("plot", help="draw a candidate's error against the error bound (needs the plot extra)",
                              description="Draw a candidate's error against the error bound on a conformance case, "
                                          "or a golden file's certified trajectory.",
                              formatter_class=argparse.RawDescriptionHelpFormatter,
                              epilog="examples:\n"
                                     "  python -m oracle plot --case docs-example --optimizer "
                                     "oracle.adapters.torch:rmsprop --convention pytorch --dtype float32 -o out.png\n"
                                     "  python -m oracle plot --golden docs-docs-binary64-200 --dtype float64\n"
                                     "  python -m oracle plot --list")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--case", metavar="NAME", help="a conformance case, e.g. docs-example")
    what.add_argument("--golden", metavar="NAME", help="a golden file (case name or .json path)")
    what.add_argument("--list", action="store_true", help="list the case and golden file names")
    p.add_argument(BY_NAME["optimizer"].flag, metavar=BY_NAME["optimizer"].metavar, default=None,
                   help="candidate factory (default: the package's float implementation, "
                        "oracle.conformance.judge.builtin:<preset>)")
    p.add_argument("--convention", metavar="SPEC", default=None,
                   help="PRESET[,FIELD=VALUE...] for --case (default: the candidate's CONVENTION; seed without --optimizer)")
    p.add_argument("--dtype", default=None,
                   help="float64, float32 or float16 (default float64 for --case; for --golden without it: "
                        "the certified trajectory and its horizons only)")
    p.add_argument(BY_NAME["oracle_profile"].flag, default="default", metavar=BY_NAME["oracle_profile"].metavar,
                   help="the suite's profile the case is taken from (default: default)")
    p.add_argument("--steps", default=None, help="--golden: replay only this many steps")
    p.add_argument("-o", "--output", metavar="PATH", default=None,
                   help="PNG, SVG or PDF by suffix (default: NAME-DTYPE.png here)")
    p.set_defaults(func=_plot)


def _fail(message: str, code: int = 2) -> int:
    print(f"python -m oracle plot: error: {message}", file=sys.stderr)
    return code


def _plot(args: argparse.Namespace) -> int:
    from . import EXTRA, PlotUnavailable

    if args.list:
        return _list(args)
    if not (args.case or args.golden):
        return _fail("give --case NAME or --golden NAME (--list names them)")
    try:
        from . import require

        require()
    except PlotUnavailable:
        return _fail(f"matplotlib is not installed; install the plot extra: {EXTRA}")
    from ..conformance.isolation.candidate import CandidateError
    from . import error_figure, golden_figure, save
    from .draw import FORMATS

    name = args.case or args.golden
    out = args.output or f"{name.rsplit('/', 1)[-1].removesuffix('.json')}-{args.dtype or 'trajectory'}.png"
    if not out.lower().endswith(tuple(FORMATS)):
        return _fail(f"--output must end in {', '.join(FORMATS)}, got {out!r}")
    try:
        steps = None if args.steps is None else _positive(args.steps)
        if args.case:
            fig = error_figure(args.case, args.optimizer, convention=args.convention, dtype=args.dtype or "float64",
                               profile=args.oracle_profile)
        else:
            if args.convention is not None:
                return _fail(f"--convention: a golden file has its own convention, got {args.convention!r}")
            fig = golden_figure(args.golden, args.dtype, optimizer=args.optimizer, steps=steps)
        path = save(fig, out)
    except CandidateError as err:
        return _fail(f"the candidate failed: {err}", 1)
    except ValueError as err:
        return _fail("--" + str(err).replace("\n", " "))
    print(f"wrote {path}")
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"steps must be a positive integer, got {text!r}")
    return value


def _list(args: argparse.Namespace) -> int:
    from ..conformance.judge.sources import all_cases
    from ..golden import GOLDEN_DIR

    print("cases (--case):", " ".join(c.name for c in all_cases(args.dtype or "float64", args.profile)))
    print("golden files (--golden):", " ".join(sorted(p.stem for p in GOLDEN_DIR.glob("*.json") if p.stem != "schema")))
    return 0
