"""The import layers, read from the source with `ast` (nothing is imported):

(a) tools/ and vectorstore/ import nothing of `assistant` but `assistant.core`;
(b) `assistant.core` imports nothing of the project outside itself (`prompts` included);
(c) bench/ does not import `assistant.commands` or `assistant.cli`;
(e) `assistant.understand` (code's reading of a request) imports nothing of the agent or the channels;
(d) no import cycle among the project's modules through module-level imports.

(a)-(c) and (e) count every import: at module level, inside functions, under `if TYPE_CHECKING:`. A lazy or
type-only import still ties one layer to another.

(d) counts only the imports that run when a module is first imported: those at module level (in an `if`,
`try` or class body too), but not those inside a function and not those under `if TYPE_CHECKING:`. An import
inside a function runs when the function is first called, after every module involved has finished
initialising, so it cannot observe a half-initialised module; that is how the project loads heavy
dependencies lazily (and keeps `import assistant.cli` light). An import under TYPE_CHECKING never runs.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("assistant", "tools", "vectorstore", "bench", "prompts")
MODULES = ("ui",)  # single-file modules at the top level


@dataclass(frozen=True)
class Import:
    importer: str  # the importing module, e.g. "tools.segments.rfm"
    target: str  # the project module it imports, e.g. "assistant.core.settings"
    where: str  # "tools/segments/rfm.py:12"
    statement: str  # the import statement as written (unparsed)
    at_import_time: bool  # module level and not under TYPE_CHECKING: runs when the importer is imported

    def __str__(self) -> str:
        return f"{self.importer} ({self.where}): `{self.statement}`"


def project_modules(
    root: Path, packages: tuple[str, ...] = PACKAGES, modules: tuple[str, ...] = MODULES
) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the project's packages and top-level modules."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if "__pycache__" in parts:
                continue
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    for module in modules:
        if (root / f"{module}.py").is_file():
            found[module] = root / f"{module}.py"
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(dotted: str, modules: dict[str, Path], roots: set[str]) -> str | None:
    """The deepest project module named by `dotted` (a.b.C -> a.b), or None if it is not the project's."""
    if dotted.split(".")[0] not in roots:
        return None
    parts = dotted.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return dotted  # a project name that does not exist (yet): still a dependency on that layer


def imports_of(name: str, path: Path, modules: dict[str, Path], root: Path) -> list[Import]:
    """Every import of a project module in one file, wherever it is in the file."""
    roots = {m.split(".")[0] for m in modules}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def record(node: ast.Import | ast.ImportFrom, at_import_time: bool) -> None:
        targets: list[str | None] = []
        if isinstance(node, ast.Import):
            targets = [_resolve(alias.name, modules, roots) for alias in node.names]
        else:
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if package else []
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                targets.append(submodule if submodule in modules else _resolve(source, modules, roots))
        where = f"{path.relative_to(root)}:{node.lineno}"
        for target in dict.fromkeys(t for t in targets if t is not None):
            found.append(Import(name, target, where, ast.unparse(node), at_import_time))

    def visit(node: ast.AST, at_import_time: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                record(child, at_import_time)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, False)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), False)
                for stmt in child.orelse:
                    visit(ast.Module(body=[stmt], type_ignores=[]), at_import_time)
            else:
                visit(child, at_import_time)

    visit(tree, True)
    return found


def all_imports(root: Path, **kwargs: tuple[str, ...]) -> list[Import]:
    modules = project_modules(root, **kwargs)
    return [imp for name, path in modules.items() for imp in imports_of(name, path, modules, root)]


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layer_violations(imports: list[Import]) -> list[str]:
    """Rules (a), (b) and (c), one line per offending import."""
    problems = []
    for imp in imports:
        if (
            (_within(imp.importer, "tools") or _within(imp.importer, "vectorstore"))
            and _within(imp.target, "assistant")
            and not _within(imp.target, "assistant.core")
        ):
            problems.append(f"(a) tools/ and vectorstore/ may use only assistant.core of assistant: {imp}")
        if _within(imp.importer, "assistant.core") and not _within(imp.target, "assistant.core"):
            problems.append(f"(b) assistant.core may import nothing of the project outside itself: {imp}")
        if _within(imp.importer, "bench") and (
            _within(imp.target, "assistant.commands") or _within(imp.target, "assistant.cli")
        ):
            problems.append(f"(c) bench/ may not import assistant.commands or assistant.cli: {imp}")
        if _within(imp.importer, "assistant.understand") and any(
            _within(imp.target, f"assistant.{room}") for room in ("agent", "ui", "slack", "commands", "cli")
        ):
            problems.append(f"(e) assistant.understand may not import the agent or a channel: {imp}")
    return problems


