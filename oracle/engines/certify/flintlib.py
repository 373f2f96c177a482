"""FLINT's Arb functions through ctypes, from the very library python-flint loaded (extras ``flint``, ``jit``).

The compiled Arb engine (:mod:`.jitarb`, its loop :mod:`.arbkernel`) calls ``arb_add``, ``arb_sub``,
``arb_mul``, ``arb_div``, ``arb_sqrt``, ``arb_neg``, ``arb_nonnegative_part`` and a few helpers
directly.  The library is the one python-flint loaded (found next to the package, in
``/proc/self/maps`` or by name); it is used only after :func:`self_test` computes a few balls both
through python-flint and directly and finds them identical (which also checks the 48-byte
``arb_struct`` layout).  Balls move between python-flint and raw ``arb_t`` exactly
(``arb_load_str`` / ``arb_dump_str``: mantissas and exponents of midpoint and radius).

:data:`LIB` is the loaded library (None when unavailable: :func:`unavailable_reason` says why).

>>> available() or bool(unavailable_reason())
True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import weakref
from fractions import Fraction
from typing import Any

try:  # the optional extra "flint" (python-flint)
    import flint

    from .arb import exact_fraction, precision
except ImportError as exc:  # pragma: no cover - exercised without the extra
    flint = None
    _MISSING = f"{exc} (pip install 'rmsprop-oracle[jit]')"
else:
    _MISSING = ""

__all__ = ["ARB_SIZE", "LIB", "Lib", "Store", "available", "unavailable_reason"]

ARB_SIZE = 48
"""sizeof(arb_struct): an arf (exponent, size, two limbs or a pointer) and a mag (exponent, limb)."""


def library_paths() -> list:
    base = os.path.dirname(os.path.dirname(os.path.abspath(flint.__file__)))
    pkg = os.path.dirname(os.path.abspath(flint.__file__))
    found = []
    for pattern in ("python_flint.libs/libflint*.so*", "python_flint.libs/*flint*.dll", "flint/.dylibs/libflint*"):
        found += sorted(glob.glob(os.path.join(base, pattern)))
    found += sorted(glob.glob(os.path.join(pkg, ".dylibs", "libflint*")))
    try:
        with open("/proc/self/maps", encoding="ascii", errors="replace") as fh:
            for line in fh:
                path = line.split()[-1] if "/" in line else ""
                if "libflint" in os.path.basename(path) and path not in found:
                    found.append(path)
    except OSError:
        pass
    name = ctypes.util.find_library("flint")
    if name:
        found.append(name)
    return found


class Lib:
    """FLINT's arb functions through ctypes (prototypes as in arb.h)."""

    def __init__(self, path: str) -> None:
        lib = ctypes.CDLL(path)
        vp, sl = ctypes.c_void_p, ctypes.c_long
        self.path, self.lib = path, lib

        def fn(name: str, res: Any, *args: Any) -> Any:
            f = getattr(lib, name)
            f.restype, f.argtypes = res, list(args)
            return f

        self.vec_init = fn("_arb_vec_init", vp, sl)
        self.vec_clear = fn("_arb_vec_clear", None, vp, sl)
        self.add = fn("arb_add", None, vp, vp, vp, sl)
        self.sub = fn("arb_sub", None, vp, vp, vp, sl)
        self.mul = fn("arb_mul", None, vp, vp, vp, sl)
        self.div = fn("arb_div", None, vp, vp, vp, sl)
        self.sqrt = fn("arb_sqrt", None, vp, vp, sl)
        self.neg = fn("arb_neg", None, vp, vp)
        self.set = fn("arb_set", None, vp, vp)
        self.set_d = fn("arb_set_d", None, vp, ctypes.c_double)
        self.lt = fn("arb_lt", ctypes.c_int, vp, vp)
        self.ge = fn("arb_ge", ctypes.c_int, vp, vp)
        self.nonneg = fn("arb_nonnegative_part", None, vp, vp)
        self.acc = fn("arb_rel_accuracy_bits", sl, vp)
        self.is_finite = fn("arb_is_finite", ctypes.c_int, vp)
        self.dump = fn("arb_dump_str", vp, vp)
        self.load = fn("arb_load_str", ctypes.c_int, vp, ctypes.c_char_p)
        self.free = fn("flint_free", None, vp)

    # -- exact transfer between python-flint balls and raw arb_t ------------------
    def load_ball(self, addr: int, ball: Any) -> None:
        """Set the arb_t at ``addr`` to exactly the python-flint ball ``ball``."""
        m, e = ball.mid().man_exp()
        rm, re_ = ball.rad().man_exp()
        text = f"{int(m):x} {int(e):x} {int(rm):x} {int(re_):x}".encode("ascii")
        if self.load(addr, text) != 0:
            raise ValueError(f"arb_load_str refused {text!r}")

    def dump_text(self, addr: int) -> str:
        s = self.dump(addr)
        try:
            return ctypes.string_at(s).decode("ascii")
        finally:
            self.free(s)

    def ends(self, addr: int) -> tuple:
        """The exact enclosure (lo, hi) of the ball at ``addr``; (None, None) if it is not finite."""
        if not self.is_finite(addr):
            return None, None
        m, e, rm, re_ = (int(x, 16) for x in self.dump_text(addr).split())
        mid = Fraction(m) * Fraction(2) ** e
        rad = Fraction(rm) * Fraction(2) ** re_
        return mid - rad, mid + rad


