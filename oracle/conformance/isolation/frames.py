"""The data-only channel between the oracle and a candidate's worker: length-prefixed frames.

A frame is a fixed 16-byte prefix (``MAGIC``, header length, body length, big
endian), a JSON header and a body of raw array buffers::

    b"RMS1" | u32 header length | u64 body length | header (UTF-8 JSON) | body

The header is ``{"seq": int, "sizes": [int, ...], "body": value}``: ``value`` is
plain data (dict with str keys, list, str, int, float, bool, None) in which an
array is the dict ``{"nd": k, "dtype": NAME, "shape": [...]}`` naming the k-th
buffer of the body.  Nothing is unpickled and nothing is imported to read a
frame: :func:`read_frame` checks the prefix, the sizes against limits the reader
sets *before* reading, the JSON, then rebuilds every array as a fresh copy with
:func:`numpy.frombuffer` from a dtype of :data:`DTYPES` and a checked shape.
Any deviation raises :class:`FrameError` (the oracle then kills the worker and
fails the case: a broken channel is the candidate's doing).

>>> import os, numpy as np
>>> r, w = os.pipe()
>>> write_frame(w, 7, {"x": [np.arange(3.0), None, "a"]})
>>> seq, value = read_frame(r, deadline=None)
>>> seq, value["x"][0], value["x"][1:]
(7, array([0., 1., 2.]), [None, 'a'])
>>> os.close(r), os.close(w)
(None, None)
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import time
from typing import Any, Optional

import numpy as np

from ...rounding import numpy_dtype

MAGIC = b"RMS1"
PREFIX = struct.Struct(">4sIQ")
MAX_HEADER = 1 << 20
"""Header bytes a frame may have unless the reader allows more."""
MAX_DEPTH = 16
"""Nesting of lists and dicts a header may have."""

DTYPES: dict = {
    "float16": np.dtype("float16"),
    "float32": np.dtype("float32"),
    "float64": np.dtype("float64"),
    "complex64": np.dtype("complex64"),
    "complex128": np.dtype("complex128"),
    "bfloat16": None,  # ml_dtypes.bfloat16, imported when first met (numpy_dtype): its import takes ~1 s
}
"""The only dtypes an array may have on the channel (one line per dtype; native byte order)."""


class FrameError(Exception):
    """A frame that is not what the protocol allows (the message says what)."""


def dtype_name(dt: Any) -> Optional[str]:
    """The :data:`DTYPES` name of a dtype, or None when it is not on the whitelist."""
    for name in DTYPES:
        if getattr(dt, "name", None) == name and dt == _allowed(name) and dt.byteorder in ("=", "|") and dt.isnative:
            return name
    return None


def _allowed(name: str) -> np.dtype:
    return DTYPES[name] if DTYPES[name] is not None else numpy_dtype(name)


def _flatten(value: Any, buffers: list, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise FrameError("value nested too deeply")
    if type(value) is np.ndarray:
        name = dtype_name(value.dtype)
        if name is None:
            raise FrameError(f"dtype {value.dtype} is not on the channel's whitelist")
        buffers.append(_bytes_of(np.ascontiguousarray(value)))
        return {"nd": len(buffers) - 1, "dtype": name, "shape": list(value.shape)}
    if isinstance(value, dict):
        return {str(k): _flatten(v, buffers, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_flatten(v, buffers, depth + 1) for v in value]
    if value is None or type(value) in (str, int, float, bool):
        return value
    raise FrameError(f"{type(value).__name__} cannot travel on the channel")


def _bytes_of(a: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous array, without a copy."""
    return memoryview(a.reshape(-1).view(np.uint8))


def encode(seq: int, value: Any) -> list:
    """The frame for ``value`` as a list of byte buffers (arrays: plain ``numpy.ndarray`` of :data:`DTYPES`)."""
    buffers: list = []
    body = _flatten(value, buffers)
    header = json.dumps({"seq": seq, "sizes": [b.nbytes for b in buffers], "body": body}).encode()
    return [PREFIX.pack(MAGIC, len(header), sum(b.nbytes for b in buffers)) + header] + buffers


def write_frame(fd: int, seq: int, value: Any, deadline: Optional[float] = None) -> None:
    """Write one frame; ``deadline`` (``time.monotonic()``): :class:`TimeoutError` past it (fd non-blocking)."""
    for chunk in encode(seq, value):
        view = memoryview(chunk)
        while view:
            try:
                n = os.write(fd, view[: 1 << 20])
            except BlockingIOError:
                _wait(fd, select.POLLOUT, deadline)
                continue
            view = view[n:]


def _wait(fd: int, event: int, deadline: Optional[float]) -> None:
    poller = select.poll()
    poller.register(fd, event)
    while True:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if poller.poll(None if left is None else math.ceil(left * 1000)):
            return
        if left is not None and left <= 0:
            raise TimeoutError


