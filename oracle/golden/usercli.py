"""``golden regen|check|diff`` and ``cite`` on user golden folders (``--cases FILE_OR_DIR``, ``--dir OUT``).

The shipped verbs hand over to these functions when ``--cases`` is given or
``--dir`` is a user folder (it holds ``user-cases.json``): the same output,
the same exit statuses (0 ok, 1 drift, 2 bad input).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from ..cases.case import CaseError
from ..cases.case import load_all
from . import data, usercases, usercite
from .cite import load_case as load_shipped


def wanted(args: argparse.Namespace) -> bool:
    """Whether a ``golden``/``cite`` command is about user cases."""
    return bool(getattr(args, "case_source", None)) or usercases.is_user_folder(getattr(args, "dir", None))


def golden(args: argparse.Namespace) -> int:
    """``golden regen|check|diff`` on a user folder."""
    command = args.golden_command
    try:
        cases = load_all(args.case_source) if args.case_source else None
        if args.dir is None:
            raise ValueError("--dir OUT is required with --cases (user golden files never go into the shipped "
                             "golden folder)")
        if command == "regen":
            if cases is None:
                cases = usercases.manifest_cases(args.dir)
            for msg in usercases.regen(cases, args.dir, args.cases, progress=sys.stderr.isatty()):
                print(msg)
            return 0
        problems = usercases.check(args.dir, args.cases, cases, limit=5 if command == "check" else 10**9,
                                   clean=command == "check", progress=sys.stderr.isatty())
    except (CaseError, ValueError, ArithmeticError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    if command == "check":
        print(f"golden check: {'FAILED, ' + str(len(problems)) + ' problem(s)' if problems else 'ok'} ({args.dir})",
              file=sys.stderr)
    return 1 if problems else 0


def cite(args: argparse.Namespace) -> int:
    """``cite CASE`` with a provenance caption (user folders always; shipped cases with csv or --caption)."""
    try:
        doc = load(args.case, args.dir)
        print(usercite.cite(doc, step=args.step, field=args.field, digits=args.digits, style=args.format,
                            with_caption=getattr(args, "caption", True) is not False))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def load(case: str, folder: Optional[Path]) -> dict:
    """The verified document of ``case``: from a user folder, or the shipped registry's."""
    if usercases.is_user_folder(folder):
        return usercases.load(Path(folder), case)  # type: ignore[arg-type]
    return load_shipped(case, data.resolve(folder) if folder is not None else None)