def self_test(lib: Lib) -> None:
    """Balls computed directly must equal python-flint's, bit for bit (layout and library check)."""
    from flint import arb, fmpq

    vec = lib.vec_init(4)
    try:
        a, b, c = vec, vec + ARB_SIZE, vec + 3 * ARB_SIZE
        with precision(300):
            x, y = arb(fmpq(1, 3)), arb(0.1)
            want = ((x * y + x) / (x - y)).sqrt()
            want = -(want * want)
        lib.load_ball(a, x)
        lib.set_d(b, 0.1)
        lib.mul(c, a, b, 300)
        lib.add(c, c, a, 300)
        lib.sub(vec + 2 * ARB_SIZE, a, b, 300)
        lib.div(c, c, vec + 2 * ARB_SIZE, 300)
        lib.sqrt(c, c, 300)
        lib.mul(c, c, c, 300)
        lib.neg(c, c)
        got = lib.ends(c)
        mid, rad = exact_fraction(want.mid()), exact_fraction(want.rad())
        if got != (mid - rad, mid + rad) or lib.acc(c) != want.rel_accuracy_bits():
            raise RuntimeError("the library's balls differ from python-flint's")
    finally:
        lib.vec_clear(vec, 4)


def load() -> tuple:
    """(the first library found that passes :func:`self_test`, "") or (None, why none did)."""
    reasons = []
    for path in library_paths():
        try:
            lib = Lib(path)
            self_test(lib)
            return lib, ""
        except (OSError, AttributeError, RuntimeError, ValueError) as exc:
            reasons.append(f"{path}: {exc}")
    return None, "; ".join(reasons) or "FLINT's shared library was not found"


LIB, _REASON = load() if not _MISSING else (None, _MISSING)


def available() -> bool:
    """Whether FLINT's library is loaded and self-tested."""
    return LIB is not None


def unavailable_reason() -> str:
    """Why :data:`LIB` is None (empty when it is loaded)."""
    return _REASON


class Store:
    """A FLINT vector of ``size`` balls, freed when the last value referring to it is gone."""

    def __init__(self, size: int) -> None:
        self.size = max(int(size), 1)
        self.ptr = LIB.vec_init(self.size)
        if not self.ptr:
            raise MemoryError(f"could not allocate {self.size} balls")
        weakref.finalize(self, LIB.vec_clear, self.ptr, self.size)

    def at(self, k: int) -> int:
        """The address of ball ``k``."""
        return self.ptr + ARB_SIZE * k
