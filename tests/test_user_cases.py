"""User cases (issue 15): case files, expressions, certified trajectories, user golden folders, cite, check-table.

Every expected value here is either computed by the engine and compared with an
independent computation (a plain mpmath loop written below, the shipped golden
files, the committed example outputs regenerated), or a published number whose
verdict is known (the textbook's and the Keras docstring's printed values).
"""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest

import oracle
from oracle.cases import checktable, expr
from oracle.cases.case import Case, CaseError, find, load
from oracle.cli import main
from oracle.golden import data, usercases, usercite

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
OWN = {"quadratic-2d": "quadratic_2d.toml", "keras-docstring-one-step": "one_step.toml",
       "least-squares": "least_squares.toml"}


# -- shipped examples ---------------------------------------------------------------------------------------
def test_the_documents_example_as_a_case_file_gives_the_shipped_golden_files_byte_for_byte():
    cases = load(EXAMPLES / "docs_example.toml")
    assert len(cases) == 8
    shipped = data.golden_dir()
    for case in cases:
        assert usercases.text(case) == (shipped / f"{case.name}.json").read_text(encoding="ascii"), case.name


def test_the_gluon_regression_as_a_python_case_file_gives_the_shipped_golden_file_byte_for_byte():
    (case,) = load(EXAMPLES / "gluon_regression.py")
    shipped = data.golden_dir() / f"{case.name}.json"
    assert usercases.text(case) == shipped.read_text(encoding="ascii")


def test_own_examples_regenerate_their_golden_folder_byte_for_byte(tmp_path):
    cases = [c for f in OWN.values() for c in load(EXAMPLES / f)]
    msgs = usercases.regen(cases, tmp_path, progress=False)
    assert "wrote quadratic-2d.json" in msgs
    for path in (EXAMPLES / "golden").iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
    assert usercases.regen(cases, tmp_path, progress=False) == []  # a second regen writes nothing
    assert usercases.check(tmp_path, progress=False) == []


def test_own_examples_cite_outputs_are_what_cite_prints_now():
    for name in OWN:
        doc = usercases.load(EXAMPLES / "golden", name)
        want = (EXAMPLES / "cite" / f"{name}.md").read_text().rstrip("\n")
        assert usercite.cite(doc, field="params", digits=12) == want


@pytest.mark.parametrize("name,table", [("quadratic-2d", "quadratic-2d.csv"), ("least-squares", "least-squares.csv"),
                                        ("keras-docstring-one-step", "keras-docstring-one-step.md")])
def test_published_tables_of_the_examples_check_right_and_a_changed_digit_is_caught(name, table, tmp_path):
    case = find(EXAMPLES / OWN[name])
    report = checktable.check_file(EXAMPLES / "tables" / table, case)
    assert report.ok and all(r.verdict.startswith("right to") for r in report.rows)
    lines = (EXAMPLES / "tables" / table).read_text().splitlines()
    first = report.rows[0].printed
    bumped = first.text[:-1] + str((int(first.text[-1]) + 2) % 10)  # the last printed digit off by two
    lines[first.line - 1] = lines[first.line - 1].replace(first.text, bumped)
    bad = tmp_path / table
    bad.write_text("\n".join(lines) + "\n")
    rep = checktable.check_file(bad, case)
    assert not rep.ok
    row = rep.rows[0]
    assert row.correctly_rounded is False and row.correct_digits < row.shown_digits
    assert row.verdict == f"wrong in the {checktable.ordinal(row.correct_digits + 1)} {row.unit}"


# -- an independent loop ------------------------------------------------------------------------------------
def _mp_loop(ctx, lr, rho, eps, p0, grad, steps, *, centered=False, momentum=0, eps_outside=False):
    """RMSProp written out in plain mpmath at high precision (PyTorch's form with eps outside)."""
    p = [ctx.mpf(x) for x in p0]
    v = [ctx.mpf(0)] * len(p)
    m = [ctx.mpf(0)] * len(p)
    b = [ctx.mpf(0)] * len(p)
    out = [list(p)]
    for _ in range(steps):
        g = grad(p)
        v = [rho * vi + (1 - rho) * gi**2 for vi, gi in zip(v, g)]
        if centered:
            m = [rho * mi + (1 - rho) * gi for mi, gi in zip(m, g)]
        s = [vi - mi**2 for vi, mi in zip(v, m)]
        d = [ctx.sqrt(si) + eps if eps_outside else ctx.sqrt(si + eps) for si in s]
        if momentum:
            b = [momentum * bi + gi / di for bi, gi, di in zip(b, g, d)]
            p = [pi - lr * bi for pi, bi in zip(p, b)]
        else:
            p = [pi - lr * gi / di for pi, gi, di in zip(p, g, d)]
        out.append(list(p))
    return out


