"""The architecture rules of DESIGN.md, checked by scanning every module's imports and calls.

* Flask (and Werkzeug) only in ``app.py`` and ``web/``.
* Folium (and branca) only in ``geo/maps.py`` and ``geo/maps_*.py``.
* File and database I/O (pyogrio, fiona, sqlite3, psycopg, SQLAlchemy, ``open()``,
  ``Path.read_text`` and friends, ``read_file``/``to_file``) only in ``layers/``.
* ``geo/`` and ``layers/`` never import the web side (``web``, ``app``, Flask) nor the park service
  (``service/``); ``service/`` never imports the web side.
* No import circles among ``geo/``, ``web/``, ``service/`` and ``app.py``; route functions stay thin.

Tests and bench scripts are exempt from the first three: they drive the app,
render maps and write their own files. In a git checkout only tracked files are
scanned (a scratch file is not part of the project).
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_DIRS = {".venv", ".git", "node_modules", "static", "__pycache__", ".pytest_cache", ".hypothesis"}
EXEMPT_TOP = {"tests", "bench"}

WEB_MODULES = {"flask", "werkzeug"}
MAP_MODULES = {"folium", "branca"}
IO_MODULES = {"pyogrio", "fiona", "sqlite3", "psycopg", "psycopg2", "sqlalchemy"}
IO_METHODS = {"read_text", "write_text", "read_bytes", "write_bytes", "read_file", "to_file"}


def python_files(root: Path = ROOT) -> list[Path]:
    """The project's Python files: those git tracks in a checkout (scratch files are not the project),
    every one below ``root`` otherwise."""
    if (root / ".git").exists():
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--", "*.py"],
                                check=True, capture_output=True).stdout.decode().split("\0")
        candidates = [root / name for name in listed if name]
    else:
        candidates = list(root.rglob("*.py"))
    return sorted(
        path for path in candidates
        if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(root).parts)
    )


def imports_and_calls(path: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(line, imported top-level module) and (line, file-I/O call) of one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    imports, calls = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imports.append((node.lineno, node.module.split(".")[0]))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "open":
                calls.append((node.lineno, "open()"))
            elif isinstance(func, ast.Attribute) and func.attr in IO_METHODS:
                calls.append((node.lineno, f".{func.attr}()"))
    return imports, calls


def where(path: Path, root: Path = ROOT) -> tuple[str, str]:
    """(top-level folder or file, path relative to the repository)."""
    relative = path.relative_to(root)
    return relative.parts[0], relative.as_posix()


def is_map_module(relative: str) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return relative.startswith("geo/") and (name == "maps.py" or name.startswith("maps_"))


def violations(root: Path = ROOT) -> list[str]:
    """Every breach of the rules under ``root``, as ``file:line`` and what is wrong."""
    found = []
    for path in python_files(root):
        top, relative = where(path, root)
        imports, calls = imports_and_calls(path)
        exempt = top in EXEMPT_TOP
        for line, module in imports:
            place = f"{relative}:{line}"
            if module in WEB_MODULES and not exempt and top not in ("web", "app.py"):
                found.append(f"{place} imports {module}: only app.py and web/ may")
            if module in MAP_MODULES and not exempt and not is_map_module(relative):
                found.append(f"{place} imports {module}: only geo/maps.py and geo/maps_*.py may")
            if module in IO_MODULES and not exempt and top != "layers":
                found.append(f"{place} imports {module}: file and database I/O belongs in layers/")
            if top in ("geo", "layers") and module in {"web", "app", *WEB_MODULES}:
                found.append(f"{place} imports {module}: geo/ and layers/ never import the web side")
            if top in ("geo", "layers") and module == "service":
                found.append(f"{place} imports {module}: geo/ and layers/ never import the park service")
            if top == "service" and module in {"web", "app"}:
                found.append(f"{place} imports {module}: service/ never imports the web side")
        for line, call in calls:
            if not exempt and top != "layers":
                found.append(f"{relative}:{line} calls {call}: file I/O belongs in layers/")
    return found


def test_the_scan_sees_the_whole_project():
    relatives = {where(path)[1] for path in python_files()}
    assert {"app.py", "geo/maps.py", "layers/store.py", "web/api.py"} <= relatives
    assert not any(part in SKIPPED_DIRS for rel in relatives for part in rel.split("/"))


def test_architecture_rules_hold():
    problems = violations()
    assert problems == [], "architecture rules broken:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("relative", "source", "expected"),
    [
        ("scripts/foo.py", "import flask\n", "imports flask: only app.py and web/ may"),
        ("geo/foo.py", "from werkzeug import serving\n", "imports werkzeug: only app.py and web/ may"),
        ("geo/foo.py", "from werkzeug import serving\n", "geo/ and layers/ never import the web side"),
        ("geo/foo.py", "from web.park import park\n", "geo/ and layers/ never import the web side"),
        ("layers/foo.py", "import app\n", "geo/ and layers/ never import the web side"),
        ("geo/foo.py", "from service.park import ParkService\n", "geo/ and layers/ never import the park service"),
        ("service/foo.py", "from web.park import park\n", "service/ never imports the web side"),
        ("service/foo.py", "import flask\n", "imports flask: only app.py and web/ may"),
        ("web/foo.py", "import folium\n", "only geo/maps.py and geo/maps_*.py may"),
        ("geo/mapsy.py", "from branca.element import Figure\n", "only geo/maps.py and geo/maps_*.py may"),
        ("web/foo.py", "import pyogrio\n", "file and database I/O belongs in layers/"),
        ("geo/foo.py", "import sqlite3\n", "file and database I/O belongs in layers/"),
        ("web/foo.py", "data = open('x').read()\n", "calls open(): file I/O belongs in layers/"),
        ("geo/foo.py", "p.write_text('x')\n", "calls .write_text(): file I/O belongs in layers/"),
        ("web/foo.py", "frame.to_file('x.gpkg')\n", "calls .to_file(): file I/O belongs in layers/"),
    ],
)
def test_each_rule_catches_its_breach(tmp_path, relative, source, expected):
    target = tmp_path / relative
    target.parent.mkdir(parents=True)
    target.write_text(source, encoding="utf-8")
    problems = violations(tmp_path)
    assert problems and all(problem.startswith(f"{relative}:1 ") for problem in problems)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("relative", "source"),
    [
        ("web/foo.py", "import flask\n"),
        ("app.py", "from flask import Flask\n"),
        ("geo/maps.py", "import folium\n"),
        ("geo/maps_tiles.py", "import folium\n"),
        ("layers/foo.py", "import pyogrio\nopen('x')\n"),
        ("tests/test_foo.py", "import folium, flask\nopen('x')\n"),
        ("bench/bench_foo.py", "open('x')\n"),
    ],
)
def test_allowed_places_pass(tmp_path, relative, source):
    target = tmp_path / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source, encoding="utf-8")
    assert violations(tmp_path) == []


# -- import circles ---------------------------------------------------------------------------------------

#: The packages whose modules may not import each other in a circle (``layers`` is checked on its own).
CIRCLE_FREE = ("geo", "web", "service")


def project_module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports anywhere (top level or inside a function: a late import is still a
    dependency), ``from package import module`` resolved to the module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & known
            # ``from web import park`` depends on web.park; ``from web.park import park`` on web.park.
            found |= submodules if submodules else {node.module}
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    files = {project_module(path): path for path in python_files()
             if path.relative_to(ROOT).parts[0] in CIRCLE_FREE or path.relative_to(ROOT) == Path("app.py")}
    known = set(files)
    return {module: imported_modules(path, known) - {module} for module, path in files.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_circle_finder_finds_a_circle_and_only_one():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_among_geo_web_service_and_app():
    """No module of geo/, web/, service/ or app.py reaches itself through its imports (late ones included)."""
    assert circles(import_graph()) == []


#: Most lines a view function may have: parse the request, call the park service, render (README "Architecture").
VIEW_MAX_LINES = 40
ROUTE_DECORATORS = {"get", "post", "put", "delete", "route"}


def test_views_are_thin():
    """Every route function of ``web/`` parses, calls and renders within :data:`VIEW_MAX_LINES` lines."""
    long = []
    for path in python_files():
        if path.relative_to(ROOT).parts[0] != "web":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            routed = isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ROUTE_DECORATORS
                for d in node.decorator_list)
            if routed and node.end_lineno - node.lineno + 1 > VIEW_MAX_LINES:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert long == []
