"""Check a published table of RMSProp values against the certified trajectory of its case.

A table lists, one number per row, ``step``, ``field`` (``params``, ``state.v``,
``state.m``, ``state.b``, ``grads``, ``loss``, or a parameter's name for its
value), ``element`` (``0``, ``[1, 0]``, or empty for a scalar) and ``value`` as
printed; as CSV (a header row naming the columns) or a Markdown table.  For
each printed number the check reports the certified value, how many of its
decimals (or significant digits) are correct (the largest d with
|printed - exact| <= half a unit of the d-th decimal, or significant digit), whether it is the
exact value correctly rounded at the digits shown, and a verdict: "right to 4
decimals", "wrong in the 3rd decimal" for a number printed with a decimal point,
"right to 6 significant digits", "wrong in the 3rd digit" for one in scientific
notation (or an integer).  Any wrong digit makes the table fail.

>>> from oracle.cases.case import Case
>>> case = Case(name="docs", lr="0.1", rho="0.9", eps="1e-8", params={"w": "0"}, data={"x": 2, "y": 4},
...             gradient={"w": "(y - w*x)*(-x)"}, steps=2, digits=30)
>>> rep = check_text("step,field,element,value\\n1,w,,0.316228\\n2,w,,0.5262\\n2,state.v,,10.29", case)
>>> [r.verdict for r in rep.rows], rep.ok
(['right to 6 decimals', 'wrong in the 4th decimal', 'wrong in the 2nd decimal'], False)
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from fractions import Fraction
from pathlib import Path
from typing import Optional, Union

from ..rounding import format_sci
from .case import Case, CaseError, suggest
from .trajectory import FIELDS, Trajectory, certified_trajectory

COLUMNS = ("step", "field", "element", "value")
NUMBER = re.compile(r"^[+-]?(\d{1,200}\.?\d{0,200}|\.\d{1,200})([eE][+-]?\d{1,3})?$")


@dataclasses.dataclass
class Printed:
    """One printed number: where it is in the table and what it says."""

    line: int
    step: int
    field: str
    element: int
    text: str


@dataclasses.dataclass
class Row:
    """The check of one printed number."""

    printed: Printed
    certified: str
    correct_digits: int
    shown_digits: int
    correctly_rounded: Optional[bool]
    verdict: str
    unit: str = "digit"

    @property
    def wrong(self) -> bool:
        return self.correctly_rounded is False


@dataclasses.dataclass
class Report:
    """Every row's check; ``ok`` when no printed digit is wrong."""

    case: str
    rows: list

    @property
    def ok(self) -> bool:
        return not any(r.wrong for r in self.rows)

    def table(self) -> str:
        """The report as a Markdown table and a summary line."""
        head = ["step", "field", "element", "printed", "certified", "digits correct", "correctly rounded", "verdict"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in self.rows:
            p = r.printed
            cr = {True: "yes", False: "no", None: "undecided"}[r.correctly_rounded]
            lines.append(f"| {p.step} | {p.field} | {p.element} | {p.text} | {r.certified} | "
                         f"{r.correct_digits} of {r.shown_digits} {r.unit}s | {cr} | {r.verdict} |")
        wrong = sum(r.wrong for r in self.rows)
        lines.append("")
        lines.append(f"{self.case}: {len(self.rows)} printed numbers, "
                     f"{'all right' if not wrong else f'{wrong} with a wrong digit'}")
        return "\n".join(lines)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _cells(text: str) -> list:
    lines = [(k + 1, s) for k, s in enumerate(text.splitlines()) if s.strip() and not s.lstrip().startswith("#")]
    if any(s.lstrip().startswith("|") for _, s in lines):  # Markdown: the table's lines, whatever surrounds them
        lines = [(k, s) for k, s in lines if s.lstrip().startswith("|")]
        rows = []
        for k, s in lines:
            cells = [c.strip() for c in s.strip().strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                continue
            rows.append((k, cells))
        return rows
    reader = csv.reader(io.StringIO("\n".join(s for _, s in lines)))
    return [(k, [c.strip() for c in cells]) for (k, _), cells in zip(lines, reader)]


def parse_table(text: str, where: str = "table") -> list[Printed]:
    """The printed numbers of a CSV or Markdown table (``CaseError`` naming the line and the cell)."""
    rows = _cells(text)
    if not rows:
        raise CaseError(f"{where}: no rows")
    header = [h.lower() for h in rows[0][1]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        bad = next((h for h in header if h not in COLUMNS), missing[0])
        raise CaseError(f"{where}:{rows[0][0]}: the header must name the columns {', '.join(COLUMNS)}; "
                        f"missing {missing[0]!r}{suggest(bad, COLUMNS) if bad != missing[0] else ''}")
    idx = {c: header.index(c) for c in COLUMNS}
    out = []
    for line, cells in rows[1:]:
        get = lambda c: cells[idx[c]] if idx[c] < len(cells) else ""  # noqa: E731
        try:
            step = int(get("step"))
        except ValueError:
            raise CaseError(f"{where}:{line}: step must be an integer, got {get('step')!r}") from None
        text_value = get("value")
        if not NUMBER.match(text_value):
            raise CaseError(f"{where}:{line}: value must be a number as printed, got {text_value!r}")
        elem = get("element").strip("[]() ")
        try:
            element = 0 if not elem else int(elem) if "," not in elem else tuple(int(x) for x in elem.split(","))
        except ValueError:
            raise CaseError(f"{where}:{line}: element must be an index such as 0 or 1,0; got {get('element')!r}") \
                from None
        out.append(Printed(line, step, get("field"), element, text_value))  # type: ignore[arg-type]
    return out


def shown(text: str) -> tuple[int, int, bool]:
    """(significant digits shown, exponent of the last digit shown, scientific notation)."""
    t = text.lstrip("+-")
    mant, _, exp = t.lower().partition("e")
    e = int(exp) if exp else 0
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    digits = mant.replace(".", "").lstrip("0")
    return max(len(digits), 1), e - decimals, bool(exp)


def _value(traj: Trajectory, p: Printed, case: Case, where: str):
    field = p.field
    if field in case.names:
        field, name = "params", field
    else:
        parts = field.split(".")
        name = parts[-1] if len(parts) > 1 and parts[-1] in case.names else None
        field = ".".join(parts[:-1]) if name else field
    if field not in FIELDS:
        raise CaseError(f"{where}:{p.line}: field {p.field!r} is not one of {', '.join(FIELDS)} or a parameter "
                        f"({', '.join(case.names)}){suggest(field, list(FIELDS) + case.names)}")
    if not 0 <= p.step <= traj.steps:
        raise CaseError(f"{where}:{p.line}: step {p.step} is outside the case's 0..{traj.steps}")
    if field == "loss":
        v = traj.loss(p.step)
        if v is None:
            raise CaseError(f"{where}:{p.line}: the case has no loss at step {p.step}")
        return v
    if name is None:
        if len(case.names) != 1:
            raise CaseError(f"{where}:{p.line}: say which parameter ({', '.join(case.names)}), e.g. {field}.{case.names[0]}")
        name = case.names[0]
    group = traj.params(p.step) if field == "params" else traj.grads(p.step) if field == "grads" else \
        traj.state(p.step, field.split(".")[1])
    if group is None:
        raise CaseError(f"{where}:{p.line}: no {field} at step {p.step}")
    values = group[name]
    try:
        return values.cells[p.element] if values.shape else values.cells[()]
    except (IndexError, TypeError):
        raise CaseError(f"{where}:{p.line}: element {p.element} is outside {name}'s shape {values.shape}") from None


def check_row(p: Printed, cv, digits: int) -> Row:
    """The check of one printed number against the certified value ``cv``.

    A number printed with a decimal point and no exponent is counted in decimals
    ("right to 6 decimals", "wrong in the 4th decimal"); otherwise in significant
    digits ("right to 5 significant digits", "wrong in the 3rd digit").
    """
    value = Fraction(p.text)
    n, last, sci = shown(p.text)
    decimals = not sci and last < 0
    half = Fraction(10) ** last / 2
    lo, hi = cv.lo, cv.hi
    inside = [value - half <= x <= value + half for x in (lo, hi)]
    rounded: Optional[bool] = True if all(inside) else False if not any(inside) and (lo - value) * (hi - value) > 0 \
        else None
    mid = (lo + hi) / 2
    err = abs(value - mid)
    if decimals:
        total = -last
        correct = 0
        while correct < total and err <= Fraction(10) ** -(correct + 1) / 2:
            correct += 1
        unit = "decimal"
    else:
        total = n
        ref = mid if mid != 0 else value
        e = len(str(int(abs(ref) * 10**400))) - 401 if ref != 0 else 0  # exponent of the leading digit
        correct = 0
        while correct < n and err <= Fraction(10) ** (e - correct) / 2:
            correct += 1
        unit = "digit"
    certified = format_sci(mid, min(digits, n + 3)) if cv.digits else "0"
    if rounded:
        verdict = f"right to {total} decimals" if decimals else f"right to {n} significant digits"
    elif rounded is None:
        verdict = "undecided: the exact value is within the certified enclosure of a rounding boundary"
    else:
        verdict = f"wrong in the {ordinal(min(correct + 1, total))} {unit}"
    return Row(p, certified, correct, total, rounded, verdict, unit)


def check(printed: list, case: Case, where: str = "table", traj: Optional[Trajectory] = None) -> Report:
    """Check every printed number of the table against the case's certified trajectory."""
    need = max([case.digits] + [shown(p.text)[0] + 10 for p in printed])
    if traj is None or traj.digits < need:
        case = Case(**{**case.fields, "digits": need})
        traj = certified_trajectory(case)
    rows = [check_row(p, _value(traj, p, case, where), traj.digits) for p in printed]
    return Report(case.name, rows)


def check_text(text: str, case: Case, where: str = "table") -> Report:
    return check(parse_table(text, where), case, where)


def check_file(path: Union[str, Path], case: Case) -> Report:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise CaseError(f"{path}: cannot read: {err.strerror or err}") from None
    return check_text(text, case, str(path))