def _agreeing_digits(dec: str, x) -> int:
    """How many significant digits of the published decimal the independent value confirms (all for an exact 0)."""
    if dec == "0":
        return 30 if x == 0 else 0
    n = len(dec.split("e")[0].replace("-", "").replace(".", ""))
    err = abs(Fraction(dec) - Fraction(mpmath.nstr(x, 80, strip_zeros=False)))
    e = int(dec.split("e")[1])
    k = 0
    while k < n and err <= Fraction(10) ** (e - k) / 2:
        k += 1
    return k


def test_certified_values_agree_with_an_independent_mpmath_loop_to_every_published_digit():
    ctx = mpmath.MPContext()
    ctx.dps = 90
    q = ctx.mpf
    runs = {
        "quadratic-2d": _mp_loop(ctx, q("0.4"), q("0.9"), q("1e-6"), [-5, -2],
                                 lambda p: [q("0.2") * p[0], 4 * p[1]], 20),
        "keras-docstring-one-step": _mp_loop(ctx, q("0.1"), q("0.9"), q("1e-7"), [10], lambda p: [p[0]], 1),
    }
    X, y = [[1, 2], [3, -1], [q("0.5"), q("0.5")]], [1, 2, q("0.25")]

    def ls_grad(p):
        r = [X[i][0] * p[0] + X[i][1] * p[1] + p[2] - y[i] for i in range(3)]
        return [2 * sum(r[i] * X[i][0] for i in range(3)) / 3, 2 * sum(r[i] * X[i][1] for i in range(3)) / 3,
                2 * sum(r) / 3]

    runs["least-squares"] = _mp_loop(ctx, q("0.01"), q("0.99"), q("1e-8"), [q("0.5"), q("-0.25"), 0], ls_grad, 10,
                                     centered=True, momentum=q("0.9"), eps_outside=True)
    for name, ref in runs.items():
        case = find(EXAMPLES / OWN[name])
        traj = oracle.certified_trajectory(case)
        for t, values in enumerate(ref):
            published = [d for n in case.names for d in np.ravel(traj.params(t)[n].sci(case.digits))]  # (w0, w1, b)
            assert [_agreeing_digits(d, x) for d, x in zip(published, values)] == [case.digits] * len(values), \
                (name, t)


# -- the API ------------------------------------------------------------------------------------------------
def test_a_case_from_kwargs_a_dict_and_a_file_is_the_same_case(tmp_path):
    fields = dict(name="same", convention="pytorch", lr="0.01", params={"p": [["1", "2"], ["3", "4"]]},
                  loss="p[0,0]**2 + p[1,1]*p[0,1]", steps=3, digits=20)
    (tmp_path / "c.toml").write_text('[[case]]\nname = "same"\nconvention = "pytorch"\nlr = "0.01"\n'
                                     'params = { p = [["1", "2"], ["3", "4"]] }\nloss = "p[0,0]**2 + p[1,1]*p[0,1]"\n'
                                     'steps = 3\ndigits = 20\n')
    a, b, c = Case(**fields), Case.from_dict(fields), Case.from_file(tmp_path / "c.toml")
    ta, tb, tc = (oracle.certified_trajectory(x) for x in (a, b, c))
    assert ta.params(3)["p"].sci(20) == tb.params(3)["p"].sci(20) == tc.params(3)["p"].sci(20)
    vals = ta.params(3)["p"]
    assert np.shape(vals.sci(5)) == (2, 2) and vals.binary("float32").dtype == np.float32
    lo, hi = vals.bounds()
    assert all(lo[i][j] <= hi[i][j] for i in range(2) for j in range(2))
    assert ta.grads(1)["p"].sci(20) == [["2.0000000000000000000e0", "4.0000000000000000000e0"],
                                        ["0", "2.0000000000000000000e0"]]  # d/dp of p00^2 + p11 p01 at p0


