"""Dependencies point one way: donations → campaigns → config.

campaigns never imports donations; config imports neither. Every import
counts, at the top of a module or inside a function, under `if TYPE_CHECKING`
or through importlib: a page that shows both apps composes them in a donations
view. Settings, URL includes and migrations name other apps by string, which is
Django's own way to point upwards and is not an import.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

# Lowest layer first: each may import only the layers before it.
LAYERS = ("config", "campaigns", "donations")


def imported_modules(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the tree."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            found.append((node.lineno, module))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return sorted(found)


def layer_violations(root: Path) -> list[str]:
    """ "file:line imports module" for every import of a higher layer."""
    violations = []
    for rank, layer in enumerate(LAYERS):
        higher = LAYERS[rank + 1 :]
        for path in sorted((root / layer).rglob("*.py")):
            relative = path.relative_to(root)
            package = ".".join(relative.with_suffix("").parts[:-1])
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, module in imported_modules(tree, package):
                if module.split(".")[0] in higher:
                    violations.append(f"{relative}:{line} imports {module}")
    return violations


class LayerTests(SimpleTestCase):
    def test_lower_layers_never_import_higher_ones(self):
        violations = layer_violations(Path(settings.BASE_DIR))
        self.assertEqual(
            violations,
            [],
            "Dependencies point one way, donations → campaigns → config:\n"
            + "\n".join(violations),
        )

    def test_it_sees_imports_inside_functions_and_relative_ones(self):
        tree = ast.parse(
            "import os\n"
            "def f():\n"
            "    from donations.progress import campaign_progress\n"
            "    from . import models\n"
            "    from .. import cache\n"
            "    import_module('donations.views')\n"
        )
        self.assertEqual(
            imported_modules(tree, "campaigns.management"),
            [
                (1, "os"),
                (3, "donations.progress"),
                (4, "campaigns.management"),
                (5, "campaigns"),
                (6, "donations.views"),
            ],
        )
