"""Decode Tencent Mars xlog files (the IM SDK's ``imsdk_*.xlog`` logs).

The ``xlogdec`` decoder as a Python package: the same bytes and the same
JSON records as the ``xlogdec`` command, decoded in Rust with the GIL
released.

- :func:`decode` -- the decoded text, the same bytes as ``xlogdec FILE``;
- :func:`records` -- the records and integrity events as dicts, the objects
  of ``xlogdec --format json FILE``, streamed: memory stays bounded whatever
  the input's size;
- :func:`info` -- the object of ``xlogdec info --format json FILE``;
- :func:`diagnose` -- what an IM SDK log says happened (sessions, logins,
  kicks, failed sends, error codes with their meaning), the objects of
  ``xlogdec diagnose --format json FILE``.

A *source* is a path (``str`` or ``os.PathLike``), the input's bytes
(``bytes``, ``bytearray``, ``memoryview``), or a binary file object (anything
with ``read(n)`` returning ``bytes``). A path ending ``.mmap3`` is a crash
buffer, as on the command line (``mmap3=`` overrides; for bytes and file
objects, ``name=`` is looked at).

Errors are :class:`XlogError` subclasses worded as the command line words
them (see ``xlogdec._errors``); encrypted blocks left undecoded give an
:class:`XlogWarning`, as the command line warns.
"""

import json as _json
import os
import warnings as _warnings
from typing import (
    IO,
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Tuple,
    TypeVar,
    Union,
)

from . import _xlogdec
from ._errors import (
    FilterError,
    InputError,
    InvalidKeyError,
    NotAnXlogError,
    RulesError,
    XlogError,
    XlogWarning,
)

__version__: str = _xlogdec.__version__

__all__ = [
    "decode",
    "records",
    "info",
    "diagnose",
    "Records",
    "escape",
    "unescape",
    "XlogError",
    "InputError",
    "NotAnXlogError",
    "InvalidKeyError",
    "FilterError",
    "RulesError",
    "XlogWarning",
]

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]


_T = TypeVar("_T")


def _warn(messages: List[str], stacklevel: int = 3) -> None:
    for m in messages:
        _warnings.warn(m, XlogWarning, stacklevel=stacklevel)


def _text(
    native: Callable[..., Tuple[_T, List[str]]], source: Source, **options: Any
) -> _T:
    """The text of ``native(source, **options)``, its warnings issued for
    the caller of the public function that called this one."""
    text, warns = native(source, **options)
    _warn(warns, stacklevel=4)
    return text


def decode(
    source: Source,
    *,
    key: Optional[str] = None,
    salvage: bool = True,
    markers: bool = True,
    recover: bool = False,
    mmap3: Optional[bool] = None,
    name: Optional[str] = None,
    jobs: Optional[int] = None,
) -> bytes:
    """The decoded text of ``source``: the same bytes as ``xlogdec FILE``.

    ``key`` is the server private key (64 hex characters) for encrypted
    logs; ``salvage=False`` is ``--no-salvage`` (the official decoder's
    output exactly), ``markers=False`` is ``--no-markers``, ``recover=True``
    is ``--recover``. ``jobs`` decoding threads (default: one per core).
    The whole text is returned: for large inputs prefer :func:`records`.
    """
    return _text(
        _xlogdec.decode,
        source,
        key=key,
        salvage=salvage,
        markers=markers,
        recover=recover,
        mmap3=mmap3,
        name=name,
        jobs=jobs,
    )


