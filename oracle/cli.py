"""``python -m oracle`` (or ``rmsprop-oracle``): the certified reference and test oracle for RMSProp.

With no arguments it prints the source documents' (y - w x)^2 example as a
table of certified values and the derivation of its first step.  Verbs:
``example``, ``derive``, ``golden`` (regen, check, diff, list), ``cite``,
``certify`` and ``plot``; each has ``--help`` with examples.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Optional, Sequence

from . import __version__


def _example(args: argparse.Namespace) -> int:
    from .engines.certify import CertifiedValue
    from .problems import docs_example as ex

    run = ex.certified(args.form, args.inputs, steps=args.steps, digits=args.digits)
    gdesc = "g = (y - w x)(-x), as the documents write it" if args.form == "docs" else "g = -2x(y - w x), the true gradient"
    idesc = (
        "decimal (0.1 is exactly 1/10)"
        if args.inputs == "decimal"
        else "binary64 (0.1 is 0.1000000000000000055511151231257827..., what a float64 program receives)"
    )
    out = [
        f"rmsprop-oracle {__version__}: the source documents' example, L = (y - w x)^2",
        f"x = {ex.X}, y = {ex.Y}, w0 = {ex.W0}, G0 = 0, eta = {ex.ETA}, gamma = {ex.GAMMA}, eps = {ex.EPS} (inside the root)",
        f"gradient: {gdesc}",
        f"inputs:   {idesc}",
        f"Every digit below is certified: interval arithmetic at {run.prec} bits, "
        f"{args.digits} correctly rounded significant digits (README: 'Certification').",
        "",
    ]
    width = args.digits + 8
    out.append(f"{'t':>4}  {'g_t':<{width}} {'G_t':<{width}} {'w_t':<{width}}".rstrip())
    for t, g, G, w in ex.rows(run):
        out.append(f"{t:>4}  {g.sci(args.digits):<{width}} {G.sci(args.digits):<{width}} {w.sci(args.digits)}")
    if args.steps >= 1:
        out += ["", "The documents' numpy program prints (formatted here from the certified values):"]
        try:
            out += ["  " + line for line in ex.program_lines(run)]
        except ValueError as err:  # a value too close to a rounding boundary
            out.append(f"  (not certified to 6 decimals: {err})")
    out += ["", *_first_step_lines(args, run, CertifiedValue)]
    print("\n".join(out))
    return 0


def _first_step_lines(args: argparse.Namespace, run: object, cv_type: type) -> list[str]:
    import sympy

    from .derivations import first_step
    from .problems import docs_example as ex

    conv = ex.convention(args.inputs)
    d = first_step()
    lr, rho, eps = (sympy.Rational(str(conv.exact(f))) for f in ("lr", "rho", "eps"))
    factor = -ex.X if args.form == "docs" else -2 * ex.X
    gform = "(y - w_0 x)(-x)" if args.form == "docs" else "-2x(y - w_0 x)"  # as the header writes it
    g1 = sympy.Integer((ex.Y - ex.W0 * ex.X) * factor)
    subs = {sympy.Symbol("eta", positive=True): lr, sympy.Symbol("gamma", positive=True): rho,
            sympy.Symbol("epsilon", positive=True): eps, sympy.Symbol("g_1", real=True, nonzero=True): g1}
    G1 = d["G1"].subs(subs)
    dw = d["dw"].subs(subs)
    limit = d["limit"].subs(subs)
    w1 = run.records[1]["params"][0].item()
    digits = args.digits
    return [
        "Derivation of the first step (sympy, exact):",
        *(line for line in d.text.splitlines()[1:]),
        f"  with g_1 = {gform} = ({ex.Y} - {ex.W0}*{ex.X})*({factor}) = {g1}, eta = {lr}, gamma = {rho}, "
        f"eps = {eps}:",
        f"  G_1 = {G1}",
        f"  w_1 = w_0 + {sympy.sstr(sympy.radsimp(dw))}",
        f"      = {w1.sci(digits)}   (certified; sympy evalf: {sympy.N(dw, digits)})",
        f"  eps -> 0 limit: |w_1 - w_0| = eta/sqrt(1 - gamma) = {sympy.sstr(sympy.radsimp(limit))} = {sympy.N(limit, digits)}",
    ]


def _derive(args: argparse.Namespace) -> int:
    from .derivations import all_derivations

    from .problems import docs_example as ex

    for d in all_derivations():
        print(d.latex if args.latex else d.text)
        print()
    print("Exact consequence of the missing factor 2 on the example (decimal inputs, certified):")
    print("w_t with g = (y - wx)(-x) minus w_t with g = -2x(y - wx), both with eps = 1e-8;")
    print("the first equals the true-gradient run with eps = 4e-8 exactly (scale identity).")
    for t, wa, wb, diff in ex.factor_two_consequence(digits=args.digits):
        print(f"  t={t}: {wa.sci(args.digits)} - {wb.sci(args.digits)} = {diff.sci(min(args.digits, diff.digits))}")
    return 0


EXAMPLES = """examples:
  python -m oracle                                   # the documents' example, certified
  python -m oracle example --digits 20 --steps 10
  python -m oracle golden check                      # recompute every golden file
  python -m oracle cite docs-docs-decimal-5 --step 5 --digits 30
  python -m oracle certify mypkg.opt:make_rmsprop    # certify an RMSProp
  python -m oracle certify --help                    # and every verb's own help"""

