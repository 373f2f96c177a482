"""``python -m oracle golden regen|check|diff|list`` and ``python -m oracle cite``.

Every bad input (unknown case, missing, unreadable or damaged golden data, too
many digits, unknown step or field) is reported as one line on stderr with exit
status 2; ``check`` exits 1 on any drift, missing or unexpected file, stale
temporary file or stale page.  ``check`` and ``list`` show the provenance of the
files (the versions that computed them), which is not compared unless
``--strict``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DIR_HELP = "golden folder (default: the installed package's golden data; in a clone, its golden/)"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``golden`` and ``cite`` subcommands."""
    g = subparsers.add_parser("golden", help="golden files: regen, check, diff, list")
    gsub = g.add_subparsers(dest="golden_command", required=True)
    for name, helptext in (("regen", "recompute and rewrite golden files (all, or the CASEs named)"),
                           ("check", "recompute everything; exit 1 on any drift, missing or unexpected file"),
                           ("diff", "show every field that changed")):
        p = gsub.add_parser(name, help=helptext)
        p.add_argument("cases", nargs="*", metavar="CASE")
        p.add_argument("--dir", type=Path, default=None, help=DIR_HELP)
        p.add_argument("--jobs", type=int, default=None, help="worker processes (default: CPU count, at most 4)")
        p.add_argument("--long", action="store_true",
                       help="also recompute the long cases (minutes; without it check verifies them against "
                            "the shorter cases they extend)")
        p.add_argument("--cases", dest="case_source", type=Path, default=None, metavar="FILE_OR_DIR",
                       help="user case file(s) (.toml/.py, docs/user-cases.md); with --dir OUT")
        p.add_argument("--strict", action="store_true",
                       help="compare provenance too (the package, mpmath and sympy versions and the working "
                            "precision that computed each file); regen: rewrite files whose provenance differs")
        p.set_defaults(func=_golden)
    lp = gsub.add_parser("list", help="list the cases with their kind and provenance")
    lp.add_argument("--dir", type=Path, default=None, help=DIR_HELP)
    lp.set_defaults(func=_list)
    c = subparsers.add_parser("cite", help="ready-to-paste tables of certified values from a golden file")
    c.add_argument("case", metavar="CASE")
    c.add_argument("--step", type=int, default=None, help="only this step (default: every stored step)")
    c.add_argument("--field", default=None, help="params, state.v, state.m, state.b, grads, loss (default: all)")
    c.add_argument("--digits", type=int, default=None, help="significant digits (default: all published)")
    c.add_argument("--format", choices=("md", "latex", "rst", "json", "csv"), default="md")
    c.add_argument("--caption", action=argparse.BooleanOptionalAction, default=None,
                   help="add the provenance caption (default: on for user folders, off for the shipped cases)")
    c.add_argument("--dir", type=Path, default=None, help=DIR_HELP)
    c.set_defaults(func=_cite)


def _golden(args: argparse.Namespace) -> int:
    from . import store, usercli

    if usercli.wanted(args):  # user case files / a user golden folder (docs/user-cases.md)
        return usercli.golden(args)

    command = args.golden_command
    try:
        if command == "regen":
            for msg in store.regen(args.cases, args.dir, args.jobs, long=args.long, strict=args.strict):
                print(msg)
            return 0
        limit = 5 if command == "check" else 10**9
        problems = store.check(args.dir, args.cases, args.jobs, limit=limit, long=args.long, strict=args.strict,
                               clean=command == "check")
        provenance = store.provenance_lines(args.dir) if command == "check" else []
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    for line in provenance:
        print(line, file=sys.stderr)
    if command == "check":
        print(f"golden check: {'FAILED, ' + str(len(problems)) + ' problem(s)' if problems else 'ok'}",
              file=sys.stderr)
    return 1 if problems else 0


def _list(args: argparse.Namespace) -> int:
    from . import fmt, usercli, verify
    from .cases import all_cases

    if usercli.wanted(args):
        return usercli.listing(args)

    try:
        folder = verify.require_file_set(args.dir)
        rows = []
        for name, case in all_cases().items():
            prov = fmt.provenance(verify.load_case(name, folder))
            bits = prov["working_precision_bits"]
            rows.append(f"{name}\t{case.kind}\trmsprop-oracle {prov['package_version']}, mpmath "
                        f"{prov['mpmath_version']}, sympy {prov['sympy_version']}"
                        f"{'' if bits is None else f', {bits} bits'}")
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print("\n".join(rows))
    print(f"golden data: {folder} ({len(rows)} cases)", file=sys.stderr)
    return 0


def _cite(args: argparse.Namespace) -> int:
    from . import usercli
    from .cite import cite

    if usercli.wanted(args) or args.caption or args.format == "csv":
        return usercli.cite(args)

    try:
        print(cite(args.case, step=args.step, field=args.field, digits=args.digits, style=args.format,
                   golden_dir=args.dir))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
