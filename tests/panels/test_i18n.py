"""The translation catalogue: complete in both languages, and the only source of page text."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

import workbench.panels
from workbench.i18n import LANGUAGES, Translator, messages, negotiate_language

PANELS = Path(workbench.panels.__file__).parent
PAGE_MODULES = sorted(p for p in PANELS.rglob("*.py"))
# Keyword arguments whose value a visitor reads.
VISIBLE_KEYWORDS = {"label", "name", "title", "placeholder", "header", "description", "site"}
# Callables whose first argument a visitor reads.
VISIBLE_CALLS = {"Markdown", "Alert", "Str", "HTML", "markdown", "literal", "heading", "alert"}
TAG = re.compile(r"<[^>]*>")
ENTITY = re.compile(r"&[a-z]+;")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(messages()))
def test_every_key_has_both_languages_with_the_same_placeholders(key: str) -> None:
    texts = messages()[key]
    assert set(texts) == set(LANGUAGES), f"{key}: languages {sorted(texts)}"
    assert all(isinstance(texts[lang], str) and texts[lang].strip() for lang in LANGUAGES)
    assert placeholders(texts["en"]) == placeholders(texts["ja"]), key


def test_japanese_texts_are_japanese() -> None:
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    untranslated = [
        key
        for key, texts in messages().items()
        if not japanese.search(texts["ja"]) and texts["ja"] != texts["en"]
    ]
    same = [k for k, texts in messages().items() if texts["ja"] == texts["en"]]
    assert not untranslated, untranslated
    # A few texts are the same in both (product and model names); keep them deliberate.
    assert all(not re.search(r"[a-z]{4}", messages()[k]["en"]) or k in ALLOWED_SAME for k in same)


ALLOWED_SAME = {"app.brand", "header.mlflow"}


def _literal_text(node: ast.AST) -> str:
    """The words a visitor would read in a literal (markup and placeholders removed)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        source = node.value
    elif isinstance(node, ast.JoinedStr):
        source = "".join(
            part.value if isinstance(part, ast.Constant) else " " for part in node.values
        )
    else:
        return ""
    return ENTITY.sub("", TAG.sub("", source))


def _name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def raw_strings(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        candidates = [kw.value for kw in node.keywords if kw.arg in VISIBLE_KEYWORDS]
        if _name(node.func) in VISIBLE_CALLS and node.args:
            candidates.append(node.args[0])
        for candidate in candidates:
            text = _literal_text(candidate)
            if re.search(r"[^\W\d_]{2,}", text):
                found.append(f"{path.name}:{candidate.lineno}: {text.strip()[:60]!r}")
    return found


def test_pages_show_no_raw_strings() -> None:
    found = [hit for path in PAGE_MODULES for hit in raw_strings(path)]
    assert not found, "use the catalogue (workbench/i18n/messages.yaml):\n" + "\n".join(found)


def used_keys() -> set[str]:
    keys = set()
    for path in PAGE_MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and _name(node.func) == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                keys.add(node.args[0].value)
            if (
                isinstance(node, ast.Assign)
                and any(getattr(target, "id", "") == "title_key" for target in node.targets)
                and isinstance(node.value, ast.Constant)
            ):
                keys.add(node.value.value)
    return keys


def test_every_key_the_pages_use_exists() -> None:
    missing = sorted(key for key in used_keys() if key not in messages())
    assert not missing


def test_the_raw_string_check_catches_an_untranslated_label(tmp_path: Path) -> None:
    module = tmp_path / "page.py"
    module.write_text('import panel as pn\npn.widgets.Button(label="Delete project")\n')
    assert raw_strings(module) == ["page.py:2: 'Delete project'"]


@pytest.mark.parametrize(
    ("requested", "saved", "accept", "expected"),
    [
        ("ja", None, None, "ja"),
        (None, "ja", "en-US", "ja"),
        (None, None, "ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        (None, None, "fr-FR,en;q=0.5", "en"),
        ("xx", None, None, "en"),
        (None, None, None, "en"),
    ],
)
def test_language_negotiation(requested, saved, accept, expected) -> None:
    assert negotiate_language(requested=requested, saved=saved, accept_language=accept) == expected


def test_translator_fills_placeholders() -> None:
    assert Translator("ja")("projects.created", name="A") == "プロジェクト「A」を作成しました。"


def test_translator_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="supported"):
        Translator("xx")
