"""The architecture rules of DESIGN.md, checked by scanning every module's imports and calls.

* Flask (and Werkzeug) only in ``app.py`` and ``web/``.
* Folium (and branca) only in ``geo/maps.py`` and ``geo/maps_*.py``.
* File and database I/O (pyogrio, fiona, sqlite3, psycopg, SQLAlchemy, ``open()``,
  ``Path.read_text`` and friends, ``read_file``/``to_file``) only in ``layers/``.
* ``geo/`` and ``layers/`` never import the web side (``web``, ``app``, Flask) nor the park service
  (``service/``); ``service/`` never imports the web side.
* Route functions stay thin (:data:`VIEW_MAX_LINES`): parse, call the park service, render.
* ``layers/`` imports from ``geo/`` only the coordinate and unit helpers (:data:`GEO_FOR_LAYERS`).
* No import circles between the project's modules (imports inside functions count: a
  lazy import hides a circle, it does not remove it); ``typing.TYPE_CHECKING`` imports do not.
* No module imports another's private names (``from x import _y``): what two modules share
  is public, or lives in a private module of its own (``layers/_sql.py``).

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
#: The packages whose modules make the import graph.
PACKAGES = ("app", "geo", "layers", "service", "web", "scripts")
#: What ``layers`` may use of ``geo``: coordinate systems, units and the tile grid (no analysis).
GEO_FOR_LAYERS = {"geo.crs", "geo.units", "geo.gcj02", "geo.ogc_crs", "geo.tile_grid"}
#: Import circles known to remain, each a set of modules importing one another: none (the park service broke the
#: last ones, issue 14). The test requires exactly these: a new circle fails it.
KNOWN_CIRCLES: set[frozenset[str]] = set()
#: What a park store may or may not have: asked of ``store.capabilities`` (``layers.contract``), never sniffed.
STORE_MEMBERS = {"path", "inner", "mvt_tile", "connection", "schema", "url", "write_lock", "save_layers", "migrate",
                 "close", "timezone", "capabilities"}
#: The modules that are stores (they may look at their own and their wrapped store's members).
STORE_MODULES = {"layers/store.py", "layers/postgis.py", "layers/audit.py", "layers/contract.py"}
#: Store sniffing still left, as "file: member": the audited store's time zone read by the backup. Exactly these
#: remain (a new one fails the test, and so does one that is gone).
KNOWN_STORE_SNIFFING = {
    "layers/backup.py: timezone",
}
#: Private names still imported across modules, as "importer: module._name": none.
KNOWN_PRIVATE_IMPORTS: set[str] = set()


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


# -- the module import graph ----------------------------------------------------------------------------


def module_name(relative: str) -> str:
    """``geo/tiles.py`` -> ``geo.tiles``; a package's ``__init__.py`` is the package."""
    parts = relative.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    """Module name -> file, for the modules of :data:`PACKAGES`."""
    modules = {}
    for path in python_files(root):
        top, relative = where(path, root)
        if top.removesuffix(".py") in PACKAGES:
            modules[module_name(relative)] = path
    return modules


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def import_statements(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import of a module, inside functions too, leaving out ``if TYPE_CHECKING:`` blocks."""
    found, pending = [], [tree]
    while pending:
        node = pending.pop()
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append(child)
            pending.append(child)
    return sorted(found, key=lambda node: node.lineno)


def imported(node: ast.Import | ast.ImportFrom, name: str, modules: dict[str, Path]) -> list[tuple[str, str | None]]:
    """(project module, name taken from it or None) for each name an import statement of module ``name`` binds.

    ``from a import b`` imports module ``a.b`` when there is one, else name ``b`` of ``a``; a dotted name that
    is no module of the project counts as its nearest enclosing module (none for third-party packages).
    """
    def nearest(dotted: str) -> str | None:
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    if isinstance(node, ast.Import):
        return [(module, None) for alias in node.names if (module := nearest(alias.name))]
    base = node.module or ""
    if node.level:
        package = name if modules.get(name, Path()).name == "__init__.py" else name.rpartition(".")[0]
        parents = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        base = ".".join([*parents, *([node.module] if node.module else [])])
    out = []
    for alias in node.names:
        if f"{base}.{alias.name}" in modules:
            out.append((f"{base}.{alias.name}", None))
        elif (module := nearest(base)) is not None:
            out.append((module, alias.name))
    return out


def import_graph(root: Path = ROOT) -> tuple[dict[str, set[str]], list[str]]:
    """Module -> the project modules it imports; and each private name imported across modules, as
    ``importer: module._name``."""
    modules = project_modules(root)
    graph, private = {}, []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = set()
        for node in import_statements(tree):
            for module, taken in imported(node, name, modules):
                targets.add(module)
                if taken and taken.startswith("_") and not taken.startswith("__") and module != name:
                    private.append(f"{where(path, root)[1]}: {module}.{taken}")
        graph[name] = targets - {name}
    return graph, sorted(set(private))


def circles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], set()
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def geo_used_by_layers(graph: dict[str, set[str]]) -> list[str]:
    """``layers`` module -> ``geo`` module imports outside :data:`GEO_FOR_LAYERS`."""
    return sorted(f"{name} imports {target}" for name, targets in graph.items() if name.split(".")[0] == "layers"
                  for target in targets if target.split(".")[0] == "geo" and target not in GEO_FOR_LAYERS)


def test_no_import_circles_but_the_known_ones():
    graph, _ = import_graph()
    found = circles(graph)
    assert found - KNOWN_CIRCLES == set(), f"new import circles: {sorted(map(sorted, found - KNOWN_CIRCLES))}"
    gone = KNOWN_CIRCLES - found
    assert gone == set(), f"gone, delete from KNOWN_CIRCLES: {sorted(map(sorted, gone))}"


def test_layers_use_only_the_coordinate_and_unit_helpers_of_geo():
    graph, _ = import_graph()
    assert geo_used_by_layers(graph) == []


def store_sniffing(root: Path = ROOT) -> list[str]:
    """``hasattr``/``getattr`` of a store member (:data:`STORE_MEMBERS`) on something called a store, outside
    :data:`STORE_MODULES`, as "file: member" (once per file and member)."""
    found = set()
    for name, path in project_modules(root).items():
        relative = where(path, root)[1]
        if relative in STORE_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("hasattr", "getattr")
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                    and node.args[1].value in STORE_MEMBERS and "store" in ast.unparse(node.args[0]).lower()):
                found.add(f"{relative}: {node.args[1].value}")
    return sorted(found)


def test_nothing_outside_the_stores_sniffs_what_a_store_can_do():
    found = set(store_sniffing())
    assert found - KNOWN_STORE_SNIFFING == set(), "ask store.capabilities (layers.contract) instead"
    assert KNOWN_STORE_SNIFFING - found == set(), "gone, delete from KNOWN_STORE_SNIFFING"


def test_store_sniffing_is_caught(tmp_path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web/a.py").write_text("ok = getattr(figure, 'url', '')\nx = hasattr(park().store, 'mvt_tile')\n"
                                       "y = getattr(self.store, 'inner', None)\n", encoding="utf-8")
    assert store_sniffing(tmp_path) == ["web/a.py: inner", "web/a.py: mvt_tile"]


def test_no_module_imports_another_modules_private_names():
    _, private = import_graph()
    assert set(private) - KNOWN_PRIVATE_IMPORTS == set(), "share these publicly or in a private module of their own"
    assert KNOWN_PRIVATE_IMPORTS - set(private) == set(), "gone, delete from KNOWN_PRIVATE_IMPORTS"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"layers/a.py": "from layers import b\n", "layers/b.py": "def f():\n    import layers.a\n"},
         {frozenset({"layers.a", "layers.b"})}),
        ({"geo/a.py": "from geo.b import x\n", "geo/b.py": "from geo.c import y\n", "geo/c.py": "import geo.a\n"},
         {frozenset({"geo.a", "geo.b", "geo.c"})}),
        ({"web/a.py": "from . import b\n", "web/b.py": "from .a import thing\n", "web/__init__.py": ""},
         {frozenset({"web.a", "web.b"})}),
        ({"layers/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from layers.b import B\n",
          "layers/b.py": "from layers.a import A\n"}, set()),
        ({"layers/a.py": "import numpy\nfrom layers.b import B\n", "layers/b.py": "import shapely\n"}, set()),
    ],
)
def test_circles_are_found_lazy_relative_and_long(tmp_path, files, expected):
    for relative, source in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(source, encoding="utf-8")
    graph, _ = import_graph(tmp_path)
    assert circles(graph) == expected


def test_private_imports_and_geo_uses_are_caught(tmp_path):
    files = {"layers/a.py": "from layers.b import _helper, public\nfrom layers._shared import tool\n",
             "layers/b.py": "def _helper(): ...\npublic = 1\n", "layers/_shared.py": "def tool(): ...\n",
             "layers/c.py": "from geo.crs import to_web\nfrom geo.summary import kpis\n",
             "geo/crs.py": "", "geo/summary.py": "from geo.crs import _private\n"}
    for relative, source in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(source, encoding="utf-8")
    graph, private = import_graph(tmp_path)
    assert private == ["geo/summary.py: geo.crs._private", "layers/a.py: layers.b._helper"]
    assert geo_used_by_layers(graph) == ["layers.c imports geo.summary"]


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
