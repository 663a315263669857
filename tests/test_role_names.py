"""No role name outside the capability table and the policies.

Who may do what is declared once (`govcms/capabilities.py`) and answered by the per-app
`policy.py` modules; every other module asks a policy. This test reads every first-party Python
file and template and fails on a role named anywhere else: a `Role.<MEMBER>` attribute, a quoted
role value ("editor", 'signer', …), or one of the role sets and role checks the policy layer
replaced. Translation placeholders (`%(signer)s`, `{"signer": name}` formatting a message) are
not role checks and are not reported.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROLE_VALUES = ("editor", "reviewer", "signer", "agency_admin", "auditor", "system_admin")
MEMBER = re.compile(r"\bRole\.(EDITOR|REVIEWER|SIGNER|AGENCY_ADMIN|AUDITOR|SYSTEM_ADMIN)\b")
QUOTED = re.compile(r"""(["'])(""" + "|".join(ROLE_VALUES) + r""")\1""")
REPLACED = re.compile(
    r"\b(ADMIN_ROLES|RETRY_ROLES|EDIT_ROLES|UPLOAD_ROLES|AUDIT_ROLES|CAMPAIGN_ROLES|WRITING_ROLES|"
    r"ROLE_PAGE_ACTIONS|ROLE_IMAGE_ACTIONS|ROLE_MODEL_PERMISSIONS|require_role|require_system_admin|"
    r"_require_manage|_require_auditor|can_retry|can_import_lexicon|AdminOnlyMixin)\b"
)
# A message's placeholder mapping (`_("…%(signer)s…") % {"signer": …}`) names no role.
FORMATTING = re.compile(r"%\s*\{")

# Where role names belong: the table and the policies; the `Role` choices themselves; data
# (migrations, the demo seed); configuration defaults; tests and benchmark set-ups.
ALLOWED = (
    "govcms/capabilities.py",
    "govcms/policy.py",
    "editorial/policy.py",
    "publishing/policy.py",
    "govcms/models.py",
    "govcms/management/commands/seed_demo.py",
    "govcms/settings/",
    "tests/",
    "bench/",
)
SKIPPED_DIRS = {".venv", "node_modules", "media", "static", "var", "__pycache__", ".git"}


def first_party_files():
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT).as_posix()
        if set(path.relative_to(ROOT).parts) & SKIPPED_DIRS or "/migrations/" in f"/{relative}":
            continue
        if path.suffix in (".py", ".html") and path.is_file():
            yield relative, path


def role_names_in(text: str) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        hits = MEMBER.findall(line) + REPLACED.findall(line)
        if not FORMATTING.search(line):
            hits += [value for _quote, value in QUOTED.findall(line)]
        found += [(number, hit) for hit in hits]
    return found


def test_no_role_name_outside_the_table_and_policies():
    offenders = [
        f"{relative}:{number}: {hit}"
        for relative, path in first_party_files()
        if not relative.startswith(ALLOWED)
        for number, hit in role_names_in(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_check_finds_what_it_should():
    assert role_names_in('if role == "signer":') == [(1, "signer")]
    assert role_names_in("roles = {Role.EDITOR, Role.AGENCY_ADMIN}") == [(1, "EDITOR"), (1, "AGENCY_ADMIN")]
    assert role_names_in("require_role(request, ADMIN_ROLES, path)") == [(1, "require_role"), (1, "ADMIN_ROLES")]
    assert role_names_in('_("（签发人 %(signer)s 强制提交）") % {"signer": name}') == []
    assert role_names_in('data = {"via": "admin"}') == []
    # The table itself does name roles (it is allowed to).
    table = (ROOT / "govcms/capabilities.py").read_text(encoding="utf-8")
    assert role_names_in(table)
