"""The import graph: no cycles, `agents` free of `sim`, the engine free of tools, no model-takers.

Every import counts: module level, under `TYPE_CHECKING` and inside functions.
The modules are read (ast) from the installed package's folders.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import custsim.agents
import custsim.experiments
import custsim.policies
import custsim.sim

PACKAGES = (custsim.sim, custsim.agents, custsim.policies, custsim.experiments)
#: the only places allowed to take the whole model: its own methods and the views on it
MODEL_HOLDERS = {
    "custsim.sim.model": {"CustsimModel"},
    "custsim.sim.customer": {"Customer"},
    "custsim.sim.firm": {"Firm"},
}
ENGINE = ("custsim.sim.", "custsim.agents.", "custsim.policies.")


def module_files() -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the four packages."""
    found = {}
    for pkg in PACKAGES:
        root = Path(pkg.__path__[0])
        for path in root.rglob("*.py"):
            parts = [pkg.__name__, *path.relative_to(root).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = module_files()
TREES = {name: ast.parse(path.read_text()) for name, path in MODULES.items()}


def resolve(name: str, importer: str) -> str | None:
    """The project module an imported name lives in (None outside the project)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name if name and name != importer else None


def imports_of(module: str) -> set[str]:
    """Project modules `module` imports anywhere (TYPE_CHECKING and function bodies too)."""
    out = set()
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(TREES[module]):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        out |= {m for n in names if (m := resolve(n, module))}
    return out


GRAPH = {m: imports_of(m) for m in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, edges = work[-1]
            w = next(edges, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def model_takers() -> list[str]:
    """Engine functions with a parameter named `model` or annotated `CustsimModel`."""
    out = []
    for module, tree in TREES.items():
        if not module.startswith(ENGINE):
            continue
        allowed = MODEL_HOLDERS.get(module, set())
        for owner in ast.walk(tree):
            body = owner.body if isinstance(owner, (ast.Module, ast.ClassDef)) else []
            if isinstance(owner, ast.ClassDef) and owner.name in allowed:
                continue
            for fn in body:
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
                if any(
                    a.arg == "model"
                    or (a.annotation is not None and "CustsimModel" in ast.unparse(a.annotation))
                    for a in args
                ):
                    out.append(f"{module}.{fn.name}")
    return out


def test_the_walk_sees_the_engine_and_its_imports():
    assert {"custsim.sim.model", "custsim.sim.stages.shelf", "custsim.agents.choice"} <= set(
        MODULES
    )
    assert "custsim.sim.stages.settlement" in GRAPH["custsim.sim.model"]
    # the cycle finder finds a planted cycle, and a module importing itself is no cycle
    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(planted) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert cycles(GRAPH) == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("custsim.agents")))
def test_agents_import_nothing_from_sim(module):
    assert not {m for m in GRAPH[module] if m.startswith("custsim.sim")}


def test_no_engine_function_takes_the_model():
    assert model_takers() == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith(ENGINE)))
def test_the_engine_imports_no_tool(module):
    # sim/, agents/ and policies/ are the engine; experiments/ runs it, never the other way round
    assert not {m for m in GRAPH[module] if m.startswith("custsim.experiments")}
