"""Candidate factories that wrap real RMSProp implementations in the oracle's protocol.

The protocol (one step per call, the candidate keeps its own state)::

    step = factory(params, *, lr, rho, eps, **options)   # options it accepts:
                                                           # momentum, centered, weight_decay
    new_params = step(grads)                               # fresh numpy arrays, same shapes/dtypes

Adapters (each module imports its framework lazily, inside the factory, and raises
an ``ImportError`` naming the pip extra when the framework is missing; importing
this package or any adapter module imports nothing heavy):

``oracle.adapters.torch.rmsprop``
    ``torch.optim.RMSprop`` on CPU tensors (``foreach`` and ``device`` selectable).
    ``CONVENTION = "pytorch"``; extra ``rmsprop-oracle[torch]``.
``oracle.adapters.optax.rmsprop``
    ``optax.rmsprop`` under jax, run eagerly (``jit=True`` optional), with
    ``jax_enable_x64`` switched on for float64 parameters.
    ``CONVENTION = "optax"``; extra ``rmsprop-oracle[optax]``.
``oracle.adapters.keras.rmsprop``
    Keras 3 ``keras.optimizers.RMSprop`` (jax backend unless ``KERAS_BACKEND`` says
    otherwise; the torch backend also works). ``CONVENTION = "keras"``; extra
    ``rmsprop-oracle[keras]``.
``oracle.adapters.textbook.wrap_inplace`` / ``oracle.adapters.textbook.seed_rmsprop``
    Turns an in-place textbook function ``fn(params, sqrs, lr, alpha, batch_size, eps)``
    (reading ``param.grad``) into a factory; ``seed_rmsprop`` wraps a numpy
    transcription of the source document's function. ``CONVENTION = "seed"``;
    needs numpy only.

Each module's docstring states the update equations, the rounding of the
hyperparameters per dtype and the evaluation order as confirmed by reading the
installed source and by bit-level runs (``scripts/probe_frameworks.py`` repeats
the discriminating probes on whatever frameworks are installed).
"""
