"""The layout's rules, checked on the source: domain packages know nothing of HTTP, and only the
unit of work commits."""

import ast
from pathlib import Path

import pytest

ARENA = Path(__file__).resolve().parent.parent / "arena"
DOMAIN_PACKAGES = (
    "core", "models", "voting", "game", "chats", "custom", "library", "integrity", "auditing",
    "datasets",
)  # fmt: skip
WEB_ONLY = ("flask", "flask_login", "flask_socketio", "flask_wtf", "werkzeug.wrappers", "arena.web")
WEB_ONLY += ("werkzeug.exceptions",)
WEB_ONLY += ("arena.extensions", "arena.realtime", "arena.cli")


def modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ARENA / package).rglob("*.py"))


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def is_web_only(name: str) -> bool:
    return any(name == web or name.startswith(web + ".") for web in WEB_ONLY)


@pytest.mark.parametrize("path", modules(*DOMAIN_PACKAGES), ids=lambda p: str(p.relative_to(ARENA)))
def test_domain_modules_import_nothing_of_the_web(path):
    assert sorted(filter(is_web_only, imported_names(path))) == []


def commits(path: Path) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]


def test_only_the_unit_of_work_commits():
    found = {
        str(path.relative_to(ARENA)): commits(path)
        for path in sorted(ARENA.rglob("*.py"))
        if "migrations" not in path.parts and commits(path)
    }
    assert set(found) == {"core/db.py"}, found


@pytest.mark.parametrize("path", modules(*DOMAIN_PACKAGES, "web"), ids=lambda p: p.name)
def test_modules_stay_short(path):
    assert len(path.read_text().splitlines()) <= 400
