"""The shape of the package, as the architecture issue asks: no import circle between modules, no
module over 400 lines, and every built-in code documented from the one registry."""

from __future__ import annotations

import ast
from pathlib import Path

from cleaner import codes
from conftest import ROOT

PACKAGE = ROOT / "cleaner"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The cleaner modules ``path`` imports at module level (not inside functions, not for type checking)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) else ():
            if isinstance(sub, ast.ImportFrom):
                base = package
                for _ in range(sub.level - 1):
                    base = base.rpartition(".")[0]
                target = f"{base}.{sub.module}" if sub.level and sub.module else base if sub.level else sub.module
                if target and target.startswith("cleaner"):
                    out.add(target)
                    out.update(f"{target}.{a.name}" for a in sub.names)
            elif isinstance(sub, ast.Import):
                out.update(a.name for a in sub.names if a.name.startswith("cleaner"))
    return out


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imports(path) if m in modules and m != name} for name, path in modules.items()}


def test_no_import_circles():
    edges = graph()
    # a package's __init__ may re-export its submodules; a circle through an __init__ that only
    # re-exports is still a circle for the submodule that imports the package, so nothing is exempt
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_no_module_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_built_in_code_is_documented_from_the_registry():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [c.code for c in codes.BUILTIN if f"`{c.code}`" not in readme]
    assert missing == []
