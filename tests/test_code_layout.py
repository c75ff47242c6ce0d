"""The codebase stays readable: unique module names, no import cycles, short functions, an
extraction engine free of Django, and a README tree that names every module."""

import ast
import re
from collections import Counter, defaultdict
from pathlib import Path

from tests.support.live_server import ROOT

APP_SOURCES = [
    path
    for path in [*ROOT.glob("audiobooks/**/*.py"), *ROOT.glob("backend/*.py"), ROOT / "gunicorn.conf.py"]
    if "migrations" not in path.parts
]
LONGEST_FUNCTION_LINES = 50


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_two_modules_share_a_name():
    sources = [*APP_SOURCES, *ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/*.py")]
    names = Counter(path.name for path in sources if path.name not in ("__init__.py", "__main__.py"))

    assert [name for name, count in names.items() if count > 1] == []


def test_no_module_of_the_app_imports_one_that_imports_it_back():
    modules = {module_name(path): path for path in APP_SOURCES if path.name != "gunicorn.conf.py"}
    graph = {name: module_level_imports(path) & modules.keys() - {name} for name, path in modules.items()}
    reaches: dict[str, set[str]] = defaultdict(set)
    for start in graph:
        todo = list(graph[start])
        while todo:
            name = todo.pop()
            if name not in reaches[start]:
                reaches[start].add(name)
                todo += graph[name]

    assert [name for name in graph if name in reaches[name]] == []


def test_every_function_of_the_app_is_shorter_than_fifty_lines():
    lengths = {
        f"{path.relative_to(ROOT)}:{node.name}": node.end_lineno - node.lineno + 1
        for path in APP_SOURCES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }

    assert {name: lines for name, lines in lengths.items() if lines >= LONGEST_FUNCTION_LINES} == {}


def test_the_extraction_engine_imports_nothing_from_django_or_the_app_around_it():
    engine = list(ROOT.glob("audiobooks/extraction/*.py"))
    imported = {name for path in engine for name in module_level_imports(path)}

    assert engine and {name.split(".")[0] for name in imported} & {"django", "rest_framework"} == set()
    assert {name for name in imported if name.startswith("audiobooks.")} == {
        name for name in imported if name.startswith("audiobooks.extraction.")
    }


def test_the_readme_tree_names_every_module_of_the_app():
    readme = (ROOT / "README.md").read_text()
    tree = re.search(r"## How it works\n.*?```\n(.*?)```", readme, flags=re.S).group(1)
    modules = {path.name for path in ROOT.glob("audiobooks/**/*.py")} - {"__init__.py"}
    modules -= {path.name for path in ROOT.glob("audiobooks/migrations/*.py")}
    modules -= {path.name for path in ROOT.glob("audiobooks/management/commands/*.py")}

    assert {name for name in modules if name not in tree} == set()
