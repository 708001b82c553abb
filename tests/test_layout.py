"""The package layout's rules, read from the source (every import is parsed, those inside
functions too):

- imports flow one way: a package imports only from packages of lower or equal rank
  (`RANKS`, the table docs/architecture.md shows); imports made only for the type checker
  (under ``if TYPE_CHECKING:``) may cross. So no two packages import each other, and
  no two modules of one package either;
- across packages, names come from the package (``from alignn_nb.loss import reweight``),
  never from its modules, and only the names its ``__init__`` declares;
- no package but ``widgets`` (one module per widget) holds more than 15 modules, and no
  module is longer than 400 lines;
- private modules and names stay in their package;
- no widget module starts a thread, a process or an executor: widgets observe jobs;
- tests import shared helpers from ``tests.support``, never from a test module or a conftest;
- no tracked file reads the shared folder beside a development checkout.
"""

from __future__ import annotations

import ast
import graphlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from alignn_nb.lazy import declared_names
from tests.support.repo import REPO

PACKAGE = REPO / "alignn_nb"
RANKS = {
    "lazy": 0,
    "compute": 0,
    "config": 1,
    "structures": 2,
    "graphs": 3,
    "datasets": 4,
    "model": 5,
    "loss": 6,
    "evaluation": 7,
    "training": 8,
    "sizing": 9,
    "tuning": 10,
    "checks": 11,
    "live": 12,
    "viz": 13,
    "widgets": 14,
    "cli": 15,
}
"""Each package's rank (``lazy`` is a module): a package imports only from packages of
lower or equal rank. docs/architecture.md shows the same table."""
OLD_FACES = ("app",)
"""Packages that moved away: their ``__init__`` only forwards the old names, with a
`DeprecationWarning`, until the next release."""
MAX_MODULES = 15
"""Modules (``__init__`` not counted) a package may hold; ``widgets`` holds one per widget."""
MAX_MODULE_LINES = 400


