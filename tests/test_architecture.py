"""The house's rules, checked on the source (docs/architecture.md, "The map").

1. Arrows run one way: feature packages and `bot.domain` never import Slack, serving, the CLI, handlers
   or jobs; only the Slack-facing layers import slack_bolt / slack_sdk.
2. No import cycles, counting imports inside functions (a lazy import may not hide a cycle); imports
   under `if TYPE_CHECKING:` are annotations only and are not counted.
3. No module over 700 lines outside migrations and tests; `bot/` keeps only the core modules.
4. Every Slack action, block and callback id is declared in one place, `bot/slack/ids.py`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "jobs")
FEATURES = (
    "bot.projects",
    "bot.reminders",
    "bot.questions",
    "bot.experts",
    "bot.workspace_file",
    "bot.feed",
    "bot.conversations",
    "bot.proposals",
    "bot.checkins",
    "bot.agreements",
    "bot.publications",
    "bot.calendar",
    "bot.domain",
)
SLACK_LIBRARIES = ("slack_bolt", "slack_sdk")
# Who may talk to Slack's libraries: the adapters at the edge, never the core or the features.
SLACK_LAYERS = ("handlers", "jobs", "bot.slack", "bot.serving", "bot.cli", "bot.app")
# What a feature package or the domain may never import.
FORBIDDEN_FOR_FEATURES = (*SLACK_LIBRARIES, "bot.slack", "bot.serving", "bot.cli", "handlers", "jobs")
# Layers below the edge: bot.slack renders and sends; it never reaches up into servers, CLI or listeners.
FORBIDDEN_FOR_SLACK = ("bot.serving", "bot.cli", "handlers", "jobs")
CORE = {
    "__init__.py",
    "__main__.py",
    "access.py",
    "app.py",
    "clock.py",
    "commands.py",
    "db.py",
    "errors.py",
    "models.py",
    "schema.py",
    "services.py",
    "settings.py",
}
MAX_LINES = 700
# A module-level constant naming a Slack id: `FOO_ACTION = "foo"` (also _BLOCK, _MODAL, _INPUT, _SHORTCUT).
ID_CONSTANT = re.compile(
    r'^([A-Z][A-Z0-9_]*_(?:ACTION|ACTION_PREFIX|BLOCK|MODAL|INPUT|SHORTCUT)) = "', re.MULTILINE
)


@dataclass
class Module:
    name: str
    path: Path
    imports: set[str] = field(default_factory=set)  # every import outside TYPE_CHECKING blocks


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (name for child in node.orelse for name in _imports(child, module, is_package))
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".") if is_package else module.split(".")[:-1]
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            yield base
            # `from package import submodule` imports the submodule too.
            yield from (f"{base}.{alias.name}" for alias in node.names)
        yield from _imports(node, module, is_package)


def _load_modules() -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            name = _module_name(path)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found = set(_imports(tree, name, path.name == "__init__.py"))
            modules[name] = Module(name, path, found)
    return modules


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    return _load_modules()


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _violations(modules: dict[str, Module], owners: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module.name} imports {target}"
        for module in modules.values()
        if _within(module.name, owners)
        for target in module.imports
        if _within(target, forbidden)
    )


def test_feature_packages_and_domain_never_import_slack_serving_cli_handlers_or_jobs(
    modules: dict[str, Module],
) -> None:
    assert any(_within(name, FEATURES) for name in modules), "the scan found no feature package"
    assert _violations(modules, FEATURES, FORBIDDEN_FOR_FEATURES) == []


def test_only_the_slack_facing_layers_import_slack_libraries(modules: dict[str, Module]) -> None:
    offenders = sorted(
        f"{module.name} imports {target}"
        for module in modules.values()
        if not _within(module.name, SLACK_LAYERS)
        for target in module.imports
        if _within(target, SLACK_LIBRARIES)
    )
    assert offenders == []


def test_slack_layer_never_imports_serving_cli_handlers_or_jobs(modules: dict[str, Module]) -> None:
    assert _violations(modules, ("bot.slack",), FORBIDDEN_FOR_SLACK) == []


def test_jobs_never_import_handlers_serving_or_cli(modules: dict[str, Module]) -> None:
    assert _violations(modules, ("jobs",), ("handlers", "bot.serving", "bot.cli")) == []


def _cycles(modules: dict[str, Module]) -> list[list[str]]:
    graph = {
        name: sorted(t for t in module.imports if t in modules and t != name)
        for name, module in modules.items()
    }
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in graph[node]:
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    return found


def test_no_import_cycles_even_through_imports_inside_functions(modules: dict[str, Module]) -> None:
    assert [" -> ".join(cycle) for cycle in _cycles(modules)] == []


def test_the_cycle_check_finds_a_cycle() -> None:
    # The check itself must be able to fail: a → b → a through a function-level import.
    a = Module("a", Path("a.py"), {"b"})
    b = Module("b", Path("b.py"), {"a"})
    assert _cycles({"a": a, "b": b}) == [["a", "b", "a"]]


def test_no_module_over_700_lines() -> None:
    long = sorted(
        f"{path.relative_to(REPO)}: {lines}"
        for package in PACKAGES
        for path in (REPO / package).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    )
    assert long == []


def test_bot_root_keeps_only_the_core_modules() -> None:
    root = {path.name for path in (REPO / "bot").glob("*.py")}
    assert root <= CORE, sorted(root - CORE)
    assert len(root) <= 12


def test_every_action_block_and_callback_id_is_declared_in_bot_slack_ids() -> None:
    declared_elsewhere = sorted(
        f"{path.relative_to(REPO)}: {match.group(1)}"
        for package in PACKAGES
        for path in (REPO / package).rglob("*.py")
        if path != REPO / "bot" / "slack" / "ids.py"
        for match in ID_CONSTANT.finditer(path.read_text(encoding="utf-8"))
    )
    assert declared_elsewhere == []
