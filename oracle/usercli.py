"""``python -m oracle run FILE [CASE]`` and ``python -m oracle check-table FILE --case CASE``.

``run`` prints a case's certified table with its provenance (``--plot PATH``
also draws the certified trajectory and its horizons; needs the plot extra);
``check-table`` checks a published table (CSV or Markdown: step, field,
element, value) against the certified values and exits 1 when any printed
digit is wrong.  A bad case file or table is one line on stderr naming the
file, the line, the key and the value; exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` and ``check-table`` subcommands."""
    raw = argparse.RawDescriptionHelpFormatter
    r = subparsers.add_parser("run", help="a user case file's certified table (docs/user-cases.md)",
                              description=__doc__.splitlines()[0], formatter_class=raw,
                              epilog="examples:\n  python -m oracle run examples/least_squares.toml\n"
                                     "  python -m oracle run examples/one_step.toml --digits 20 --format csv")
    r.add_argument("file", type=Path, metavar="FILE", help="a case file (.toml or .py) or a folder of them")
    r.add_argument("case", nargs="?", default=None, metavar="CASE", help="the case (default: the file's only one)")
    r.add_argument("--digits", type=int, default=None, help="significant digits shown (default: the case's)")
    r.add_argument("--fields", default="params,loss",
                   help="comma-separated: params, state.v, state.m, state.b, grads, loss (default: params,loss)")
    r.add_argument("--format", choices=("md", "csv"), default="md")
    r.add_argument("--plot", type=Path, default=None, metavar="PATH",
                   help="also draw the certified trajectory and its horizons (PNG, SVG or PDF by suffix)")
    r.set_defaults(func=_run)
    c = subparsers.add_parser("check-table", help="check a published table of RMSProp values against a case",
                              description="Check each printed number of a table (CSV or Markdown: step, field, "
                                          "element, value) against the case's certified values; exit 1 if any "
                                          "printed digit is wrong.", formatter_class=raw,
                              epilog="example:\n  python -m oracle check-table table.csv --case cases.toml:my-case")
    c.add_argument("table", type=Path, metavar="FILE", help="the table, .csv or .md")
    c.add_argument("--case", required=True, metavar="CASE_FILE[:NAME]",
                   help="the case file (and the case's name when it holds several): cases.toml:my-case; with "
                        "--dir, the case's name in that user golden folder")
    c.add_argument("--dir", type=Path, default=None, metavar="OUT",
                   help="a user golden folder (golden regen --cases ... --dir OUT) whose case --case names")
    c.set_defaults(func=_check_table)


def _split(spec: str) -> tuple[Path, object]:
    path, sep, name = spec.rpartition(":")
    if sep and path and (Path(path).exists() or not Path(spec).exists()):
        return Path(path), name
    return Path(spec), None


def _run(args: argparse.Namespace) -> int:
    from .cases.case import CaseError
    from .cases.case import find
    from .cases.trajectory import certified_trajectory
    from .golden import usercases, usercite

    try:
        case = find(args.file, args.case)
        if args.digits is not None and args.digits > case.digits:
            case = type(case)(**{**case.fields, "digits": args.digits})
        traj = certified_trajectory(case)
        doc = usercases.build(case, traj)
        fields = [f.strip() for f in args.fields.split(",") if f.strip()]
        table = traj.table(fields=fields, digits=args.digits, style=args.format)
    except (CaseError, ValueError, ArithmeticError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    note = usercite.caption(doc, args.digits or case.digits)
    print(f"# {note}" if args.format == "csv" else note)
    if args.format == "md":
        print()
    print(table)
    h = {d: v for d, v in (doc.get("horizon") or {}).items() if d != "criterion"}
    if h and args.format == "md":
        print("\nhorizon (the last step a float implementation in that dtype can be held to these values): " +
              ", ".join(f"{d} {'beyond the run' if v is None else f'step {v}'}" for d, v in h.items()))
    if args.plot is not None:
        return _plot(doc, args.plot)
    return 0


def _plot(doc: dict, path: Path) -> int:
    from fractions import Fraction

    import numpy as np

    from .plot import draw
    from .plot import golden as G

    try:
        draw.require()
    except draw.PlotUnavailable:
        print(f"error: --plot needs matplotlib: {draw.EXTRA}", file=sys.stderr)
        return 2
    steps = [int(r["step"]) for r in doc["steps"]]
    values = np.array([[float(Fraction(v["dec"])) for n in doc["initial_params"] for v in r["params"][n]["values"]]
                       for r in doc["steps"]])
    fig = draw.golden_trajectory_figure(doc, steps, values, G.labels(doc), G.horizons(doc))
    try:
        print(f"wrote {draw.save(fig, path)}", file=sys.stderr)
    except ValueError as err:
        print(f"error: --plot: {err}", file=sys.stderr)
        return 2
    return 0


def _check_table(args: argparse.Namespace) -> int:
    from .cases.case import CaseError
    from .cases.checktable import check_file
    from .cases.case import find

    try:
        if args.dir is not None:
            from .golden.usercases import manifest_cases

            (case,) = manifest_cases(args.dir, [args.case])
        else:
            path, name = _split(args.case)
            case = find(path, name)  # type: ignore[arg-type]
        report = check_file(args.table, case)
    except (CaseError, ValueError, ArithmeticError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(report.table())
    return 0 if report.ok else 1