def import_cycles(imports: list[Import]) -> list[str]:
    """Rule (d): one line per cycle through import-time imports, naming each import on it."""
    edges: dict[str, dict[str, Import]] = {}
    for imp in imports:
        if imp.at_import_time and imp.target != imp.importer:
            edges.setdefault(imp.importer, {}).setdefault(imp.target, imp)
    # Tarjan's strongly connected components; every component of two or more modules holds a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, {})):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)

    problems = []
    for component in components:
        members = set(component)
        start = component[0]
        # The shortest way back to `start` inside the component: one concrete cycle to show.
        paths: dict[str, list[Import]] = {start: []}
        queue = [start]
        cycle: list[Import] = []
        while queue and not cycle:
            node = queue.pop(0)
            for nxt, imp in sorted(edges.get(node, {}).items()):
                if nxt == start:
                    cycle = [*paths[node], imp]
                    break
                if nxt in members and nxt not in paths:
                    paths[nxt] = [*paths[node], imp]
                    queue.append(nxt)
        chain = " -> ".join([start, *(imp.target for imp in cycle)])
        steps = "; ".join(str(imp) for imp in cycle)
        problems.append(f"(d) import cycle {chain} (modules in it: {', '.join(component)}): {steps}")
    return problems


# ---------------------------------------------------------------- the project


@pytest.fixture(scope="module")
def project_imports() -> list[Import]:
    return all_imports(REPO)


def test_the_walk_sees_every_kind_of_import(project_imports: list[Import]) -> None:
    """Guards against a walk that finds nothing (and so passes): the project has imports of every kind."""
    modules = project_modules(REPO)
    assert {"assistant.cli", "assistant.core.settings", "tools.context", "vectorstore.store", "ui"} <= set(modules)
    assert any(m.startswith("bench.") for m in modules) and any(m.startswith("prompts") for m in modules)
    assert len({i.importer for i in project_imports}) > 50
    assert any(i.at_import_time for i in project_imports)
    assert any(not i.at_import_time for i in project_imports)  # lazy ones, inside functions


def test_tools_and_vectorstore_use_only_the_core_of_assistant(project_imports: list[Import]) -> None:
    problems = [p for p in layer_violations(project_imports) if p.startswith("(a)")]
    assert not problems, "\n".join(problems)


def test_the_core_imports_nothing_of_the_project_outside_itself(project_imports: list[Import]) -> None:
    problems = [p for p in layer_violations(project_imports) if p.startswith("(b)")]
    assert not problems, "\n".join(problems)


def test_bench_does_not_import_the_commands_or_the_cli(project_imports: list[Import]) -> None:
    problems = [p for p in layer_violations(project_imports) if p.startswith("(c)")]
    assert not problems, "\n".join(problems)


def test_code_reading_a_request_does_not_import_the_agent(project_imports: list[Import]) -> None:
    problems = [p for p in layer_violations(project_imports) if p.startswith("(e)")]
    assert not problems, "\n".join(problems)


def test_no_import_cycles_at_import_time(project_imports: list[Import]) -> None:
    problems = import_cycles(project_imports)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- the checker itself, on planted violations

CLEAN_TREE = {
    "assistant/__init__.py": "",
    "assistant/cli.py": "from assistant.commands import ask\n",
    "assistant/commands/__init__.py": "",
    "assistant/commands/ask.py": "from assistant.agent.graph import run\n",
    "assistant/agent/__init__.py": "",
    "assistant/agent/graph.py": "import prompts\nfrom assistant.core import settings\nfrom tools.context import Ctx\n",
    "assistant/core/__init__.py": "",
    "assistant/core/settings.py": "import os\nfrom . import paths\nfrom .paths import HOME\n",
    "assistant/core/paths.py": "HOME = '.'\n",
    "tools/__init__.py": "",
    "tools/context.py": "from assistant.core.settings import Settings\n",
    "tools/a.py": "from tools import b\n",
    "tools/b.py": "def later():\n    from tools import a  # lazy: a cycle only when called, after both loaded\n",
    "vectorstore/__init__.py": "from assistant.core import paths\n",
    "bench/__init__.py": "",
    "bench/run.py": "from assistant.agent.graph import run\nfrom assistant.core.settings import Settings\n",
    "prompts/__init__.py": "",
    "ui.py": "from assistant.agent import graph\n",
}

