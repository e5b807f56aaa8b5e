"""No import cycle between the files of chatocr/ (counting imports inside functions too), and the
library parts import no CLI code: the command modules depend on the library, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules(package: str) -> dict[str, Path]:
    mods = {}
    for f in (ROOT / package).rglob("*.py"):
        parts = f.relative_to(ROOT).with_suffix("").parts
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return mods


def _imports(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    out = set()
    for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(n, ast.ImportFrom):
            if n.level:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = base[: len(base) - (n.level - 1)]
                target = ".".join(base + ([n.module] if n.module else []))
            else:
                target = n.module or ""
            subs = [f"{target}.{a.name}" for a in n.names]
            # `from . import sibling` in a package's own module imports no package: the package is
            # already being imported. Any other name taken from a package depends on its __init__.
            own = name.startswith(f"{target}.") and all(m in mods for m in subs)
            out |= {m for m in [*([] if own else [target]), *subs] if m in mods}
        elif isinstance(n, ast.Import):
            out |= {a.name for a in n.names if a.name in mods}
    return out - {name}


def _graph(package: str) -> dict[str, set[str]]:
    mods = _modules(package)
    return {m: _imports(m, p, mods) for m, p in mods.items()}


def test_no_import_cycle_in_chatocr():
    graph = _graph("chatocr")
    state: dict[str, int] = {}  # 1: on the path, 2: done
    cycles = []

    def visit(m, path):
        state[m] = 1
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                cycles.append(path[path.index(d) :] + [d])
            elif d not in state:
                visit(d, [*path, d])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_the_library_imports_no_command_module():
    graph = _graph("chatocr")
    library = [m for m in graph if not m.startswith("chatocr.commands") and m != "chatocr.cli"]
    assert {m: sorted(d for d in graph[m] if d.startswith("chatocr.commands")) for m in library} == {
        m: [] for m in library
    }
