"""The exceptions and warnings of xlogdec.

Every error is an ``XlogError``; ``str(e)`` is the line the ``xlogdec``
command prints for it, without its ``xlogdec: `` prefix (``NAME: reason``
for an input). ``e.file`` is the input's name (``None`` when the error is
not about an input), ``e.reason`` the reason alone.
"""

from typing import Optional


class XlogError(Exception):
    """Base class of xlogdec's errors (also: a decoding thread that died)."""

    def __init__(self, message: str, file: Optional[str] = None, reason: Optional[str] = None):
        super().__init__(message)
        self.file = file
        self.reason = reason if reason is not None else message

    def __str__(self) -> str:
        return str(self.args[0])


class InputError(XlogError, OSError):
    """An input is missing, unreadable, a directory, or failed while being
    read (``no such file``, ``permission denied``, ``is a directory``,
    ``read error at byte N: ...``). Also an ``OSError``."""


class NotAnXlogError(XlogError, ValueError):
    """An input holds no valid xlog block:
    ``NAME: not an xlog file (no valid block found)``. Also a ``ValueError``.
    ``records()`` raises it at the end, after any integrity events."""


class InvalidKeyError(XlogError, ValueError):
    """The private key is not 64 hex characters of a valid secp256k1 key.
    Also a ``ValueError``."""


class FilterError(XlogError, ValueError):
    """A record filter cannot be used: an unknown level, a time in none of
    the accepted forms, a regex that does not compile. Also a ``ValueError``."""


class RulesError(XlogError, ValueError):
    """A ``diagnose`` rules file cannot be used (``rules=``): unreadable, not
    valid TOML, or an entry that is not understood. ``str(e)`` is what
    ``xlogdec diagnose --rules FILE`` prints after ``xlogdec diagnose: ``:
    ``bad rules file FILE (byte N): ...`` or ``... rule N: ...``. Also a
    ``ValueError``."""


class XlogWarning(UserWarning):
    """A finding worth a warning, as the command line warns on stderr:
    encrypted blocks left undecoded (no key, or a key that does not fit)."""
