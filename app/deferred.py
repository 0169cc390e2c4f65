"""The handler's imports without what the libraries load for paths a Lambda request never takes.

A cold start executes every module the handler's imports pull in, and some of those are imported at
module level for features this service never reaches on Lambda: asyncio imports `ssl` and its TLS
protocol for TLS connections; Starlette imports `http.client` (and with it the e-mail parser) for the
reason phrase of an HTTPException raised without a detail, `html` for its debug traceback page,
`http.cookies` for cookies and `hashlib` for file ETags; `tempfile` imports `shutil` (with bz2, lzma
and zlib) to remove temporary directories; asyncio and subprocess import `signal` and `locale`, the
e-mail utilities `calendar`, and socket `array`, each for work a request does not do.

Inside `imports()`, those modules are imported as usual (same spec, same place in sys.modules and on
their package) but their code runs at the first access to one of their attributes: `import ssl`
binds the module, `ssl.SSLContext` or `from ssl import SSLContext` runs it. Anything that does use
one later (a TLS client, a 404 from the router) gets the real module at that moment, once.
importlib.util.LazyLoader cannot be used for this: an import statement reads the module's
`__spec__`, which already runs a LazyLoader module.

structlog also tries to import rich, colorama and better_exceptions for its console renderer; the
JSON pipeline used on Lambda needs none of them, so inside `imports()` they are not found (rich alone
is some 90 modules where it is installed). They stay importable afterwards.
"""

from __future__ import annotations

import importlib.machinery
import sys
import threading
import types
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.abc import Loader  # not at run time: importlib.abc imports pathlib, tempfile, shutil

# What a Lambda request never uses, and what would use it.
DEFERRED = (
    "ssl",  # TLS connections (asyncio, any HTTPS client)
    "asyncio.sslproto",  # asyncio's TLS transport, which reads ssl at import
    "http.client",  # Starlette's HTTPException without a detail (the router's 404 and 405)
    "http.cookies",  # request.cookies, Response.set_cookie
    "html",  # Starlette's debug traceback page
    "hashlib",  # FileResponse ETags
    "shutil",  # tempfile's removal of temporary directories
    "signal",  # asyncio's signal handlers and child watchers, subprocess
    "locale",  # subprocess's text-mode encoding
    "calendar",  # e-mail date parsing (email._parseaddr, before Python 3.13)
    "array",  # socket's passing of file descriptors
)
CONSOLE_EXTRAS = ("rich", "colorama", "better_exceptions")

_lock = threading.RLock()
_running: set[str] = set()


class DeferredModule(types.ModuleType):
    """A module imported without running its code; the first access to one of its names runs it."""

    def __getattr__(self, name: str) -> Any:
        if not run(self):
            raise AttributeError(f"partially initialized module {self.__name__!r} has no attribute {name!r}")
        return getattr(self, name)

    def __dir__(self) -> Iterable[str]:
        run(self)
        return dir(self)


def run(module: types.ModuleType) -> bool:
    """Run a deferred module's code once; False while this very thread is running it (circular use)."""
    with _lock:  # another thread waits here until the module is complete
        spec = module.__spec__
        if type(module) is not DeferredModule or spec is None:
            return True
        if spec.name in _running:
            return False
        assert isinstance(spec.loader, _DeferringLoader)
        loader = spec.loader.loader
        spec.loader = module.__loader__ = loader  # the real loader from now on, as LazyLoader leaves it
        _running.add(spec.name)
        try:
            loader.exec_module(module)
        except BaseException:
            sys.modules.pop(spec.name, None)  # what a failed import leaves
            raise
        finally:
            _running.discard(spec.name)
            module.__class__ = types.ModuleType
        return True


class _DeferringLoader:
    """Wraps the real loader: the module is created as usual, its code is left for `run`."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module, as for any source or bytecode module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__class__ = DeferredModule

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)  # get_source, get_filename, ... for tracebacks and tools


class _Finder:
    def __init__(self, deferred: Sequence[str], hidden: Sequence[str]) -> None:
        self.deferred = frozenset(deferred)
        self.hidden = frozenset(hidden)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in self.hidden:
            raise ModuleNotFoundError(f"{fullname} is not imported on the Lambda path", name=fullname)
        if fullname not in self.deferred:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _DeferringLoader(spec.loader)  # type: ignore[assignment]
        return spec


@contextmanager
def imports(deferred: Sequence[str] = DEFERRED, hidden: Sequence[str] = CONSOLE_EXTRAS) -> Iterator[None]:
    """Imports inside the block defer `deferred` and do not find `hidden` (modules already imported
    are what they are)."""
    finder = _Finder(deferred, hidden)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
