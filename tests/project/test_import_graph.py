"""Dependencies run one way (design §1): accounts ← connections ← chat ← compare, library;
providers/ and media/ never import Django; connections/llm.py is the only module of the
Django apps that imports providers/.

media/provider_rules.py reads the provider records too (design §2: media fitting reads the
record; nothing restates it). Both are pure Python, so this adds no Django to either; passing
the numbers in from chat instead would have every caller of media look them up first."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What each app may import from the project's other apps.
ALLOWED = {
    "accounts": {"playground"},
    "connections": {"playground", "accounts"},
    "chat": {"playground", "accounts", "connections", "media"},
    "compare": {"playground", "accounts", "connections", "chat"},
    # The library shows version changes with the compare app's word diff (compare never
    # imports the library, so the graph stays one way).
    "library": {"playground", "accounts", "connections", "chat", "compare"},
    "media": {"providers"},  # provider_rules.py only: the records' media facts
    "providers": set(),
    "playground": {"accounts", "connections", "chat", "compare", "library"},
}
SEAM = "connections/llm.py"
RECORD_READERS = {SEAM, "media/provider_rules.py"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def modules(app: str) -> list[Path]:
    folder = ROOT / app
    return [path for path in folder.rglob("*.py") if "migrations" not in path.parts]


def test_apps_depend_on_each_other_one_way_only():
    broken = []
    for app, allowed in ALLOWED.items():
        for path in modules(app):
            used = imports_of(path) & set(ALLOWED) - {app}
            used.discard("providers")  # checked below, with its own rule
            if used - allowed:
                broken.append(f"{path.relative_to(ROOT)} imports {sorted(used - allowed)}")
    assert not broken, "\n".join(broken)


def test_only_the_seam_and_the_media_rules_import_the_provider_layer():
    importers = [
        str(path.relative_to(ROOT))
        for app in ALLOWED
        if app != "providers"
        for path in modules(app)
        if "providers" in imports_of(path)
    ]
    assert set(importers) == RECORD_READERS


def test_providers_and_media_never_import_django():
    for app in ("providers", "media"):
        for path in modules(app):
            assert "django" not in imports_of(path), path
