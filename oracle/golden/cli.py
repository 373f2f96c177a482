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
from typing import Optional

DIR_HELP = "golden folder (default: the installed package's golden data; in a clone, its golden/)"
RAW = argparse.RawDescriptionHelpFormatter
EXAMPLES = {
    "regen": "examples:\n  python -m oracle golden regen                       # every case but the long ones\n"
             "  python -m oracle golden regen docs-docs-decimal-5   # one case",
    "check": "examples:\n  python -m oracle golden check          # about a minute on 2 cores\n"
             "  python -m oracle golden check --long   # also the long cases (minutes)",
    "diff": "example:\n  python -m oracle golden diff stream-pytorch-plain",
    "list": "example:\n  python -m oracle golden list",
    "cite": "examples:\n  python -m oracle cite docs-docs-decimal-5 --step 5 --field params --digits 30\n"
            "  python -m oracle cite stream-seed-plain --format latex\n"
            "  python -m oracle golden list            # the cases",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``golden`` and ``cite`` subcommands."""
    g = subparsers.add_parser("golden", help="golden files: regen, check, diff, list",
                              description="Golden files: certified trajectories on disk (golden/README.md).",
                              epilog="examples:\n  python -m oracle golden list\n  python -m oracle golden check",
                              formatter_class=RAW)
    gsub = g.add_subparsers(dest="golden_command", required=True, metavar="{regen,check,diff,list}")
    for name, helptext in (("regen", "recompute and rewrite golden files (all, or the CASEs named)"),
                           ("check", "recompute everything; exit 1 on any drift, missing or unexpected file"),
                           ("diff", "show every field that changed")):
        p = gsub.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".",
                            epilog=EXAMPLES[name], formatter_class=RAW)
        p.add_argument("cases", nargs="*", metavar="CASE", help="case names (`golden list`; default: all)")
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
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
        p.add_argument("-v", "--verbose", action="store_true",
                       help="name the certified engine that computed each case (docs/engines.md)")
        p.set_defaults(func=_golden)
    lp = gsub.add_parser("list", help="list the cases with their kind, description and provenance",
                         description="List the golden cases: name, kind, description, what computed the file.",
                         epilog=EXAMPLES["list"], formatter_class=RAW)
    lp.add_argument("--dir", type=Path, default=None, help=DIR_HELP)
    lp.set_defaults(func=_list)
    c = subparsers.add_parser("cite", help="ready-to-paste tables of certified values from a golden file",
                              description="Ready-to-paste tables (Markdown, LaTeX, reST, JSON) of the certified "
                                          "values of one golden case.", epilog=EXAMPLES["cite"], formatter_class=RAW)
    c.add_argument("case", metavar="CASE", help="a golden case (`python -m oracle golden list` names them)")
    c.add_argument("--step", type=int, default=None, help="only this step (default: every stored step)")
    c.add_argument("--field", default=None, help="params, state.v, state.m, state.b, grads, loss (default: all)")
    c.add_argument("--digits", type=int, default=None, help="significant digits (default: all published)")
    c.add_argument("--format", choices=("md", "latex", "rst", "json", "csv"), default="md",
                   help="table format (default: md)")
    c.add_argument("--caption", action=argparse.BooleanOptionalAction, default=None,
                   help="add the provenance caption (default: on for user folders, off for the shipped cases)")
    c.add_argument("--dir", type=Path, default=None, help=DIR_HELP)
    c.set_defaults(func=_cite)


def _golden(args: argparse.Namespace) -> int:
    from ..progress import set_quiet, summary
    from . import store, usercli
    from .cases import all_cases

    if usercli.wanted(args):  # user case files / a user golden folder (docs/user-cases.md)
        return usercli.golden(args)

    set_quiet(args.quiet)
    command = args.golden_command
    engines: Optional[dict] = {} if args.verbose else None
    try:
        count = len(args.cases) if args.cases else len(all_cases()) if command != "regen" else \
            len(store.default_names(args.long))
        if command == "regen":
            msgs = store.regen(args.cases, args.dir, args.jobs, long=args.long, strict=args.strict, engines=engines)
            _engine_lines(engines)
            for msg in msgs:
                print(msg)
            changed = sum(m.startswith(("wrote ", "updated ")) and m.endswith(".json") for m in msgs)
            print(summary("golden regen", cases=count, changed=changed), file=sys.stderr)
            return 0
        limit = 5 if command == "check" else 10**9
        problems = store.check(args.dir, args.cases, args.jobs, limit=limit, long=args.long, strict=args.strict,
                               clean=command == "check", engines=engines)
        _engine_lines(engines)
        provenance = store.provenance_lines(args.dir) if command == "check" else []
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    for line in provenance:
        print(line, file=sys.stderr)
    noun = "problems" if command == "check" else "differences"
    print(summary(f"golden {command}", cases=count, **{noun: len(problems)})
          + (" (FAILED)" if problems and command == "check" else ""), file=sys.stderr)
    return 1 if problems else 0


def _engine_lines(engines: Optional[dict]) -> None:
    """``--verbose``: per case, the rungs of the certified ladder that computed it (to stderr)."""
    for name, ran in sorted((engines or {}).items()):
        print(f"{name}: " + (f"computed by {ran}" if ran else "no certified run (the program makes no update)"),
              file=sys.stderr)


def _list(args: argparse.Namespace) -> int:
    from ..progress import summary
    from . import fmt, usercases, usercli, verify
    from .cases import all_cases

    try:
        if usercli.wanted(args):
            folder, rows = args.dir, usercases.list_rows(args.dir)
        else:
            folder = verify.require_file_set(args.dir)
            rows = [fmt.list_row(name, case.kind, verify.load_case(name, folder)) for name, case in all_cases().items()]
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print("\n".join([fmt.LIST_HEADER, *rows]))
    print(f"{summary('golden list', cases=len(rows))} in {folder}", file=sys.stderr)
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
