"""The options a convention may have and the preset catalogue: each preset's fields and its source.

The catalogue is data (field values as :class:`~oracle.conventions.Convention` takes them);
:func:`oracle.conventions.preset` builds a convention from it.

>>> PRESET_NAMES[:3], PRESETS["pytorch"]["eps_placement"]
(('seed', 'pytorch', 'tf1'), 'outside')
"""

from __future__ import annotations

import difflib
from typing import Iterable

OPTIONS = ("centered", "momentum", "weight_decay", "maximize")
"""The options a convention may allow (``Convention.allows``)."""

ALL_OPTIONS = frozenset(OPTIONS)
PRESETS: dict[str, dict] = {
    "seed": dict(
        lr="0.1", rho="0.9", eps="1e-8", eps_placement="inside", v0=0,
        allows=frozenset(),
        source="The source documents (../shared/seeds) and Hinton, Coursera lecture 6e "
        "(2012): v = rho v + (1 - rho) g^2; p -= lr g / sqrt(v + eps); v0 = 0. Hinton's slide "
        "has no eps; the documents put it inside the root.",
    ),
    "pytorch": dict(
        lr="0.01", rho="0.99", eps="1e-8", eps_placement="outside", v0=0,
        lr_in_momentum=False, decoupled_weight_decay=False, allows=ALL_OPTIONS,
        source="torch.optim.RMSprop (torch/optim/rmsprop.py, _single_tensor_rmsprop): "
        "v = alpha v + (1 - alpha) g^2; d = sqrt(v [- m^2]) + eps; b = mu b + g / d; "
        "p -= lr b; weight decay coupled (g += wd p); maximize negates g.",
    ),
    "tf1": dict(
        lr="0.001", rho="0.9", eps="1e-10", eps_placement="inside", v0=1,
        lr_in_momentum=True, allows=frozenset({"centered", "momentum"}),
        source="tf.compat.v1.train.RMSPropOptimizer + ApplyRMSProp kernel "
        "(tensorflow/core/kernels/training_ops.cc): ms initialised to ONES; "
        "ms += (g^2 - ms)(1 - rho); mom = mu mom + lr g / sqrt(ms + eps); var -= mom. "
        "learning_rate is required in TF1 (0.001 here is a placeholder); TF1 rounds "
        "hyperparameters to float32 (use hyperparameters='float32').",
    ),
    "keras": dict(
        lr="0.001", rho="0.9", eps="1e-7", eps_placement="inside", v0=0,
        lr_in_momentum=True, decoupled_weight_decay=True,
        allows=frozenset({"centered", "momentum", "weight_decay"}),
        source="Keras 3 keras.optimizers.RMSprop (keras/src/optimizers/rmsprop.py): "
        "v = rho v + (1 - rho) g^2; inc = lr g / sqrt(v [- m^2] + eps); b = mu b + inc; "
        "var -= b; weight decay decoupled, var -= var wd lr before the step.",
    ),
    "optax": dict(
        lr="0.001", rho="0.9", eps="1e-8", eps_placement="inside", v0=0,
        lr_in_momentum=True, allows=frozenset({"centered", "momentum"}),
        source="optax.rmsprop (optax/_src/alias.py, transform.scale_by_rms / "
        "scale_by_stddev, then scale_by_learning_rate, then trace): nu = (1 - decay) g^2 "
        "+ decay nu; u = g rsqrt(nu + eps); momentum trace after the -lr scaling (lr inside). "
        "learning_rate is required (0.001 here is a placeholder); initial_scale = v0.",
    ),
    "mxnet": dict(
        lr="0.001", rho="0.9", eps="1e-8", eps_placement="inside", v0=0,
        lr_in_momentum=True, decoupled_weight_decay=False,
        allows=frozenset({"centered", "momentum", "weight_decay"}), momentum_needs_centered=True,
        source="MXNet 1.9.1 optimizer.RMSProp -> rmsprop_update / rmspropalex_update "
        "(src/operator/optimizer_op-inl.h): gr = g + wd w; n = (1 - gamma1) gr^2 + gamma1 n; "
        "w -= lr gr / sqrt(n + eps); centered (rmspropalex): delta = gamma2 delta - "
        "lr gr / sqrt(n - g^2 + eps), w += delta. Momentum (gamma2) exists only centered.",
    ),
    "graves2013": dict(
        lr="1e-4", rho="0.95", eps="1e-4", eps_placement="inside", v0=0,
        centered=True, momentum="0.9", lr_in_momentum=True,
        allows=frozenset({"centered", "momentum"}),
        source="Graves 2013, Generating Sequences With Recurrent Neural Networks, "
        "eq. (38)-(41): n = a n + (1 - a) g^2; g_ = a g_ + (1 - a) g; "
        "D = b D - c g / sqrt(n - g_^2 + d); w += D; a = 0.95, b = 0.9, c = d = 1e-4.",
    ),
    "keras2_legacy": dict(
        lr="0.001", rho="0.9", eps="1e-7", eps_placement="outside", eps_placement_with_momentum="inside",
        v0=0, lr_in_momentum=True, allows=frozenset({"centered", "momentum"}),
        hyperparameters="float32:lr+rho+momentum",
        source="tf_keras.optimizers.legacy.RMSprop (tf_keras/src/optimizers/legacy/rmsprop.py, "
        "_resource_apply_dense): momentum = 0: rms = rho rms + (1 - rho) g^2; "
        "var -= lr g / (sqrt(rms [- mg^2]) + eps) (eps OUTSIDE); momentum > 0: the TF1 "
        "ResourceApply[Centered]RMSProp kernel, eps INSIDE, lr inside the buffer, rms0 = 0. "
        "lr, rho and momentum are float32 variables (_set_hyper); epsilon is a Python float "
        "(exact). epsilon=0 silently becomes 1e-7 (epsilon or backend_config.epsilon()).",
    ),
    "autograd": dict(
        lr="0.1", rho="0.9", eps="1e-8", eps_placement="outside", v0=1,
        allows=frozenset(),
        source="autograd.misc.optimizers.rmsprop (autograd/misc/optimizers.py): avg_sq_grad = "
        "np.ones(len(x)) (v0 = 1, float64); avg = avg gamma + g^2 (1 - gamma); "
        "x -= step_size g / (sqrt(avg) + eps) (eps OUTSIDE); step_size 0.1, gamma 0.9, eps 1e-8.",
    ),
    "paddle": dict(
        lr="0.001", rho="0.95", eps="1e-6", eps_placement="inside", v0=0,
        lr_in_momentum=True, decoupled_weight_decay=False,
        allows=frozenset({"centered", "momentum", "weight_decay"}),
        hyperparameters="float32:rho+eps+momentum",
        source="paddle.optimizer.RMSProp (python/paddle/optimizer/rmsprop.py, "
        "paddle/phi/kernels/impl/rmsprop_kernel_impl.h): ms = rho ms + (1 - rho) g^2; "
        "[mg = rho mg + (1 - rho) g]; mom = mu mom + lr g / sqrt(ms [- mg^2] + eps); p -= mom; "
        "accumulators start at 0; weight_decay (L2Decay) coupled: g += wd p. rho, epsilon and "
        "momentum are float op attributes (float32); lr and weight decay exact for float64 weights. "
        "learning_rate is required (0.001 here is a placeholder).",
    ),
}

PRESET_NAMES: tuple[str, ...] = tuple(PRESETS)


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean ...?)`` with the close matches of ``word`` among ``choices``, or ``""``.

    >>> suggest("pytroch", PRESET_NAMES)
    " (did you mean 'pytorch'?)"
    """
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.5)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
