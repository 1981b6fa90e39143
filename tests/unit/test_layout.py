"""The house rules a newcomer relies on: one name per module, short modules, no import cycle."""

import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGES = ("topos", "controllers", "plan")
ENTRY_FILES = {"vmnet.py"}  # mn --custom topos/vmnet.py, ryu-manager controllers/vmnet.py
LONGEST = 330  # lines: "about 300"


def modules():
    for package in PACKAGES:
        for base, _dirs, files in os.walk(os.path.join(ROOT, package)):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(base, name)
                    dotted = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                    # not str.removesuffix: the Mininet VM's Python is 3.8
                    package = dotted[:-len(".__init__")] if name == "__init__.py" else dotted
                    yield package, path


def test_no_two_modules_share_a_name_but_the_two_entry_files():
    seen = {}
    for dotted, path in modules():
        name = os.path.basename(path)
        if name in ENTRY_FILES or name == "__init__.py":
            continue
        assert name not in seen, "%s and %s" % (seen[name], dotted)
        seen[name] = dotted


def test_no_module_is_much_over_300_lines():
    long = {dotted: n for dotted, path in modules()
            if (n := sum(1 for _ in open(path))) > LONGEST}
    assert not long, long


def imports_at_load(path, known):
    """The project modules a module imports when it is loaded (function-level ones excluded)."""
    found = set()
    for node in ast.parse(open(path).read()).body:
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + ["%s.%s" % (node.module, a.name) for a in node.names]
        found |= {n for n in names if n in known}
    return found


def test_no_import_cycle():
    paths = dict(modules())
    graph = {m: imports_at_load(p, paths) - {m} for m, p in paths.items()}
    state = {}

    def visit(module, trail):
        if state.get(module) == "done":
            return
        assert state.get(module) != "open", "import cycle: " + " -> ".join(trail + [module])
        state[module] = "open"
        for other in graph[module]:
            visit(other, trail + [module])
        state[module] = "done"

    for module in graph:
        visit(module, [])


def imports_anywhere(path, known):
    """The project modules a module imports, at load or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {"%s.%s" % (node.module, a.name) for a in node.names}
    return {n for n in found if n in known}


def folder_of(dotted, packages):
    """The folder (package) a module lives in: topos.run.lab -> topos.run; a package's
    __init__ belongs to the package itself."""
    return dotted if dotted in packages else dotted.rsplit(".", 1)[0]


def folder_graph():
    paths = dict(modules())
    packages = {m for m, p in paths.items() if p.endswith("__init__.py")}
    graph = {}
    for module, path in paths.items():
        mine = folder_of(module, packages)
        for other in imports_anywhere(path, paths):
            theirs = folder_of(other, packages)
            if theirs != mine:
                graph.setdefault(mine, set()).add(theirs)
    return graph


def test_folders_import_one_way():
    """Layers a newcomer can rely on: no folder imports a folder that imports it (inside a
    function too), the controller app never imports the topologies, and the plan (addresses)
    imports nothing of ours."""
    graph = folder_graph()

    def reaches(start, goal, seen=()):
        return any(step == goal or (step not in seen and reaches(step, goal, seen + (step,)))
                   for step in graph.get(start, ()))

    both_ways = sorted((a, b) for a in graph for b in graph[a] if a < b and reaches(b, a))
    assert not both_ways, both_ways
    assert not any(f.startswith("topos") for f in graph.get("controllers", ())), graph
    assert not graph.get("plan"), "the plan is below everything: %s" % graph.get("plan")