PLANTED = {
    "tools importing the agent inside a function": (
        "tools/bad.py",
        "def f():\n    from assistant.agent import graph\n",
        "(a) tools/ and vectorstore/ may use only assistant.core of assistant: tools.bad (tools/bad.py:2): "
        "`from assistant.agent import graph`",
    ),
    "vectorstore importing the cli for a type": (
        "vectorstore/bad.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import assistant.cli\n",
        "(a) tools/ and vectorstore/ may use only assistant.core of assistant: vectorstore.bad "
        "(vectorstore/bad.py:3): `import assistant.cli`",
    ),
    "the core importing prompts": (
        "assistant/core/bad.py",
        "import prompts\n",
        "(b) assistant.core may import nothing of the project outside itself: assistant.core.bad "
        "(assistant/core/bad.py:1): `import prompts`",
    ),
    "the core importing the agent, relatively and lazily": (
        "assistant/core/bad.py",
        "def f():\n    from ..agent import graph\n",
        "(b) assistant.core may import nothing of the project outside itself: assistant.core.bad "
        "(assistant/core/bad.py:2): `from ..agent import graph`",
    ),
    "the core importing tools": (
        "assistant/core/__init__.py",
        "from tools.context import Ctx\n",
        "(b) assistant.core may import nothing of the project outside itself: assistant.core "
        "(assistant/core/__init__.py:1): `from tools.context import Ctx`",
    ),
    "bench importing a command": (
        "bench/bad.py",
        "from assistant.commands.ask import main\n",
        "(c) bench/ may not import assistant.commands or assistant.cli: bench.bad (bench/bad.py:1): "
        "`from assistant.commands.ask import main`",
    ),
    "bench importing the cli": (
        "bench/bad.py",
        "import assistant.cli as cli\n",
        "(c) bench/ may not import assistant.commands or assistant.cli: bench.bad (bench/bad.py:1): "
        "`import assistant.cli as cli`",
    ),
    "code reading a request importing the agent": (
        "assistant/understand/bad.py",
        "from assistant.agent.decision import DATA_FIELDS\n",
        "(e) assistant.understand may not import the agent or a channel: assistant.understand.bad "
        "(assistant/understand/bad.py:1): `from assistant.agent.decision import DATA_FIELDS`",
    ),
    "a cycle through module-level imports": (
        "tools/b.py",
        "import os\ntry:\n    from tools.a import x\nexcept ImportError:\n    x = None\n",
        "(d) import cycle tools.a -> tools.b -> tools.a (modules in it: tools.a, tools.b): "
        "tools.a (tools/a.py:1): `from tools import b`; tools.b (tools/b.py:3): `from tools.a import x`",
    ),
}


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(textwrap.dedent(text), encoding="utf-8")


def _check(root: Path) -> list[str]:
    imports = all_imports(root)
    return layer_violations(imports) + import_cycles(imports)


def test_the_clean_tree_passes(tmp_path: Path) -> None:
    _write(tmp_path, CLEAN_TREE)
    assert _check(tmp_path) == []


@pytest.mark.parametrize("case", list(PLANTED))
def test_each_rule_fails_on_a_planted_violation(case: str, tmp_path: Path) -> None:
    relative, text, expected = PLANTED[case]
    _write(tmp_path, {**CLEAN_TREE, relative: text})
    assert _check(tmp_path) == [expected]


def test_a_cycle_through_a_package_init_names_every_import(tmp_path: Path) -> None:
    """tools/__init__ -> tools.context -> assistant.core.settings -> ... -> tools: found, each step named."""
    _write(tmp_path, {**CLEAN_TREE, "tools/__init__.py": "from .context import *\n",
                      "assistant/core/paths.py": "import tools\nHOME = '.'\n"})  # fmt: skip
    problems = _check(tmp_path)
    assert problems[:-1] == [
        "(b) assistant.core may import nothing of the project outside itself: assistant.core.paths "
        "(assistant/core/paths.py:1): `import tools`"
    ]
    assert problems[-1] == (
        "(d) import cycle assistant.core.paths -> tools -> tools.context -> assistant.core.settings -> "
        "assistant.core.paths (modules in it: assistant.core.paths, assistant.core.settings, tools, tools.context): "
        "assistant.core.paths (assistant/core/paths.py:1): `import tools`; "
        "tools (tools/__init__.py:1): `from .context import *`; "
        "tools.context (tools/context.py:1): `from assistant.core.settings import Settings`; "
        "assistant.core.settings (assistant/core/settings.py:2): `from . import paths`"
    )