MAX_DIGITS = 4000
"""The most digits ``example`` and ``derive`` print (Python writes at most 4,300 digits of an integer)."""


def prog_name(argv0: Optional[str] = None) -> str:
    """``python -m oracle`` when run as a module, else the name the command was called by (``rmsprop-oracle``)."""
    import os

    argv0 = sys.argv[0] if argv0 is None else argv0
    name = os.path.basename(argv0 or "")
    return "python -m oracle" if not name or name in ("__main__.py", "-c") else name


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog_name(), description="rmsprop-oracle: the certified reference and test "
                                "oracle for RMSProp (no verb: the documents' example).", epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"rmsprop-oracle {__version__}")
    sub = p.add_subparsers(dest="command")
    raw = argparse.RawDescriptionHelpFormatter
    ex = sub.add_parser("example", help="the documents' (y - w x)^2 example, certified (default)",
                        description="The source documents' (y - w x)^2 example: certified values and the "
                                    "derivation of the first step.", formatter_class=raw,
                        epilog="examples:\n  python -m oracle example\n"
                               "  python -m oracle example --form true --inputs binary64 --digits 20 --steps 3")
    ex.add_argument("--form", choices=("docs", "true"), default="docs", help="gradient form (default: docs)")
    ex.add_argument("--inputs", choices=("decimal", "binary64"), default="decimal",
                    help="hyperparameters as exact decimals or as binary64 values (default: decimal)")
    ex.add_argument("--steps", type=_positive_int("--steps"), default=5, help="number of steps (default: 5)")
    ex.add_argument("--digits", type=_positive_int("--digits", MAX_DIGITS), default=50,
                    help=f"certified significant digits, at most {MAX_DIGITS} (default: 50)")
    ex.set_defaults(func=_example)
    de = sub.add_parser("derive", help="the symbolic derivations (a)-(c)",
                        description="The symbolic derivations (sympy): gradient, first step, scale identity.",
                        formatter_class=raw, epilog="examples:\n  python -m oracle derive\n"
                                                    "  python -m oracle derive --latex")
    de.add_argument("--latex", action="store_true", help="print LaTeX instead of text")
    de.add_argument("--digits", type=_positive_int("--digits", MAX_DIGITS), default=20,
                    help="certified digits of the numeric consequence (default: 20)")
    de.set_defaults(func=_derive)
    for module in _SUBCOMMAND_MODULES:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name is None or not module.startswith(err.name):
                raise
            continue
        mod.register(sub)
    return p


_SUBCOMMAND_MODULES = ("oracle.golden.cli", "oracle.conformance.pytest.cli", "oracle.plot.cli", "oracle.usercli")
"""Each module provides ``register(subparsers)``, adding its subcommands lazily."""


def _positive_int(name: str, most: Optional[int] = None):
    what = f"a positive integer{'' if most is None else f' <= {most:,}'}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be {what}, got {text!r}") from None
        if value < 1 or (most is not None and value > most):
            raise argparse.ArgumentTypeError(f"{name} must be {what}, got {text!r}")
        return value

    return parse


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list = []
    if "--" in argv:  # what follows -- is passed on (certify hands it to pytest)
        argv, extra = argv[: argv.index("--")], argv[argv.index("--") + 1:]
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["example", *argv]
    args = parser.parse_args(argv)
    args.extra = extra
    return args.func(args)