def _read_into(fd: int, view: memoryview, deadline: Optional[float]) -> None:
    got, n = 0, view.nbytes
    while got < n:
        try:
            k = os.readv(fd, [view[got:]])
        except BlockingIOError:
            _wait(fd, select.POLLIN, deadline)
            continue
        if k == 0:
            raise EOFError("the channel closed")
        got += k


def read_frame(fd: int, deadline: Optional[float], max_header: int = MAX_HEADER,
               max_body: int = 1 << 62) -> tuple:
    """``(seq, value)`` of the next frame on ``fd``, arrays rebuilt as fresh copies.

    :class:`EOFError` when the channel is closed before a frame, :class:`TimeoutError`
    past ``deadline``, :class:`FrameError` for anything the protocol does not allow.
    """
    return _parse(lambda view: _read_into(fd, view, deadline), max_header, max_body)


def decode(blob: bytes, max_header: int = MAX_HEADER, max_body: int = 1 << 62) -> tuple:
    """``(seq, value)`` of a frame held in memory (the in-process worker's replies), checked as on a pipe."""
    source, pos = memoryview(blob).cast("B"), [0]

    def read_into(view: memoryview) -> None:
        n = view.nbytes
        if pos[0] + n > len(source):
            raise EOFError("the frame ends early")
        view[:] = source[pos[0]: pos[0] + n]
        pos[0] += n

    return _parse(read_into, max_header, max_body)


def _read(read_into, n: int) -> bytearray:
    buf = bytearray(n)
    if n:
        read_into(memoryview(buf))
    return buf


def _parse(read_into, max_header: int, max_body: int) -> tuple:
    magic, hlen, blen = PREFIX.unpack(bytes(_read(read_into, PREFIX.size)))
    if magic != MAGIC:
        raise FrameError(f"a frame must start with {MAGIC!r}, got {magic!r}")
    if hlen > max_header:
        raise FrameError(f"a header of {hlen:,} bytes, more than the {max_header:,} allowed")
    if blen > max_body:
        raise FrameError(f"a body of {blen:,} bytes, more than the {max_body:,} this reply can hold")
    try:
        head = json.loads(bytes(_read(read_into, hlen)).decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise FrameError(f"the header is not JSON ({type(exc).__name__})") from None
    if not (isinstance(head, dict) and set(head) == {"seq", "sizes", "body"} and type(head["seq"]) is int
            and type(head["sizes"]) is list and all(type(s) is int and s >= 0 for s in head["sizes"])):
        raise FrameError("the header is not {seq, sizes, body}")
    sizes = head["sizes"]
    if sum(sizes) != blen:
        raise FrameError("the buffer sizes do not add up to the body length")
    refs: dict = {}
    _collect(head["body"], refs, 0)
    if sorted(refs) != list(range(len(sizes))):
        raise FrameError("the buffers are not each named by exactly one array")
    arrays = {}
    for k, size in enumerate(sizes):  # each buffer read straight into a fresh array of its checked shape
        dt, shape = refs[k]
        if math.prod(shape) * dt.itemsize != size:
            raise FrameError(f"an array of shape {tuple(shape)} and dtype {dt} in a buffer of {size} bytes")
        arrays[k] = np.empty(shape, dt)
        if size:
            read_into(_bytes_of(arrays[k]))
    return head["seq"], _rebuild(head["body"], arrays)


def _collect(value: Any, refs: dict, depth: int) -> None:
    """Check every array reference of a header and note its buffer's dtype and shape in ``refs``."""
    if depth > MAX_DEPTH:
        raise FrameError("the header is nested too deeply")
    if isinstance(value, list):
        for v in value:
            _collect(v, refs, depth + 1)
    elif isinstance(value, dict):
        if set(value) != {"nd", "dtype", "shape"}:
            for v in value.values():
                _collect(v, refs, depth + 1)
            return
        k, name, shape = value["nd"], value["dtype"], value["shape"]
        if type(k) is not int or k in refs:
            raise FrameError(f"an array names buffer {str(k)[:20]} (not a number, or named twice)")
        if type(name) is not str or name not in DTYPES:
            raise FrameError(f"an array of dtype {str(name)[:40]!r}, not one of {', '.join(DTYPES)}")
        if not (type(shape) is list and len(shape) <= 32 and all(type(n) is int and n >= 0 for n in shape)):
            raise FrameError(f"an array of shape {str(shape)[:80]}")
        refs[k] = (_allowed(name), shape)


def _rebuild(value: Any, arrays: dict) -> Any:
    if isinstance(value, list):
        return [_rebuild(v, arrays) for v in value]
    if isinstance(value, dict):
        if set(value) == {"nd", "dtype", "shape"}:
            return arrays[value["nd"]]
        return {k: _rebuild(v, arrays) for k, v in value.items()}
    return value