@dataclass(frozen=True)
class Import:
    """One import in a module: the absolute module imported from, the name imported from it
    ("" for ``import module``), its line, and whether only the type checker runs it."""

    module: str
    name: str
    line: int
    type_checking: bool


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _walk(node: ast.AST, type_checking: bool = False):
    """Every import statement under ``node``, with whether it sits under TYPE_CHECKING."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, type_checking
        elif _type_checking(child):
            assert isinstance(child, ast.If)
            for statement in child.body:
                yield from _walk(ast.Module(body=[statement], type_ignores=[]), True)
            for statement in child.orelse:
                yield from _walk(ast.Module(body=[statement], type_ignores=[]), type_checking)
        else:
            yield from _walk(child, type_checking)


def imports(source: str, dotted: str, is_package: bool = False) -> list[Import]:
    """The imports of ``alignn_nb`` in ``source``, the text of module ``dotted`` (a
    package's ``__init__`` when ``is_package``); relative imports are made absolute."""
    found = []
    for node, type_checking in _walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = dotted.split(".")
            if node.level:
                base = base[: len(base) - node.level + int(is_package)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found += [Import(module, a.name, node.lineno, type_checking) for a in node.names]
        else:
            found += [Import(a.name, "", node.lineno, type_checking) for a in node.names]
    return [i for i in found if i.module == "alignn_nb" or i.module.startswith("alignn_nb.")]


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of alignn_nb by its dotted name, with its path and whether it is a
    package's ``__init__``."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


MODULES = _modules()


def _package(dotted: str) -> str:
    """The package (second part) of a dotted name, or "" for alignn_nb itself."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else ""


TOP = max(RANKS.values()) + 1
"""The rank of ``alignn_nb`` itself, whose face offers names from every package."""


def _all_imports() -> dict[str, list[Import]]:
    return {
        dotted: imports(path.read_text(), dotted, is_package)
        for dotted, (path, is_package) in MODULES.items()
    }


IMPORTS = _all_imports()


def _declared(package: str) -> set[str]:
    """The names a package's ``__init__`` declares (its ``__all__``)."""
    init = PACKAGE / package / "__init__.py"
    lazy, eager = declared_names(f"alignn_nb.{package}", init.read_text())
    names = set(lazy) | set(eager)
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            if isinstance(node.value, ast.List):
                names |= {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
    return names


def _upward(found: dict[str, list[Import]]) -> list[str]:
    upward = []
    for dotted, found_imports in found.items():
        own = _package(dotted)
        if own not in RANKS:
            continue
        for i in found_imports:
            target = _package(i.module)
            rank = RANKS.get(target, TOP)
            if target != own and not i.type_checking and rank > RANKS[own]:
                upward.append(f"{dotted}:{i.line} imports {i.module} (rank {rank})")
    return upward


def test_every_package_has_a_rank():
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert packages - set(RANKS) == set(OLD_FACES)


def test_imports_never_go_up_the_ranks():
    assert _upward(IMPORTS) == []


def test_the_rank_check_sees_imports_inside_functions_and_relative_ones():
    source = (
        "from typing import TYPE_CHECKING\n"
        "from ..config import ALIGNNAtomWiseConfig\n"
        "if TYPE_CHECKING:\n"
        "    from alignn_nb.widgets import Dashboard\n"
        "def late():\n"
        "    from ..live import LiveSession\n"
        "    import alignn_nb.viz.plots\n"
    )
    found = {"alignn_nb.loss.terms": imports(source, "alignn_nb.loss.terms")}
    assert _upward(found) == [
        "alignn_nb.loss.terms:6 imports alignn_nb.live (rank 12)",
        "alignn_nb.loss.terms:7 imports alignn_nb.viz.plots (rank 13)",
    ]


def _acyclic(graph: dict[str, set[str]]) -> list[str]:
    """The cycle ``graph`` (each node with what it imports) holds, or [] when none."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as cycle:
        return list(cycle.args[1])
    return []


def test_no_two_packages_import_each_other():
    graph: dict[str, set[str]] = {p: set() for p in RANKS}
    for dotted, found in IMPORTS.items():
        own = _package(dotted)
        for i in found:
            target = _package(i.module)
            if own in RANKS and target != own and not i.type_checking:
                graph[own].add(target)
    assert _acyclic(graph) == []


def test_no_two_modules_of_a_package_import_each_other():
    graph: dict[str, set[str]] = {}
    for dotted, found in IMPORTS.items():
        graph[dotted] = set()
        for i in found:
            target = f"{i.module}.{i.name}" if f"{i.module}.{i.name}" in MODULES else i.module
            same = _package(target) == _package(dotted) and target.count(".") >= 2
            if same and target != dotted and not i.type_checking and dotted.count(".") >= 2:
                graph[dotted].add(target)
    assert _acyclic(graph) == []


def test_the_cycle_check_names_the_circle():
    graph = {"datasets": {"example_data"}, "example_data": {"id_prop"}, "id_prop": {"datasets"}}
    assert sorted(_acyclic(graph)[:-1]) == ["datasets", "example_data", "id_prop"]


def _through_modules(dotted: str, found: list[Import]) -> list[str]:
    own = _package(dotted)
    crossing = []
    for i in found:
        target = _package(i.module)
        if i.module.count(".") >= 2 and target != own and target != "lazy":
            crossing.append(f"{dotted}:{i.line} {i.module} {i.name}".strip())
        elif i.module.count(".") == 1 and target not in (own, "lazy") and i.name:
            if i.name not in _declared(target):
                crossing.append(f"{dotted}:{i.line} {i.module} {i.name} (not declared)")
    return crossing


def test_other_packages_are_imported_through_their_declared_names():
    crossing = [c for dotted, found in IMPORTS.items() for c in _through_modules(dotted, found)]
    assert crossing == []


def test_the_face_check_finds_module_paths_and_undeclared_names():
    source = (
        "from alignn_nb.loss.breakdown import reweight\n"
        "from alignn_nb.loss import reweight, nothing_declared\n"
        "import alignn_nb.graphs.build\n"
        "from alignn_nb.model import build_model\n"
    )
    found = imports(source, "alignn_nb.training.short_run")
    assert _through_modules("alignn_nb.training.short_run", found) == [
        "alignn_nb.training.short_run:1 alignn_nb.loss.breakdown reweight",
        "alignn_nb.training.short_run:2 alignn_nb.loss nothing_declared (not declared)",
        "alignn_nb.training.short_run:3 alignn_nb.graphs.build",
    ]


@pytest.mark.parametrize("package", sorted(set(RANKS) - {"lazy", "cli"}))
def test_no_declared_name_is_also_a_module_of_its_package(package):
    """Once a module is imported, its package's attribute of that name is the module: a
    function of the same name would no longer be found there. A module declared public
    as a whole (``from alignn_nb.viz import plots``) is that module."""
    init = PACKAGE / package / "__init__.py"
    lazy, _ = declared_names(f"alignn_nb.{package}", init.read_text())
    modules = {p.stem for p in (PACKAGE / package).glob("*.py")}
    whole = {name for name, (module, _) in lazy.items() if module == f"alignn_nb.{package}"}
    assert (_declared(package) & modules) - whole == set()


def test_packages_hold_at_most_15_modules_but_widgets():
    counts = {
        p.parent.name: len([m for m in p.parent.glob("*.py") if m.name != "__init__.py"])
        for p in PACKAGE.glob("*/__init__.py")
    }
    assert {p: n for p, n in counts.items() if n > MAX_MODULES and p != "widgets"} == {}


def test_old_faces_only_forward_names():
    for package in OLD_FACES:
        assert [p.name for p in (PACKAGE / package).iterdir() if p.suffix == ".py"] == [
            "__init__.py"
        ]
        assert {i.module for i in IMPORTS[f"alignn_nb.{package}"]} == {"alignn_nb.lazy"}


def test_no_module_is_over_400_lines():
    lines = {str(p.relative_to(REPO)): len(p.read_text().splitlines()) for p, _ in MODULES.values()}
    assert {path: n for path, n in lines.items() if n > MAX_MODULE_LINES} == {}


def _crossings(source: str, parts: tuple[str, ...]) -> list[str]:
    """The private modules and names of another package that ``source`` imports."""
    dotted = ".".join(parts)
    crossing = []
    for i in imports(source, dotted):
        private = any(part.startswith("_") for part in i.module.split(".")[1:])
        if _package(i.module) != _package(dotted) and (private or i.name.startswith("_")):
            crossing.append(f"{i.module} {i.name}".strip())
    return crossing


def test_private_modules_and_names_stay_in_their_package():
    found = {}
    for dotted, (path, _) in MODULES.items():
        if crossing := _crossings(path.read_text(), tuple(dotted.split("."))):
            found[dotted] = crossing
    assert found == {}


def test_the_check_finds_a_private_import_from_another_package_only():
    source = (
        "from alignn_nb.cli import _settings\n"
        "from alignn_nb.widgets._resync import resync_on_display\n"
        "from ..graphs import _private\n"
        "import alignn_nb.live._hidden\n"
        "from ..graphs import build_graphs\n"
    )
    assert _crossings(source, ("alignn_nb", "cli", "verb")) == [
        "alignn_nb.widgets._resync resync_on_display",
        "alignn_nb.graphs _private",
        "alignn_nb.live._hidden",
    ]


TEST_MODULE = re.compile(r"^tests(\.\w+)*\.(test_\w+|conftest)$")
"""A test module or a conftest, as an import names it."""


def test_tests_import_shared_helpers_from_tests_support_only():
    found = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(TEST_MODULE.match(name) for name in names):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert found == []


SHARED_FOLDER = r"(\.\.|/work)/shared"
"""A path to the shared folder beside a development checkout, relative or absolute (as a
regular expression, so that this file does not name the folder itself)."""


def test_no_tracked_file_reads_the_shared_folder():
    command = ["git", "grep", "-l", "-E", "-e", SHARED_FOLDER, "--", "."]
    found = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert found.returncode in (0, 1), found.stderr
    assert found.stdout.split() == []


def test_the_architecture_page_shows_the_ranks():
    text = (REPO / "docs" / "architecture.md").read_text()
    shown = {name: int(rank) for rank, name in re.findall(r"^\| (\d+) \| `(\w+)`", text, re.M)}
    assert shown == RANKS


THREAD_MAKERS = {
    "threading.Thread",
    "threading.Timer",
    "_thread.start_new_thread",
    "concurrent.futures.Executor",
    "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.ProcessPoolExecutor",
    "concurrent.futures.thread.ThreadPoolExecutor",
    "concurrent.futures.process.ProcessPoolExecutor",
    "multiprocessing.Process",
    "multiprocessing.Pool",
    "multiprocessing.pool.Pool",
    "multiprocessing.pool.ThreadPool",
    "alignn_nb.compute.start_worker",
    "alignn_nb.compute.workers.start_worker",
    "alignn_nb.compute.LatestRunner",
    "alignn_nb.compute.latest.LatestRunner",
}
"""What starts a thread, a process or an executor. Widgets only observe jobs
(`alignn_nb.compute.Job`) and draw them; a delayed call goes through
`alignn_nb.compute.Debounced`. Locks and events are fine."""


def _dotted(node: ast.AST) -> str:
    """``a.b.c`` of a name or an attribute chain, or "" for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def thread_makers(source: str) -> list[str]:
    """``line: name`` of each thread, process or executor maker that ``source`` imports
    or names, resolved through its imports (``from threading import Timer as T``)."""
    aliases: dict[str, str] = {}
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for a in node.names:
                head = a.name.split(".")[0]
                aliases[a.asname or head] = a.name if a.asname else head
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                if f"{node.module}.{a.name}" in THREAD_MAKERS:
                    found.append(f"{node.lineno}: {node.module}.{a.name}")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
            head, _, rest = _dotted(node).partition(".")
            name = ".".join(filter(None, [aliases.get(head, head), rest]))
            if name in THREAD_MAKERS:
                found.append(f"{node.lineno}: {name}")
    return sorted(set(found), key=lambda item: int(item.split(":")[0]))


def test_no_widget_module_starts_a_thread_or_an_executor():
    found = {
        path.name: makers
        for path in sorted((PACKAGE / "widgets").glob("*.py"))
        if (makers := thread_makers(path.read_text()))
    }
    assert found == {}


def test_the_thread_check_sees_imports_aliases_and_attributes():
    source = (
        "import threading\n"
        "import concurrent.futures as cf\n"
        "from threading import Timer as Later, Event\n"
        "from alignn_nb.compute import start_worker, Debounced\n"
        "lock = threading.Lock()\n"
        "threading.Thread(target=print).start()\n"
        "pool = cf.ThreadPoolExecutor(2)\n"
        "Later(1.0, print)\n"
        "start_worker(print, 'x', print)\n"
        "Debounced(print, 0.5)\n"
    )
    assert thread_makers(source) == [
        "3: threading.Timer",
        "4: alignn_nb.compute.start_worker",
        "6: threading.Thread",
        "7: concurrent.futures.ThreadPoolExecutor",
        "8: threading.Timer",
        "9: alignn_nb.compute.start_worker",
    ]
