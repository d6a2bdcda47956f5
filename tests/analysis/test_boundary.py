"""The house's arrows, proved by reading imports: what may import what, and who decides
who may see what.

- `insights/` imports neither Flask nor `app`; the ITIL rules, the clock and the
  simulator load neither Flask nor SQLAlchemy.
- Domain modules never import `app.web` or `app.cli`; in `app`, only `app/analysis.py`
  imports `insights`.
- No import circle among modules, and no import inside a function but the application
  factory's (which keeps the plain-data modules Flask-free).
- Only `app/visibility.py` reads an incident's restriction or its team to decide who may
  see something.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return result.stdout.strip()


def test_importing_insights_loads_neither_flask_nor_app():
    loaded = run_python(
        "import sys, pkgutil, importlib, insights\n"
        "for m in pkgutil.walk_packages(insights.__path__, 'insights.'):\n"
        "    importlib.import_module(m.name)\n"
        "web = ('flask', 'app')\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in web))\n"
    )
    assert loaded == "[]"


def test_the_itil_rules_the_clock_and_the_simulator_load_neither_flask_nor_a_database():
    loaded = run_python(
        "import sys, app.itil, app.clock, app.intake.simulate\n"
        "heavy = ('flask', 'flask_sqlalchemy', 'sqlalchemy', 'werkzeug')\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in heavy))\n"
    )
    assert loaded == "[]"


def test_importing_wsgi_builds_no_app_and_loads_no_models():
    answer = run_python(
        "import sys, wsgi\n"
        "from flask.globals import _cv_app\n"
        "print(_cv_app.get(None) is None, hasattr(wsgi, 'app'), 'app.models' in sys.modules)\n"
    )
    assert answer == "True False False"


# -- the import graph, read from the source --------------------------------------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


SOURCES = {
    module_name(p): p for p in sorted([*ROOT.glob("app/**/*.py"), *ROOT.glob("insights/**/*.py")])
}


def is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imported(node: ast.Import | ast.ImportFrom, module: str) -> list[str]:
    """The modules an import statement loads (`from app import notes` loads app.notes)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # relative
        package = module.split(".")[: -node.level or None]
        base = ".".join([*package, base] if base else package)
    names = [f"{base}.{alias.name}" for alias in node.names]
    return [name for name in names if name in SOURCES] or [base]


def module_level_imports(module: str) -> set[str]:
    tree = ast.parse(SOURCES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.update(imported(node, module))
    return found


def function_level_imports(module: str) -> list[str]:
    tree = ast.parse(SOURCES[module].read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    top |= {id(n) for node in tree.body if is_type_checking(node) for n in ast.walk(node)}
    return [
        f"{module}:{node.lineno} {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top
    ]


GRAPH = nx.DiGraph(
    (module, target)
    for module in SOURCES
    for target in module_level_imports(module)
    if target.split(".")[0] in ("app", "insights")
)


def test_there_is_no_import_circle():
    circles = [sorted(c) for c in nx.strongly_connected_components(GRAPH) if len(c) > 1]
    assert circles == []


def test_no_import_hides_in_a_function_but_the_application_factorys():
    hidden = [line for module in SOURCES for line in function_level_imports(module)]
    assert hidden and all(line.startswith("app:") for line in hidden), hidden


WEB_SHELL = ("app.web", "app.cli", "app.gunicorn_conf")


def is_shell(module: str) -> bool:
    return module == "app" or any(module == s or module.startswith(s + ".") for s in WEB_SHELL)


def test_domain_modules_never_reach_up_into_the_web_shell_or_the_cli():
    upward = [
        (module, target)
        for module, target in GRAPH.edges
        if not is_shell(module) and is_shell(target) and target != "app"
    ]
    assert upward == []


def test_only_the_analysis_bridge_imports_insights_and_insights_imports_no_app():
    into = {
        module
        for module, target in GRAPH.edges
        if target.split(".")[0] == "insights" and module.split(".")[0] == "app"
    }
    assert into == {"app.analysis"}
    out = [(m, t) for m, t in GRAPH.edges if m.startswith("insights") and t.startswith("app")]
    assert out == []


# -- one visibility rule ----------------------------------------------------------------

# Who may read an incident's restriction or its team, and why:
TEAM_WRITERS = {"app.incidents.team", "app.intake.demo"}  # add and remove members
RULE = {"app.visibility", "app.models"}


def restriction_reads(module: str) -> list[str]:
    """Reads of an incident's `restricted` flag or of `IncidentMember` in `module` (a
    form's field and the simulator's ground truth share the word, not the meaning)."""
    tree = ast.parse(SOURCES[module].read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "restricted":
            base = ast.unparse(node.value)
            if isinstance(node.ctx, ast.Load) and base not in ("form", "self.b.truth", "s"):
                found.append(f"{module}:{node.lineno} {ast.unparse(node)}")
        if (
            isinstance(node, ast.Name)
            and node.id == "IncidentMember"
            and module not in TEAM_WRITERS
        ):
            found.append(f"{module}:{node.lineno} IncidentMember")
    return found


def test_nothing_but_the_visibility_rule_tests_restriction_or_membership():
    readers = [
        line for module in SOURCES if module not in RULE for line in restriction_reads(module)
    ]
    assert readers == []
    assert restriction_reads("app.visibility")  # the walker does see them where they are