class Records(Iterator[Dict[str, Any]]):
    """An iterator over the objects of ``xlogdec --format json``, without
    the ``begin`` and ``summary`` objects: ``record`` objects, ``continuation``
    objects (the rest of a record longer than 1 MiB) and the integrity events
    ``gap``, ``corrupt``, ``locked`` and ``salvaged``, each a dict with
    ``"type"``.

    Decoding runs on a thread of its own, at most about 1.5 MiB of JSON
    ahead of the reader. Once the iteration ends, :attr:`summary` holds the
    ``summary`` object and :attr:`warnings` the command line's warnings (also
    issued as :class:`XlogWarning`). :meth:`close` (or leaving a ``with``
    block) stops decoding early.
    """

    def __init__(self, chunks: "_xlogdec.JsonChunks") -> None:
        self._chunks = chunks
        self._it = self._objects()
        self.summary: Optional[Dict[str, Any]] = None
        self.warnings: List[str] = []

    def _objects(self) -> Iterator[Dict[str, Any]]:
        loads = _json.loads
        for chunk in self._chunks:
            for line in chunk.split(b"\n"):
                if not line:
                    continue
                obj = loads(line)
                kind = obj["type"]
                if kind == "begin":
                    continue
                if kind == "summary":
                    self.summary = obj
                    continue
                yield obj
        self.warnings = list(self._chunks.warnings)
        _warn(self.warnings)

    def __iter__(self) -> "Records":
        return self

    def __next__(self) -> Dict[str, Any]:
        return next(self._it)

    def close(self) -> None:
        """Stops decoding; the iteration ends."""
        self._chunks.close()
        self._it.close()

    def __enter__(self) -> "Records":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def records(
    source: Source,
    *,
    key: Optional[str] = None,
    level: Optional[str] = None,
    tag: Union[str, Iterable[str], None] = None,
    pid: Optional[int] = None,
    tid: Optional[int] = None,
    main_thread: bool = False,
    since: Optional[str] = None,
    until: Optional[str] = None,
    grep: Optional[str] = None,
    ignore_case: bool = False,
    invert: bool = False,
    salvage: bool = True,
    recover: bool = False,
    mmap3: Optional[bool] = None,
    name: Optional[str] = None,
    jobs: Optional[int] = None,
) -> Records:
    """The records and integrity events of ``source`` as dicts: the objects
    of ``xlogdec --format json FILE`` (see :class:`Records`), streamed.

    The filters are the command line's, combined with AND, applied to
    ``record`` objects only: ``level`` (``-l``: ``V D I W E F`` or a name),
    ``tag`` (``--tag``: exact or glob; several: any), ``pid``, ``tid``,
    ``main_thread``, ``since`` / ``until`` (``HH:MM[:SS]``, ``YYYY-MM-DD
    [HH:MM[:SS]]``, optionally with ``Z`` or ``+HH:MM``, or relative like
    ``-2h``), ``grep`` (``-e``, a Rust regex on the message), ``ignore_case``
    (``-i``), ``invert`` (``-v``). ``name`` is the objects' ``"file"`` (default:
    the path as given, a file object's ``name``, or ``<bytes>``).

    Bad arguments raise at once (:class:`FilterError`,
    :class:`InvalidKeyError`); a bad input raises when the iteration reaches
    the failure (:class:`InputError`, and :class:`NotAnXlogError` at the end).
    """
    tags = [tag] if isinstance(tag, str) else list(tag or [])
    chunks = _xlogdec.json_chunks(
        source,
        key=key,
        level=level,
        tag=tags,
        pid=pid,
        tid=tid,
        main_thread=main_thread,
        since=since,
        until=until,
        grep=grep,
        ignore_case=ignore_case,
        invert=invert,
        salvage=salvage,
        recover=recover,
        mmap3=mmap3,
        name=name,
        jobs=jobs,
    )
    return Records(chunks)


def info(
    source: Source, *, key: Optional[str] = None, name: Optional[str] = None, top: int = 10
) -> Dict[str, Any]:
    """What ``source`` holds, without its text: the object of ``xlogdec info
    --format json --top TOP FILE`` (sizes, blocks by kind, seq range and
    gaps, corrupt ranges, locked blocks, first and last record time, records
    per level, the ``top`` most frequent tags, and ``metadata``: what the
    IM SDK banners say)."""
    return _json.loads(_xlogdec.info(source, key=key, name=name, top=top))


def diagnose(
    source: Source,
    *,
    key: Optional[str] = None,
    rules: Union[str, "os.PathLike[str]", None] = None,
    top: int = 5,
    mmap3: Optional[bool] = None,
    name: Optional[str] = None,
    jobs: Optional[int] = None,
) -> List[Dict[str, Any]]:
    """The IM SDK lens: the objects of ``xlogdec diagnose --format json
    [--rules RULES] [--top TOP] FILE``, in order -- one dict per finding
    (``"type"`` among ``session``, ``init``, ``connect``, ``login``,
    ``usersig_expired``, ``kicked``, ``logout``, ``send_failed``, ``error``,
    ``gap``; with ``file``, ``time``, ``ts``, ``line``, ``code``, ``name``,
    ``meaning``, ``advice``, ``confidence``, ``evidence``), then the
    ``summary`` dict (sessions, logins ok and failed, kicks, UserSig
    expiries, send failures by code, the ``top`` most frequent codes, and
    ``has_imsdk_lines``: false for a log with no IM SDK line). The schema
    is the README's.

    ``rules`` is a TOML file of more rules and error codes (the command
    line's ``--rules``); a bad one raises :class:`RulesError`. ``name`` is
    the objects' ``"file"`` (default: the path as given, a file object's
    ``name``, or ``<bytes>``).
    """
    text = _text(
        _xlogdec.diagnose,
        source,
        key=key,
        rules=rules,
        top=top,
        mmap3=mmap3,
        name=name,
        jobs=jobs,
    )
    # Split on "\n" alone: JSON escapes it in strings, not U+2028 or U+0085,
    # which str.splitlines() would also cut at.
    return [_json.loads(line) for line in text.split("\n") if line]


def escape(data: bytes) -> "tuple[str, bool]":
    """Log bytes as a JSON field holds them: as they are when valid UTF-8,
    else each invalid byte as ``\\xNN`` and each backslash doubled. Returns
    ``(text, escaped)``."""
    return _xlogdec.escape(data)


def unescape(text: str) -> bytes:
    """The exact bytes of a field listed in a record's ``"escaped"``."""
    return _xlogdec.unescape(text)