def test_hyperparameters_are_read_as_the_file_says(tmp_path):
    base = dict(name="h", params={"w": "1"}, loss="w**2", steps=1)
    assert Case(**base, lr="0.1").convention.exact("lr") == Fraction(1, 10)
    assert Case(**base, lr="0.1", numbers="binary64").convention.exact("lr") == Fraction(0.1)
    assert Case(**base, lr="1/3", numbers="rational").convention.exact("lr") == Fraction(1, 3)
    with pytest.raises(CaseError, match=r"lr: got the TOML float 0.1; write it as a string"):
        Case(**base, lr=0.1)
    with pytest.raises(CaseError, match=r"numbers = \"rational\""):
        Case(**base, lr="1/3")


def test_a_stream_inline_from_npy_and_from_csv_is_the_same_exact_input(tmp_path):
    grads = [["0.5", "-1.25"], ["2", "0.1"], ["-3", "0"]]
    np.save(tmp_path / "g.npy", np.array([[0.5, -1.25], [2.0, 0.1], [-3.0, 0.0]]))
    (tmp_path / "g.csv").write_text("\n".join(",".join(r) for r in grads) + "\n")
    base = dict(name="s", convention="optax", lr="0.1", params={"p": ["1", "2"]}, steps=3, digits=25,
                _base=tmp_path)
    inline = oracle.certified_trajectory(Case(**base, stream={"p": grads}))
    csv_ = oracle.certified_trajectory(Case(**base, stream={"p": "g.csv"}))
    npy = oracle.certified_trajectory(Case(**base, stream={"p": "g.npy"}))
    assert inline.params(3)["p"].sci(25) == csv_.params(3)["p"].sci(25)
    assert npy.grads(2)["p"].bounds()[0][1] == Fraction(0.1)  # the .npy double, exactly (not the decimal 0.1)
    assert npy.params(3)["p"].sci(25)[1] != inline.params(3)["p"].sci(25)[1]


# -- bad input ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,message", [
    ('[[case]]\nname = "a"\nparams = {w = "1"}\nloss = "w**2"\nstep = 5\n',
     r"bad\.toml:5: case 'a': unknown key 'step' \(did you mean 'steps'"),
    ('[[case]]\nname = "a"\nparams = {w = "1"}\nloss = "w**2 + q"\nsteps = 5\n',
     r"bad\.toml:4: case 'a': loss: 'w\*\*2 \+ q': 'q' is not a parameter or data name"),
    ('[[case]]\nname = "a"\nparams = {wt = "1"}\nloss = "w**2"\nsteps = 5\n',
     r"'w' is not a parameter or data name \(names: wt\) \(did you mean 'wt'\?\)"),
    ('[[case]]\nname = "a"\nconvention = "pytorh"\nparams = {w = "1"}\nloss = "w**2"\nsteps = 5\n',
     r"bad\.toml:3: case 'a': convention: convention spec 'pytorh': unknown preset 'pytorh' \(did you mean 'pytorch'\?\)"),
    ('[[case]]\nname = "a"\nparams = {w = "1"}\nloss = "w.__class__"\nsteps = 5\n', r"'\.' is not allowed"),
    ('[[case]]\nname = "a"\nparams = {w = "1"}\nloss = "w**99999"\nsteps = 5\n', r"integer literal of at most 64"),
    ('[[case]]\nname = "a"\nparams = {w = "1"}\nloss = "2**64**64"\nsteps = 5\n', r"at most 64|chained powers"),
    ('[[case]]\nname = "a"\nparams = {w = "1"}\nloss = "w**2"\ngradient = {w = "2*w"}\nsteps = 5\n',
     r"exactly one of loss, gradient, stream"),
    ('[[case]]\nname = "a"\nparams = {w = "1"}\nloss = "w**2"\nsteps = 5\ndtypes = ["float31"]\n',
     r"dtypes: .*got 'float31' \(did you mean 'float32'"),
    ('[cases]\nname = "a"\n', r"bad\.toml:1: unknown top-level key 'cases' \(did you mean 'case'\?\)"),
    ('[[case]]\nname = "a"\nparams = {w = "1"\n', r"not valid TOML"),
])
def test_a_bad_case_file_names_the_file_line_key_and_value(tmp_path, text, message):
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(CaseError, match=message):
        load(tmp_path / "bad.toml")


