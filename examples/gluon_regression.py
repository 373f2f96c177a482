"""The textbook's Gluon linear regression (seed 001), as its intended program computes it, as a case file.

A Python case file, for what TOML cannot say: the golden file of this case also
records the epoch losses the program prints, what MXNet 1.9.1 printed, and the
program's edits (from the real run's record beside the golden files).  With
them, ``python -m oracle golden regen --cases examples/gluon_regression.py
--dir OUT`` writes ``gluon-V6-R6-intended.json`` byte for byte as shipped.

The model: w (2 x 1), b (1), X = [[1, 2], [3, 4], [5, 6], [7, 8]], y = [0, -1, -2, -3];
the loss is the mean squared column residual over the full batch, differentiated
exactly; RMSProp as the program writes it (eps inside the root), lr 0.03,
alpha 0.9, eps 1e-6, one update per epoch, 5 epochs.
"""

from oracle.golden import data, fmt

ROWS = 4
EDITS = ("INIT", "R1", "R2", "R3", "R4", "R5", "R6")
LOSS = " + ".join(f"(w[0,0]*X[{i},0] + w[1,0]*X[{i},1] + b[0] - y[{i}])**2" for i in range(ROWS))


def probe() -> dict:
    """The real MXNet 1.9.1 run's record (evidence shipped beside the golden files)."""
    return data.read_record("mxnet/gluon_probe_mxnet-1.9.1.json", "the MXNet probe record",
                            "git checkout golden/mxnet")


def golden_fields(traj) -> dict:
    """The program's epoch-end losses (certified), their printed form, MXNet's printed lines and the edits."""
    record = probe()
    after = [traj.loss_after(t) for t in range(1, traj.steps + 1)]
    return {
        "epoch_losses": [fmt.encode_value(v, traj.digits) for v in after],
        "printed": [f"Epoch {e}, loss {v.fixed(4)}" for e, v in enumerate(after)],
        "mxnet_printed": record["variants"]["V6"]["epoch_lines"],
        "edits": [{"id": e, "description": record["edits"][e]["description"], "edits": record["edits"][e]["edits"]}
                  for e in EDITS],
    }


def step_fields(t: int) -> dict:
    return {} if t == 0 else {"batch_rows": [1, 2, 3, 4], "epoch": str(t - 1)}


CASES = [dict(
    name="gluon-V6-R6-intended",
    description="The Gluon linear regression of seed 001 as intended (repairs R1..R6), 5 epochs",
    reproduces="the textbook's Gluon program with its six repairs (golden/mxnet/FINDINGS.md)",
    convention="seed", lr="0.03", rho="0.9", eps="1e-6",
    params={"w": [["0.5"], ["-0.3"]], "b": ["0"]},
    data={"X": [["1", "2"], ["3", "4"], ["5", "6"], ["7", "8"]], "y": ["0", "-1", "-2", "-3"]},
    loss=f"({LOSS}) / {ROWS}",
    steps=5, digits=50, dtypes=["float64", "float32"],
    golden_fields=golden_fields, step_fields=step_fields,
    golden={
        "kind": "gluon",
        "description": "The Gluon program with cumulative repairs R1+R2+R3+R4+R5+R6 (5 updates); grads = param.grad / 1",
        "problem": {
            "name": "gluon_linear_regression", "closed_loop": True,
            "X": [["1", "2"], ["3", "4"], ["5", "6"], ["7", "8"]], "y": ["0", "-1", "-2", "-3"],
            "batch_rows": [1, 2, 3, 4], "label_shape": "(n,1)", "loss": "mean over the (n,1) column residual",
            "gradient_divisor": "1", "updates_per_epoch": "1 every epoch",
            "inputs": "X, y, w0, b0, lr, alpha, eps as the exact decimals of the program text (MXNet holds them as "
                      "float32: a float32 run differs by about one float32 ulp of the inputs)",
        },
    },
)]

