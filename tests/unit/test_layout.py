"""The package's shape, kept by a test: the modules outside defs/ and resources/ never
import Dagster, and no two modules import each other (directly or around a loop)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "dagster_project"
PURE = ("feeds", "warehouse", "gate", "publication", "presentation", "demo", "settings", "open_data", "serve")


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    return modules


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_pure_modules_never_import_dagster() -> None:
    for name, path in _modules().items():
        if (name.split(".") + [""])[1] in PURE:
            dagster = {m for m in _imports(path) if m.split(".")[0] in ("dagster", "dagster_dbt")}
            assert not dagster, f"{name} imports {sorted(dagster)}"


def test_the_import_graph_has_no_cycles() -> None:
    modules = _modules()
    edges = {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(name) :], name]))
        if name in done:
            return
        for target in edges[name]:
            visit(target, [*path, name])
        done.add(name)

    for name in modules:
        visit(name, [])
