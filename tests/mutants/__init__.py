"""A catalogue of wrong (and of correct) RMSProp implementations: the suite's teeth.

Every entry follows the candidate protocol (``step = factory(params, *, lr, rho,
eps, **options)``; ``step(grads) -> params``).  ``MUTANTS`` maps a name to
``(convention, expected cause, extra pytest args)``: the suite must reject the
factory ``mutants.wrong:<name>`` when certified against that convention and
name a cause containing the expected text.  ``CORRECT`` maps names in
``mutants.right`` to the convention each must be certified under.
"""

MUTANTS = {
    # convention, text the diagnosis must contain, extra options for the inner run
    "eps_outside": ("seed", "wrong side of the root", ()),
    "eps_inside": ("pytorch", "wrong side of the root", ()),
    "no_one_minus_rho": ("seed", "missing (1 - rho)", ()),
    "bias_correction": ("seed", "bias correction", ()),
    "accumulator_at_one": ("seed", "accumulator started at 1", ()),
    "batch_size_twice": ("seed", "batch size twice", ()),
    "lagged_accumulator": ("seed", "lagged accumulator", ()),
    "shared_accumulator": ("seed", "shared by all parameters", ()),
    "float32_state": ("seed", "lower-precision internal state", ("--dtype=float64",)),
    "no_sqrt": ("seed", "square root missing", ()),
    "ascent": ("seed", "added instead of subtracted", ()),
    "swapped_rho": ("seed", "swapped", ()),
    "float32_hyperparameters": ("seed", "rounded to float32", ("--dtype=float64",)),
    "momentum_ignored": ("pytorch", "momentum option ignored", ()),
    "momentum_damped": ("pytorch", "damped", ()),
    "centered_ignored": ("pytorch", "centered option ignored", ()),
    "centered_unsquared": ("pytorch", "not squared", ()),
    "weight_decay_decoupled": ("pytorch", "coupled/decoupled", ()),
    "weight_decay_abs": ("pytorch", "|p|", ()),
    "float16_loss_scale": ("seed", "loss scale not undone", ("--dtype=float16",)),
    "flush_tiny_gradients": ("seed", "not updated", ("--dtype=float64",)),
    "chunk_tail_skipped": ("seed", "not updated", ("--dtype=float32",)),
    "state_reset_after_500": ("seed", "state lost", ("--dtype=float64", "-k", "long-run")),  # only long runs see it
    "maximize_ignored": ("pytorch", "maximize option ignored", ("--dtype=float64", "-k", "maximize")),
    "lr_cached": ("pytorch", "cached at construction", ("--dtype=float64", "-k", "schedule")),
    "lr_inside_buffer": ("pytorch", "wrong side of the momentum buffer", ("--dtype=float64", "-k", "schedule")),
    "maximize_whole_update": ("pytorch", "maximize negates the decayed gradient", ("--dtype=float64", "-k",
                                                                                    "maximize-weight-decay")),
    "complex_modulus": ("pytorch", "complex_reading=modulus", ("--dtype=complex64", "-k", "complex-centered")),
    # broken protocol or hygiene
    "raises": ("seed", "step 1 raised RuntimeError: boom", ()),
    "wrong_count": ("seed", "returned 2 arrays for 1 parameters", ()),
    "wrong_shape": ("seed", "returned shape", ()),
    "wrong_dtype": ("seed", "returned dtype float64", ("--dtype=float32",)),
    "returns_nan": ("seed", "non-finite output", ()),
    "hangs": ("seed", "per-case timeout of 1 s", ("--case-timeout=1", "--dtype=float64")),
    "mutates_grads": ("seed", "mutated the gradient arrays", ("-k", "hygiene")),
    "aliased_output": ("seed", "changed by later steps", ("-k", "hygiene")),
    "class_level_state": ("seed", "two instances interfere", ("-k", "hygiene")),
}

CORRECT = {
    "tf_order": "seed",
    "in_place": "seed",
    "rsqrt": "seed",
    "float32_careful": "seed",
    "torch_style": "pytorch",
    "kwargs_class": "pytorch",
    "torch_maximize": "pytorch",
    "torch_scheduled": "pytorch",
}
