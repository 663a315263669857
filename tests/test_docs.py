"""Every document the code and docs cite exists in the repository."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# docs/<name>.md, or a bare "platforms.md" / "api.md" / "product.md" as the backends cite it.
CITATION = re.compile(r"docs/([\w./-]+\.md)|\b(platforms|api|product)\.md\b")
SKIP = {".venv", ".git", "node_modules", "static", "media"}


def _sources():
    for path in ROOT.rglob("*"):
        if path.suffix in (".py", ".md", ".html") and not SKIP & set(path.relative_to(ROOT).parts):
            yield path


def test_cited_documents_exist():
    missing = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for match in CITATION.finditer(text):
            name = match.group(1) or f"{match.group(2)}.md"
            if not (ROOT / "docs" / name).is_file():
                missing.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not missing, missing


def test_readme_links_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("product.md", "api.md", "platforms.md"):
        assert f"(docs/{name})" in readme
