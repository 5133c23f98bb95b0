"""streams/ is a library the web app calls: no module of it imports live/ or db/ (type-only imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

STREAMS = Path(__file__).resolve().parents[2] / "streams"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_streams_imports_nothing_of_the_web_app() -> None:
    modules = sorted(STREAMS.glob("*.py"))
    assert len(modules) > 10, "the media modules are where this test looks"
    offenders = {path.name: sorted(name for name in imported_modules(path) if name.split(".")[0] in ("live", "db"))
                 for path in modules}
    assert {name: found for name, found in offenders.items() if found} == {}
