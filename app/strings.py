"""Every piece of UI text, by key, in the language of the page that asked.

Layout, views and figures call ``t(key, **values)``. The language is per request: each event runs inside
``use_language(...)`` with the session's choice (the page's language switch), so one server serves an English and a
Korean classroom at once; outside an event (building the layout, tests) the start-up default applies. The tables live
in app/locales/ (one module per language, the same keys; a test fails when a key lacks its Korean).
Engine errors are translated by their code (``engine.<code>`` keys) and engine step names by ``step.<name>``.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator

from app.locales.en import EN
from app.locales.ko import KO

TABLES: dict[str, dict[str, str]] = {"en": EN, "ko": KO}
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "ko": "한국어"}   # each in its own language
_default_language = "en"
# A language, or a function that tells the session's language at the moment text is produced (so an event that
# started before the page switched language still finishes in the new one).
_language: ContextVar[str | Callable[[], str | None] | None] = ContextVar("rcnn_lens_language", default=None)


def set_language(language: str) -> None:
    """The start-up default (``--lang``): used for the initial page and wherever no session says otherwise."""
    global _default_language
    _check(language)
    _default_language = language


def default_language() -> str:
    return _default_language


def current_language() -> str:
    source = _language.get()
    language = source() if callable(source) else source
    return language if language in TABLES else _default_language


@contextmanager
def use_language(language: str | Callable[[], str | None] | None) -> Iterator[None]:
    """Run a block (an event) in `language` — a code, or a function read whenever text is produced; None keeps
    the current one."""
    if isinstance(language, str):
        _check(language)
    token = _language.set(language if language is not None else _language.get())
    try:
        yield
    finally:
        _language.reset(token)


def _check(language: str) -> None:
    if language not in TABLES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(TABLES)}")


def t(key: str, **values: object) -> str:
    """The UI text for ``key`` in the current language, formatted with ``values``; English when a table lacks it."""
    template = TABLES[current_language()].get(key) or EN[key]
    return template.format(**values) if values else template


def has_text(key: str) -> bool:
    return key in EN


def step_name(name: str) -> str:
    """An engine step name ("per-level top-k", "per-class NMS", …) in the current language."""
    key = "step." + name
    return t(key) if key in EN else name


def engine_error_text(error: Exception) -> str:
    """An engine error in the current language: its code's template when this table has one (`engine.<code>`),
    with threshold names shown as their slider labels; else the engine's own (English) message."""
    code, params = getattr(error, "code", None), dict(getattr(error, "params", {}) or {})
    if "name" in params and f"th.{params['name']}" in EN:
        params["name"] = t(f"th.{params['name']}")
    if "given" in params and f"input.custom.trained_from.{params['given']}" in EN:   # an option code → its label
        params["given"] = t(f"input.custom.trained_from.{params['given']}")
    template: Any = TABLES[current_language()].get(f"engine.{code}")
    if template is None:
        from inspectors.core.errors import MESSAGES  # English comes from the engine itself

        template = MESSAGES.get(str(code))
    if template is None:
        return str(error)
    try:
        return str(template).format(**params)
    except (KeyError, IndexError, ValueError):
        return str(error)
