"""The house's rules, checked on the code: a lower layer never imports a higher one, a private
module is imported only inside its package (both by import-linter, configured in
pyproject.toml), and no module of ``suite/`` uses another module's private names (``_name``),
which import-linter does not check. Each rule is also shown to fail on a planted violation."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT

SUITE = ROOT / "suite"


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` over the ``suite`` package found under ``root``, with root's config."""
    pytest.importorskip("importlinter", reason="import-linter is not installed (the `test` "
                                                "extra installs it)")
    code = ("import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())")
    return subprocess.run([sys.executable, "-c", code, "--config", str(root / "pyproject.toml"),
                           "--no-cache"], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=300)


def test_lower_layers_never_import_higher_ones():
    """Every import-linter contract of pyproject.toml holds: the layers, and private modules."""
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout


@pytest.fixture
def copy_of_the_house(tmp_path) -> Path:
    """A copy of suite/ (as the package rngsuite, found first on PYTHONPATH) and
    pyproject.toml, to plant violations in."""
    shutil.copytree(SUITE, tmp_path / "rngsuite", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize("module,line,contract", [
    ("suite/core/compare.py", "from rngsuite.cli import main", "a lower layer never imports"),
    ("suite/backends/base.py", "from rngsuite.reference import mt19937",
     "a lower layer never imports"),
    ("suite/tools/report.py", "from rngsuite.backends._torch import TORCH_CALLS",
     "a private module"),
], ids=["core imports the cli", "backends import reference", "a private module from outside"])
def test_a_planted_import_breaks_its_contract(copy_of_the_house, module, line, contract):
    """An import that runs up the layers, across siblings, or into another package's private
    module makes lint-imports fail and name the import."""
    path = copy_of_the_house / "rngsuite" / module.partition("/")[2]
    path.write_text(path.read_text() + f"\n{line}  # planted\n")
    result = _lint_imports(copy_of_the_house)
    assert result.returncode != 0, result.stdout[-3000:]
    broken = result.stdout.split("Broken contracts", 1)[-1]
    name = "rngsuite." + module[:-3].partition("/")[2].replace("/", ".")
    assert contract in broken and name in broken, broken[-3000:]


# ---------------------------------------------------------------------------- private names
@dataclass(frozen=True)
class Use:
    """A module using another module's private name."""

    module: str
    line: int
    name: str
    owner: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: uses {self.owner}.{self.name}"


def _module_name(path: Path, package_dir: Path, package: str) -> str:
    parts = (package, *path.relative_to(package_dir).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str, package_dir: Path) -> bool:
    base = package_dir.joinpath(*name.split(".")[1:])
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(package_dir: Path, package: str = "rngsuite") -> list[Use]:
    """Every place a module of ``package`` (its files in ``package_dir``: the repository's
    suite/ is the package rngsuite) imports, or reads as an attribute of an imported module, a
    private name of another of its modules. A private *module* may be imported inside its own
    package (import-linter's private_modules contract checks that)."""
    root = package_dir
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        me = _module_name(path, package_dir, package)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        aliases: dict[str, str] = {}  # a local name bound to one of the package's modules
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:  # relative: from . import x / from .y import z
                    base = me.split(".")[:len(me.split(".")) - node.level
                                          + (path.name == "__init__.py")]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if source.split(".")[0] != package:
                    continue
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    if _is_module(full, root):
                        aliases[alias.asname or alias.name] = full
                        if _private(alias.name) and not me.startswith(source + "."):
                            found.append(Use(me, node.lineno, alias.name, source))
                    elif _private(alias.name) and source != me:
                        found.append(Use(me, node.lineno, alias.name, source))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == package and alias.asname:
                        aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in aliases and _private(node.attr):
                owner = aliases[node.value.id]
                if owner != me and not _is_module(f"{owner}.{node.attr}", root):
                    found.append(Use(me, node.lineno, node.attr, owner))
    return found


def test_no_module_uses_another_modules_private_names():
    """No module of suite/ imports, or reads through a module it imported, a name another
    module keeps private (a leading underscore): what is shared is public."""
    uses = private_uses(SUITE)
    assert not uses, "\n".join(map(str, uses))


@pytest.mark.parametrize("line", [
    "from rngsuite.core.ledger import _unused_name",
    "from rngsuite.core import ledger\nledger._unused_name",
    "import rngsuite.core.ledger as ledger\nledger._unused_name",
    "from ..core.ledger import _unused_name",
], ids=["from-import", "module attribute", "import as", "relative import"])
def test_a_planted_private_use_is_found(copy_of_the_house, line):
    """Importing another module's private name, or reading one through a module, is found."""
    path = copy_of_the_house / "rngsuite" / "checks" / "engine.py"
    path.write_text(path.read_text() + f"\n{line}  # planted\n")
    planted = ({str(u) for u in private_uses(copy_of_the_house / "rngsuite")}
               - {str(u) for u in private_uses(SUITE)})
    assert len(planted) == 1 and planted.pop().startswith("rngsuite.checks.engine:"), planted


# ---------------------------------------------------------------------------- the design doc
def test_the_design_doc_names_every_module_and_command():
    """docs/DESIGN.md names every module of suite/ (its file name) and every command of the
    CLI, so a newcomer finds each one's room."""
    from rngsuite.cli import COMMANDS

    design = (ROOT / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    modules = sorted({p.name for p in SUITE.rglob("*.py")} - {"__init__.py"})
    missing = [m for m in modules if f"`{m}`" not in design and f"/{m}`" not in design]
    assert not missing, f"docs/DESIGN.md does not name {missing}"
    unnamed = [c for c in COMMANDS if f"`{c}" not in design]
    assert not unnamed, f"docs/DESIGN.md does not name the commands {unnamed}"
