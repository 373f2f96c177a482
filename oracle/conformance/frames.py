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
}
"""The only dtypes an array may have on the channel (one line per dtype; native byte order)."""


class FrameError(Exception):
    """A frame that is not what the protocol allows (the message says what)."""


def dtype_name(dt: Any) -> Optional[str]:
    """The :data:`DTYPES` name of a dtype, or None when it is not on the whitelist."""
    for name, allowed in DTYPES.items():
        if dt == allowed and dt.byteorder in ("=", "|") and dt.isnative:
            return name
    return None


def _flatten(value: Any, buffers: list, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise FrameError("value nested too deeply")
    if type(value) is np.ndarray:
        name = dtype_name(value.dtype)
        if name is None:
            raise FrameError(f"dtype {value.dtype} is not on the channel's whitelist")
        buffers.append(np.ndarray.tobytes(value))
        return {"nd": len(buffers) - 1, "dtype": name, "shape": list(value.shape)}
    if isinstance(value, dict):
        return {str(k): _flatten(v, buffers, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_flatten(v, buffers, depth + 1) for v in value]
    if value is None or type(value) in (str, int, float, bool):
        return value
    raise FrameError(f"{type(value).__name__} cannot travel on the channel")


def encode(seq: int, value: Any) -> list:
    """The frame for ``value`` as a list of byte strings (arrays: plain ``numpy.ndarray`` of :data:`DTYPES`)."""
    buffers: list = []
    body = _flatten(value, buffers)
    header = json.dumps({"seq": seq, "sizes": [len(b) for b in buffers], "body": body}).encode()
    return [PREFIX.pack(MAGIC, len(header), sum(len(b) for b in buffers)), header] + buffers


def write_frame(fd: int, seq: int, value: Any, deadline: Optional[float] = None) -> None:
    """Write one frame; ``deadline`` (``time.monotonic()``): :class:`TimeoutError` past it (fd non-blocking)."""
    for chunk in encode(seq, value):
        view = memoryview(chunk)
        while view:
            if deadline is not None:
                _wait(fd, select.POLLOUT, deadline)
            try:
                n = os.write(fd, view[: 1 << 20])
            except BlockingIOError:
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


def _read_exact(fd: int, n: int, deadline: Optional[float]) -> bytearray:
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        _wait(fd, select.POLLIN, deadline)
        try:
            k = os.readv(fd, [view[got:]])
        except BlockingIOError:
            continue
        if k == 0:
            raise EOFError("the channel closed")
        got += k
    return buf


def read_frame(fd: int, deadline: Optional[float], max_header: int = MAX_HEADER,
               max_body: int = 1 << 62) -> tuple:
    """``(seq, value)`` of the next frame on ``fd``, arrays rebuilt as fresh copies.

    :class:`EOFError` when the channel is closed before a frame, :class:`TimeoutError`
    past ``deadline``, :class:`FrameError` for anything the protocol does not allow.
    """
    return _parse(lambda n: _read_exact(fd, n, deadline), max_header, max_body)


def decode(blob: bytes, max_header: int = MAX_HEADER, max_body: int = 1 << 62) -> tuple:
    """``(seq, value)`` of a frame held in memory (the in-process worker's replies), checked as on a pipe."""
    view, pos = memoryview(blob), [0]

    def read(n: int) -> bytearray:
        if pos[0] + n > len(view):
            raise EOFError("the frame ends early")
        pos[0] += n
        return bytearray(view[pos[0] - n: pos[0]])

    return _parse(read, max_header, max_body)


def _parse(read, max_header: int, max_body: int) -> tuple:
    magic, hlen, blen = PREFIX.unpack(bytes(read(PREFIX.size)))
    if magic != MAGIC:
        raise FrameError(f"a frame must start with {MAGIC!r}, got {magic!r}")
    if hlen > max_header:
        raise FrameError(f"a header of {hlen:,} bytes, more than the {max_header:,} allowed")
    if blen > max_body:
        raise FrameError(f"a body of {blen:,} bytes, more than the {max_body:,} this reply can hold")
    header = read(hlen)
    try:
        head = json.loads(bytes(header).decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise FrameError(f"the header is not JSON ({type(exc).__name__})") from None
    if not (isinstance(head, dict) and set(head) == {"seq", "sizes", "body"} and type(head["seq"]) is int
            and type(head["sizes"]) is list and all(type(s) is int and s >= 0 for s in head["sizes"])):
        raise FrameError("the header is not {seq, sizes, body}")
    if sum(head["sizes"]) != blen:
        raise FrameError("the buffer sizes do not add up to the body length")
    body = read(blen)
    offsets = [0]
    for s in head["sizes"]:
        offsets.append(offsets[-1] + s)
    return head["seq"], _rebuild(head["body"], body, head["sizes"], offsets, 0)


def _rebuild(value: Any, body: bytearray, sizes: list, offsets: list, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise FrameError("the header is nested too deeply")
    if isinstance(value, list):
        return [_rebuild(v, body, sizes, offsets, depth + 1) for v in value]
    if isinstance(value, dict):
        if set(value) == {"nd", "dtype", "shape"}:
            return _array(value, body, sizes, offsets)
        return {k: _rebuild(v, body, sizes, offsets, depth + 1) for k, v in value.items()}
    return value


def _array(ref: dict, body: bytearray, sizes: list, offsets: list) -> np.ndarray:
    k, name, shape = ref["nd"], ref["dtype"], ref["shape"]
    if not (type(k) is int and 0 <= k < len(sizes)):
        raise FrameError(f"an array names buffer {k!r} of {len(sizes)}")
    if type(name) is not str or name not in DTYPES:
        raise FrameError(f"an array of dtype {str(name)[:40]!r}, not one of {', '.join(DTYPES)}")
    if not (type(shape) is list and len(shape) <= 32 and all(type(n) is int and n >= 0 for n in shape)):
        raise FrameError(f"an array of shape {str(shape)[:80]}")
    dt = DTYPES[name]
    if math.prod(shape) * dt.itemsize != sizes[k]:
        raise FrameError(f"an array of shape {tuple(shape)} and dtype {name} in a buffer of {sizes[k]} bytes")
    count = math.prod(shape)
    if count == 0:
        return np.empty(shape, dt)
    return np.frombuffer(body, dtype=dt, count=count, offset=offsets[k]).reshape(shape).copy()
