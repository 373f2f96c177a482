"""Candidate factories that wrap real RMSProp implementations in the oracle's protocol.

The protocol (one step per call, the candidate keeps its own state)::

    step = factory(params, *, lr, rho, eps, **options)   # options it accepts:
                                                           # momentum, centered, weight_decay
    new_params = step(grads)                               # fresh numpy arrays, same shapes/dtypes

Adapters (each module imports its framework lazily, inside the factory, and raises
an ``ImportError`` naming the pip extra when the framework is missing; importing
this package or any adapter module imports nothing heavy):

``torch`` (``rmsprop``, ``rmsprop_single``, ``rmsprop_foreach``)
    ``torch.optim.RMSprop`` on CPU tensors.  ``"pytorch"``; extra ``torch``.
``optax`` (``rmsprop``, ``rmsprop_inject``)
    ``optax.rmsprop`` under jax, eager; ``optax.inject_hyperparams(optax.rmsprop)``.  ``"optax"``,
    ``"optax,hyper_dtype=param"``; extra ``optax``.
``jax_example`` (``rmsprop``, ``rmsprop_momentum``)
    ``jax.example_libraries.optimizers``.  ``"seed"``, ``"optax,allows=momentum"``; extra ``jax``.
``keras`` (``rmsprop_jax``, ``rmsprop_tensorflow``, ``rmsprop_torch``, ``rmsprop``)
    Keras 3 ``keras.optimizers.RMSprop``, one factory per backend.  ``"keras,float32=lr"``;
    extra ``keras``.
``tf_keras`` (``rmsprop``, ``rmsprop_legacy``)
    tf_keras ``optimizers.RMSprop`` and ``optimizers.legacy.RMSprop``.
    ``"keras,float32=lr"``, ``"keras2_legacy"``; extra ``tensorflow``.
``tensorflow`` (``rmsprop_v1``, ``resource_apply_rmsprop``, ``apply_rmsprop``)
    ``tf.compat.v1.train.RMSPropOptimizer`` and the raw kernels.  ``"tf1,float32=all"``,
    ``"tf1"``; extra ``tensorflow``.
``mxnet.rmsprop``
    MXNet 1.9.1 ``mx.optimizer.RMSProp`` (float32 only).  ``"mxnet,float32=all"``; extra ``mxnet``.
``paddle.rmsprop``
    ``paddle.optimizer.RMSProp`` on the CPU (no float16).  ``"paddle"``; extra ``paddle``.
``autograd.rmsprop``
    autograd's whole-loop ``misc.optimizers.rmsprop`` fed one gradient per step.
    ``"autograd"``; extra ``autograd``.
``chainer`` (``rmsprop``, ``rmsprop_eps_inside``)
    ``chainer.optimizers.RMSprop``.  ``"pytorch,allows=weight_decay"``,
    ``"seed,allows=weight_decay"``; extra ``chainer``.
``textbook`` (``wrap_inplace``, ``seed_rmsprop``, ``gluon_rmsprop``)
    In-place textbook functions ``fn(params, sqrs, lr, alpha, batch_size, eps)`` as factories,
    on numpy arrays or real ``mx.nd`` arrays; the source document's function.  ``"seed"``.

Every factory carries ``CONVENTION`` (the module's, or its own attribute), the convention
spec (:func:`oracle.conventions.parse`) that describes the framework exactly, and declines
what the framework cannot do by raising ``NotImplementedError("<framework> <what>: <why>")``.
:mod:`oracle.adapters.certify` certifies one in a fresh process.

Each module's docstring states the update equations, the rounding of the
hyperparameters per dtype and the evaluation order as confirmed by reading the
installed source and by bit-level runs (``scripts/probe_frameworks.py`` repeats
the discriminating probes on whatever frameworks are installed).
"""
