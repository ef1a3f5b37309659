"""The runbook parsed once per version: the model, kept in the user's cache folder.

Parsing is quick, but importing markdown-it to do it is not, and the on-call pays both
before the first check. The model is pickled under a key made of the runbook's text, its
path, the parser's and the model's source, and the Python version: any change to one of
them is a new key, so a cached model is always the one `parse.load` would return now.
Anything wrong with the cache (unwritable, unreadable, corrupt) falls back to parsing.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import os
import pickle
import sys
import tempfile
from pathlib import Path
from types import MappingProxyType

from opscheck.runbook.errors import RunbookError
from opscheck.runbook.model import Runbook

CACHE_ENV = "OPSCHECK_CACHE_DIR"  # where the cache lives; empty: no cache
PARSER = ("model.py", "parse.py", "markdown.py", "errors.py")


def folder() -> Path | None:
    """The cache folder: $OPSCHECK_CACHE_DIR, else $XDG_CACHE_HOME/opscheck or ~/.cache/opscheck."""
    given = os.environ.get(CACHE_ENV)
    if given is not None:
        return Path(given) if given else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "opscheck"


def load(path: str | os.PathLike[str]) -> Runbook:
    """As `opscheck.runbook.load`, from the cache when this very runbook was parsed before."""
    try:
        text = Path(path).read_bytes()
    except OSError:
        return _parse(path)  # says what is wrong with the file
    where = folder()
    if where is None:
        return _parse(path)
    entry = where / f"runbook-{_key(text, str(path))}.pickle"
    try:
        book = pickle.loads(entry.read_bytes())
        if isinstance(book, Runbook):
            return book
    except Exception:  # missing, unreadable or stale: parse it instead
        pass
    book = _parse(path)
    _store(entry, book)
    return book


def _parse(path: str | os.PathLike[str]) -> Runbook:
    from opscheck.runbook.parse import load as parse_file

    return parse_file(path)


def _key(text: bytes, path: str) -> str:
    digest = hashlib.sha256(text)
    digest.update(path.encode() + b"\0" + sys.version.encode())
    here = Path(__file__).parent
    for name in PARSER:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:32]


def _read_only(mapping: dict[object, object]) -> MappingProxyType[object, object]:
    """Rebuild a read-only mapping of the model, which pickle cannot name."""
    return MappingProxyType(mapping)


def _store(entry: Path, book: Runbook) -> None:
    """Write the entry whole (a temporary file renamed), or not at all."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[MappingProxyType] = lambda m: (_read_only, (dict(m),))
    try:
        pickler.dump(book)
        entry.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=entry.parent, delete=False) as file:
            file.write(buffer.getvalue())
        os.replace(file.name, entry)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        return


__all__ = ["RunbookError", "folder", "load"]
