"""Which string keys each component shows, so that the page's language switch can re-label every component.

While the layout is built (``collecting()``), tabs create their text-bearing components through ``bind`` (or the
shorthands ``markdown`` / ``heading``): the component gets its text in the current language now, and the registry
remembers how to produce it again. ``TextRegistry.updates()`` returns one ``gr.update`` per component in whatever
language is current — the language-switch event's output.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import gradio as gr

from app.strings import t

Producer = Callable[[], Any]


@dataclass
class TextRegistry:
    bindings: list[tuple[Any, dict[str, Producer]]] = field(default_factory=list)

    def add(self, component: Any, props: dict[str, Producer]) -> None:
        self.bindings.append((component, props))

    @property
    def components(self) -> list[Any]:
        return [component for component, _ in self.bindings]

    def updates(self) -> dict[Any, dict[str, Any]]:
        return {component: gr.update(**{prop: make() for prop, make in props.items()})
                for component, props in self.bindings}


_active: list[TextRegistry] = []


@contextmanager
def collecting() -> Iterator[TextRegistry]:
    registry = TextRegistry()
    _active.append(registry)
    try:
        yield registry
    finally:
        _active.pop()


def _producer(spec: Any) -> Producer:
    """A key, (key, {values}), a list of (key, value) choices, or any callable → a function giving the text now."""
    if callable(spec):
        return spec
    if isinstance(spec, str):
        return lambda: t(spec)
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], dict):
        key, values = spec
        return lambda: t(key, **values)
    if isinstance(spec, list):
        return lambda: [(t(key), value) for key, value in spec]
    raise TypeError(f"cannot translate {spec!r}")


def bind(factory: Callable[..., Any], *args: Any, texts: dict[str, Any], **kwargs: Any) -> Any:
    """``factory(*args, **kwargs, **texts-in-the-current-language)``, remembered for the language switch.

    ``texts`` maps a component property (label, info, value, placeholder, choices, …) to a string key, a
    (key, values) pair, a list of (key, value) choices, or a callable.
    """
    producers = {prop: _producer(spec) for prop, spec in texts.items()}
    component = factory(*args, **kwargs, **{prop: make() for prop, make in producers.items()})
    if _active:
        _active[-1].add(component, producers)
    return component


def register(component: Any, texts: dict[str, Any]) -> Any:
    """Remember the texts of a component made elsewhere (e.g. the Dataset inside gr.Examples)."""
    if _active:
        _active[-1].add(component, {prop: _producer(spec) for prop, spec in texts.items()})
    return component


def markdown(key: str, **kwargs: Any) -> gr.Markdown:
    return bind(gr.Markdown, texts={"value": key}, **kwargs)


def heading(key: str, level: int = 4, **kwargs: Any) -> gr.Markdown:
    return bind(gr.Markdown, texts={"value": lambda: f"{'#' * level} {t(key)}"}, **kwargs)
