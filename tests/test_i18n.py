"""Korean throughout: every English string has its Korean, with the same placeholders; engine text is covered too."""
from __future__ import annotations

import re
import string
from pathlib import Path

from app.locales.en import EN
from app.locales.ko import KO
from inspectors.core.errors import MESSAGES

ROOT = Path(__file__).resolve().parents[1]
# Keys whose text is the same in both languages on purpose (identifiers for API clients, names, abbreviations).
SAME_IN_BOTH = {"app.title", "api.summary", "api.status", "api.detections_count", "step.NMS"}
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def placeholders(template: str) -> set[tuple[str, str, str]]:
    """(name, format spec, conversion) of every placeholder: {score:.2f} is not {score}."""
    return {(name, spec or "", conversion or "") for _, name, spec, conversion in string.Formatter().parse(template)
            if name}


def test_every_english_key_has_its_korean() -> None:
    missing = sorted(set(EN) - set(KO))
    assert not missing, f"{len(missing)} keys lack Korean: {missing}"


def test_no_korean_key_is_unknown_in_english() -> None:
    extra = sorted(k for k in set(KO) - set(EN) if not k.startswith("engine."))
    assert not extra, extra


def test_korean_keeps_every_placeholder() -> None:
    """Every key whose Korean has other placeholders than its English, all reported at once."""
    wrong = {key: (sorted(placeholders(EN[key])), sorted(placeholders(KO[key])))
             for key in sorted(set(EN) & set(KO)) if placeholders(KO[key]) != placeholders(EN[key])}
    assert not wrong, f"{len(wrong)} keys change their placeholders: {wrong}"


def test_korean_is_translated() -> None:
    """Every English text with words in it reads differently in Korean (all untranslated keys reported at once)."""
    untranslated = []
    for key in sorted(set(EN) & set(KO)):
        words = re.sub(r"\{[^{}]*\}", "", EN[key])   # placeholders are not words to translate
        if key in SAME_IN_BOTH or _HANGUL.search(EN[key]) or not re.search(r"[A-Za-z]{3,}", words):
            continue
        if not _HANGUL.search(KO[key]) and KO[key] == EN[key]:
            untranslated.append(key)
    assert not untranslated, f"{len(untranslated)} keys are not translated: {untranslated}"


def test_the_checks_above_can_fail() -> None:
    """The placeholder check tells {score:.2f} from {score}, and a missing placeholder from none."""
    assert placeholders("{score:.2f}") != placeholders("{score}")
    assert placeholders("a {n} b") != placeholders("a b")


def test_every_engine_message_has_its_korean() -> None:
    missing = sorted(code for code in MESSAGES if f"engine.{code}" not in KO)
    assert not missing, f"engine codes without Korean: {missing}"
    for code, template in MESSAGES.items():
        names = {p[0] for p in placeholders(template)}
        assert {p[0] for p in placeholders(KO[f"engine.{code}"])} <= names, code


def test_every_key_the_code_asks_for_exists() -> None:
    used: set[str] = set()
    pattern = re.compile(r"""\bt\(\s*["']([a-z0-9_.\-]+)["']""")
    for path in (ROOT / "app").rglob("*.py"):
        if "locales" not in path.parts:
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    unknown = sorted(key for key in used if key not in EN and not key.endswith("."))   # "fate." + code: a prefix
    assert not unknown, unknown


def test_engine_errors_are_shown_in_the_page_language() -> None:
    from app.strings import engine_error_text, use_language
    from inspectors import InputError

    error = InputError("threshold.out_of_range", name="box_score_thresh", value=2, low=0.0, high=1.0)
    with use_language("ko"):
        korean = engine_error_text(error)
    assert _HANGUL.search(korean) and "2" in korean and KO["th.box_score_thresh"] in korean
    with use_language("en"):
        assert engine_error_text(error) == "Detection score = 2 is outside the allowed range 0.0 … 1.0."
