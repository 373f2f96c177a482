"""A candidate module whose dependency is missing (a usage error naming the missing module)."""

import a_dependency_that_is_not_installed  # noqa: F401


def rmsprop(params, *, lr, rho, eps):
    raise AssertionError("never called")
