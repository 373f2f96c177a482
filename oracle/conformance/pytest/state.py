"""The plugin's state on a pytest config: one ``StashKey``, one :class:`State`.

Everything the plugin and the collected tests share during a pytest session lives in
one object on ``config.stash[KEY]``: the checked settings, the
:class:`~oracle.conformance.judge.session.Session` (made on first use, from the
command line's options, checked once by :func:`~oracle.conformance.judge.options.validate`),
the ledger the certificate is assembled from, and the case source of ``--oracle-cases``.
Nothing is kept in a module global; each pytest config (an xdist worker, an inner
pytester session) has its own.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

import pytest


@dataclasses.dataclass
class State:
    """What one pytest session of the suite holds (see the module docstring)."""

    session: Any = None  # the judge's Session, made by session_of()
    ledger: Any = None  # the certificate's Ledger, made by ledger_of()
    user_cases: Optional[Callable] = None  # the case source of --oracle-cases, for this session only


KEY = pytest.StashKey[State]()


def state_of(config: Any) -> State:
    """The state of ``config`` (made on first use)."""
    if KEY not in config.stash:
        config.stash[KEY] = State()
    return config.stash[KEY]


def settings_of(config: Any) -> Any:
    """The checked :class:`~oracle.conformance.judge.options.Settings` of the command line (the options' defaults
    where the plugin's options are not registered); ``ValueError`` naming a bad option."""
    from ..judge.options import OPTIONS, validate

    given = {}
    for o in OPTIONS:
        try:
            given[o.name] = config.getoption(o.flag)
        except ValueError:
            given[o.name] = o.default
    return validate(given)


def session_of(config: Any) -> Any:
    """The session of ``config`` (made on first use: the options are checked then, once)."""
    state = state_of(config)
    if state.session is None:
        from ..judge.session import Session

        state.session = Session(settings_of(config), sources=[state.user_cases] if state.user_cases else [])
    return state.session


def ledger_of(config: Any) -> Any:
    """The ledger of ``config`` (made on first use)."""
    state = state_of(config)
    if state.ledger is None:
        from ..judge.certificate import Ledger

        state.ledger = Ledger()
    return state.ledger
