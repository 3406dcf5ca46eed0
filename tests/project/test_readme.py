"""The README is the map a newcomer reads first: it must stay true."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = ("tests/", "bench/", "/migrations/")


def layout_section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Layout")
    return readme[start : readme.index("\n## ", start + 1)]


def project_modules() -> list[str]:
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                              "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)  # fmt: skip
    return [
        path
        for path in tracked.stdout.split()
        if not path.startswith(SKIPPED[:2])
        and SKIPPED[2] not in path
        and Path(path).name not in ("__init__.py", "__main__.py", "apps.py", "manage.py")
        and (ROOT / path).exists()
    ]


def test_the_layout_section_names_every_module():
    layout = layout_section()
    missing = [path for path in project_modules() if Path(path).stem not in layout]
    assert not missing, f"README's Layout section does not name: {', '.join(missing)}"


def test_the_readme_does_not_promise_what_is_already_built():
    readme = (ROOT / "README.md").read_text()
    assert "still to come" not in readme