def test_expressions_run_no_code():
    for bad in ("__import__('os').system('true')", "exec('1')", "w if w else w", "lambda: w", "[w for w in w]",
                "'w'", "w; w"):
        with pytest.raises(ValueError):
            expr.Expression.parse(bad, {"w": ()}, {})
    with pytest.raises(ValueError, match="characters"):
        expr.Expression.parse("w+" * 20000 + "w", {"w": ()}, {})


def test_a_failing_case_leaves_nothing_on_disk(tmp_path):
    ok = Case(name="ok", params={"w": "1"}, loss="w**2", steps=1, digits=10)
    bad = Case(name="bad", eps="0", params={"w": "0"}, gradient={"w": "0*w"}, steps=1, digits=10)  # 0/0
    with pytest.raises(ValueError, match="case bad: the update is undefined at step 1"):
        usercases.regen([ok, bad], tmp_path, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.json", "user-cases.json"]  # no bad.json, no .tmp


def test_a_user_folder_is_verified_on_read(tmp_path):
    case = Case(name="v", lr="0.1", params={"w": "1"}, loss="w**2", steps=2, digits=10)
    usercases.regen([case], tmp_path, progress=False)
    path = tmp_path / "v.json"
    text = path.read_text()
    dec = json.loads(text)["steps"][1]["params"]["w"]["values"][0]["dec"]
    mant, exp = dec.split("e")
    edited = f"{mant[:-1]}{(int(mant[-1]) + 1) % 10}e{exp}"
    path.write_text(text.replace(dec, edited))
    with pytest.raises(data.GoldenDataError, match="sha256"):
        usercases.load(tmp_path, "v")
    assert any("step 1" in p for p in usercases.check(tmp_path, progress=False))
    (tmp_path / "stray.json").write_text("{}")
    assert any("unexpected file stray.json" in p for p in usercases.check(tmp_path, progress=False))


# -- the command line ----------------------------------------------------------------------------------------
def test_golden_verbs_and_cite_on_a_user_folder(tmp_path, capsys):
    out = tmp_path / "gold"
    assert main(["golden", "regen", "--cases", str(EXAMPLES / "one_step.toml"), "--dir", str(out)]) == 0
    assert main(["golden", "check", "--dir", str(out)]) == 0
    capsys.readouterr()
    assert main(["golden", "list", "--dir", str(out)]) == 0  # the shipped listing's header, rows and summary
    listed = capsys.readouterr()
    assert listed.out.splitlines()[0] == "case\tkind\tdescription\tcomputed by"
    assert listed.out.splitlines()[1].startswith("keras-docstring-one-step\tuser\t")
    assert listed.err == f"golden list: 1 case in {out}\n"
    assert main(["golden", "diff", "--dir", str(out)]) == 0
    capsys.readouterr()
    for style in ("md", "latex", "rst", "json", "csv"):
        assert main(["cite", "keras-docstring-one-step", "--dir", str(out), "--format", style, "--digits", "8"]) == 0
        text = capsys.readouterr().out
        assert "9.6837722" in text and "interval arithmetic, 8 correctly rounded significant digits" in text
    assert main(["cite", "keras-docstring-one-stp", "--dir", str(out)]) == 2
    assert "did you mean 'keras-docstring-one-step'" in capsys.readouterr().err
    assert main(["check-table", str(EXAMPLES / "tables" / "least-squares.csv"), "--case",
                 str(EXAMPLES / "least_squares.toml")]) == 0
    assert main(["check-table", str(EXAMPLES / "tables" / "keras-docstring-one-step.md"), "--case",
                 "keras-docstring-one-step", "--dir", str(out)]) == 0
    bad = tmp_path / "t.csv"
    bad.write_text("step,field,element,value\n1,var1,,9.683\n")
    assert main(["check-table", str(bad), "--case", str(EXAMPLES / "one_step.toml")]) == 1
    assert "wrong in the 3rd decimal" in capsys.readouterr().out


def test_run_prints_a_certified_table_with_its_provenance():
    proc = subprocess.run([sys.executable, "-m", "oracle", "run", str(EXAMPLES / "docs_example.toml"),
                           "docs-docs-binary64-5", "--digits", "12"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "| 5 | 9.51072698033e-1 |" in proc.stdout  # README: w5 = 0.95107269803292553595... (binary64 inputs)
    assert "hyperparameters as given lr = 0.1 (binary64 0x1.999999999999ap-4)" in proc.stdout
