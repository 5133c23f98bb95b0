"""The import contract of live/, streams/ and db/, read from the source with ast: no import cycles, nothing
imports the composition root but the entry points, streams/ imports nothing of the web app, and no module grows
past 300 lines unless its docstring says why it must be one piece.

Every import counts, type-only ones (``if TYPE_CHECKING:``) and lazy ones inside functions included: a cycle
hidden behind either still knots the code. Written with ast rather than import-linter because the contract
also covers the module sizes and the exceptions must be able to only shrink: each list below is today's state,
and a test fails when an entry no longer holds, so whoever fixes one removes it here."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("live", "streams", "db")
SKIPPED = ("db/migrations/versions",)  # generated revision scripts, not part of the code's structure

COMPOSITION_ROOT = frozenset({"live.app", "live.contexts"})
ENTRY_POINTS = frozenset({"live.cli", "live.__main__", "live.web_processes"})
MAX_LINES = 300
ONE_PIECE = "one piece"  # what a longer module's docstring says (why it must be one piece)

# Today's exceptions, in one place. Each may only shrink: a test fails when an entry is no longer true.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()
KNOWN_ROOT_IMPORTERS: frozenset[tuple[str, str]] = frozenset()
KNOWN_STREAMS_TO_APP: frozenset[tuple[str, str]] = frozenset()
KNOWN_LONG_MODULES: frozenset[str] = frozenset()


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the three packages."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative.as_posix().startswith(SKIPPED):
                continue
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported_modules(module: str, path: Path, files: dict[str, Path]) -> Iterator[str]:
    """Every module this one imports: ``from a import b`` names a.b when b is a module, else a."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in files else base


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the three packages it imports."""
    files = module_files()
    return {module: {name for name in _imported_modules(module, path, files) if name in files} - {module}
            for module, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _show(groups: AbstractSet[frozenset[str]]) -> list[list[str]]:
    return sorted(sorted(group) for group in groups)


def test_the_contract_reads_every_module_and_every_kind_of_import(tmp_path: Path) -> None:
    files = module_files()
    assert {"live.app", "live.contexts", "live.cli", "streams.whip", "db.models"} <= set(files)
    assert "live.contexts" in import_graph()["live.app"]
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import live.keys\n"
        "from live import ids, errors\n"
        "from . import lookup\n"
        "if TYPE_CHECKING:\n    from live.realtime.room import Room\n"
        "def later():\n    from ..streams import offer\n    from .commerce.orders import OrderDesk\n")
    seen = set(_imported_modules("live.probe", source, files)) & set(files)
    assert seen == {"live.keys", "live.ids", "live.errors", "live.lookup", "live.realtime.room", "streams.offer",
                    "live.commerce.orders"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {frozenset("abc")}


def test_no_import_cycles_beyond_the_known_ones_which_only_shrink() -> None:
    found = cycles(import_graph())
    new, gone = _show(found - KNOWN_CYCLES), _show(KNOWN_CYCLES - found)
    assert not new, f"new import cycles (or a known one grew: untangle it): {new}"
    assert not gone, f"known cycles gone or shrunk: take them out of KNOWN_CYCLES (or put in what is left): {gone}"


def test_only_entry_points_import_the_composition_root() -> None:
    graph = import_graph()
    found = {(module, target) for module, targets in graph.items() for target in targets
             if target in COMPOSITION_ROOT and module not in ENTRY_POINTS | COMPOSITION_ROOT}
    assert sorted(found - KNOWN_ROOT_IMPORTERS) == [], "only live/cli.py and live/__main__.py may import app/contexts"
    assert sorted(KNOWN_ROOT_IMPORTERS - found) == [], "a known importer of the root is gone: update the list"


def test_streams_imports_nothing_of_the_web_app() -> None:
    """streams/ is a library the web app calls (media nodes run it alone when they scale out)."""
    graph = import_graph()
    assert len([module for module in graph if module.startswith("streams.")]) > 10, "where this test looks"
    found = {(module, target) for module, targets in graph.items() if module.split(".")[0] == "streams"
             for target in targets if target.split(".")[0] in ("live", "db")}
    assert sorted(found - KNOWN_STREAMS_TO_APP) == [], "streams/ is a library: it must not import live/ or db/"
    assert sorted(KNOWN_STREAMS_TO_APP - found) == [], "a known import is gone: update KNOWN_STREAMS_TO_APP"


def test_no_module_over_300_lines_unless_its_docstring_says_why_it_is_one_piece() -> None:
    long_ones = set()
    for path in module_files().values():
        text = path.read_text()
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if len(text.splitlines()) > MAX_LINES and ONE_PIECE not in docstring.lower():
            long_ones.add(path.relative_to(ROOT).as_posix())
    assert sorted(long_ones - KNOWN_LONG_MODULES) == [], (
        f"split the module, or say in its docstring why it must be {ONE_PIECE}")
    assert sorted(KNOWN_LONG_MODULES - long_ones) == [], "a known long module is short now: update the list"
