"""Type stubs of the native part of xlogdec (use the functions of the
``xlogdec`` package itself)."""

import os
from typing import IO, Iterator, List, Optional, Tuple, Union

_Source = Union[str, os.PathLike[str], bytes, bytearray, memoryview, IO[bytes]]

__version__: str

def decode(
    source: _Source,
    *,
    key: Optional[str] = ...,
    salvage: bool = ...,
    markers: bool = ...,
    recover: bool = ...,
    mmap3: Optional[bool] = ...,
    name: Optional[str] = ...,
    jobs: Optional[int] = ...,
) -> Tuple[bytes, List[str]]: ...
def info(
    source: _Source, *, key: Optional[str] = ..., name: Optional[str] = ..., top: int = ...
) -> str: ...

def diagnose(
    source: _Source,
    *,
    key: Optional[str] = ...,
    rules: Union[str, os.PathLike[str], None] = ...,
    top: int = ...,
    mmap3: Optional[bool] = ...,
    name: Optional[str] = ...,
    jobs: Optional[int] = ...,
) -> Tuple[str, List[str]]: ...

class JsonChunks(Iterator[bytes]):
    """Chunks of whole JSON lines, decoded on a thread of its own."""

    @property
    def warnings(self) -> List[str]: ...
    def __iter__(self) -> "JsonChunks": ...
    def __next__(self) -> bytes: ...
    def close(self) -> None: ...

def json_chunks(
    source: _Source,
    *,
    key: Optional[str] = ...,
    level: Optional[str] = ...,
    tag: List[str] = ...,
    pid: Optional[int] = ...,
    tid: Optional[int] = ...,
    main_thread: bool = ...,
    since: Optional[str] = ...,
    until: Optional[str] = ...,
    grep: Optional[str] = ...,
    ignore_case: bool = ...,
    invert: bool = ...,
    salvage: bool = ...,
    recover: bool = ...,
    mmap3: Optional[bool] = ...,
    name: Optional[str] = ...,
    jobs: Optional[int] = ...,
) -> JsonChunks: ...
def escape(data: bytes) -> Tuple[str, bool]: ...
def unescape(text: str) -> bytes: ...
