"""What every event shares: its session, its language, readable errors, and clicks in original-image pixels."""
from __future__ import annotations

import functools
import html
import inspect
import logging
from typing import Any, Callable, Mapping, Sequence

import gradio as gr

from app.drawing import display_scale
from app.handlers import Lens, UserError
from app.session_cache import Session
from app.strings import t, use_language

log = logging.getLogger("rcnn_lens")


def readable_errors(action_key: str, lens: Lens | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run an event in its session's language; UserError -> gr.Error with its message (one log line); anything
    else -> logged with traceback, shown as one line.

    Messages are HTML-escaped: gr.Error renders HTML, and they can quote file names the person uploaded.
    """
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = next((a for a in (*args, *kwargs.values()) if hasattr(a, "session_hash")), None)
            sid = session_id(request)
            language = (lambda: lens.prefs.get(sid, "language")) if lens is not None else None
            with use_language(language):
                try:
                    return fn(*args, **kwargs)
                except gr.Error:
                    raise
                except UserError as error:
                    log.info("refused while %s: %s", t(action_key), str(error).replace("\n", " "))   # one line
                    raise gr.Error(html.escape(str(error), quote=False), print_exception=False) from None
                except Exception as error:  # the server must keep running; the person gets one readable line
                    log.exception("error while %s", action_key)
                    reason = f"{type(error).__name__}: {str(error)[:300]}"
                    raise gr.Error(html.escape(t("error.internal", action=t(action_key), reason=reason), quote=False),
                                   print_exception=False) from None
        return wrapper
    return decorate


def session_id(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "anonymous"


def original_point(session: Session, index: Any) -> tuple[float, float]:
    """A click on a drawn image (display pixels) in original-image pixels."""
    scale = display_scale(*session.trace.original_size)
    x, y = (float(v) for v in index)
    return x / scale, y / scale


def keyed_by_thresholds(keys: Sequence[str], fn: Callable[[Mapping[str, float], gr.Request], Any]
                        ) -> Callable[..., Any]:
    """An event function taking one value per threshold slider, in `keys` order (the names of the one threshold
    table, inspectors.core.thresholds), and the request, handed to `fn` as {key: value} and the request.

    Gradio reads the signature to know the inputs and to pass the request (a `*args` function would get no request),
    and gradio_client shows these names: the signature is built from `keys`.
    """
    def event(*args: Any) -> Any:
        *numbers, request = args
        if len(numbers) != len(keys):
            raise TypeError(f"{fn.__name__} takes {len(keys)} threshold values, got {len(numbers)}")
        return fn(dict(zip(keys, numbers)), request)

    parameters = [inspect.Parameter(key, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=float) for key in keys]
    parameters.append(inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request))
    event.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    event.__annotations__ = {**{key: float for key in keys}, "request": gr.Request}
    event.__name__ = event.__qualname__ = fn.__name__
    event.__doc__ = fn.__doc__
    return event
