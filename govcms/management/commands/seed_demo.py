"""Build the demo organisation tree, accounts, users, content-check lexicon and leader register
(idempotent: re-running changes nothing).

Everything is created through the services, so the demo ledger, history and derived
permissions are exactly what real use would produce.

`--sandbox-accounts FILE` also writes what the platform sandbox must know about this server (its
port is only known here, from the settings): the demo WeChat accounts' event-push URL and token,
and the demo Weibo accounts' safe domain (the host of GOVCMS_SITE_URL). `make demo` passes the
file to `python -m sandbox --demo --accounts FILE`.
"""

import json
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from wagtail.models import Page, Site

from editorial import services as editorial_services
from editorial.checks.importers import parse_text_lexicon
from govcms import services
from govcms.capabilities import SYSTEM
from govcms.models import AccountCredential, AccountPage, AccountStatus, AgencyPage, Role, RoleAssignment

DEMO_PASSWORD = "govcms-demo-2026"
# A few terms of every lexicon category, one exemption (白名单) and typos with their corrections.
DEMO_LEXICON = Path(__file__).resolve().parents[2] / "demo_data" / "lexicon.txt"
# Fictitious leaders (name, title, order) for the leader check; the titles match the demo agencies.
LEADERS = [
    ("周明远", "省长", "title_first"),
    ("林海涛", "市长", "title_first"),
    ("林海涛", "市委副书记", "title_first"),
    ("陈立新", "区长", ""),
    ("赵敏", "区委书记", ""),
]

# (key, parent key, name, region code, level, category)
AGENCIES = [
    ("zj", None, "浙江省人民政府（演示）", "330000", "province", "government_office"),
    ("zj_cac", "zj", "浙江省委网信办（演示）", "330000", "department", "cyberspace"),
    ("zj_health", "zj", "浙江省卫生健康委员会（演示）", "330000", "department", "health"),
    ("hz", "zj", "杭州市人民政府（演示）", "330100", "city", "government_office"),
    ("hz_cac", "hz", "杭州市委网信办（演示）", "330100", "department", "cyberspace"),
    ("hz_police", "hz", "杭州市公安局（演示）", "330100", "department", "public_security"),
    ("xihu", "hz", "西湖区人民政府（演示）", "330106", "county", "government_office"),
    ("wenxin", "xihu", "西湖区文新街道（演示）", "330106", "township", "government_office"),
    ("yuhang", "hz", "余杭区人民政府（演示）", "330110", "county", "government_office"),
    ("nb", "zj", "宁波市人民政府（演示）", "330200", "city", "government_office"),
    ("nb_cac", "nb", "宁波市委网信办（演示）", "330200", "department", "cyberspace"),
    ("haishu", "nb", "海曙区人民政府（演示）", "330203", "county", "government_office"),
]

# (key, agency key, platform, name, final status, extra fields)
ACCOUNTS = [
    ("zj_weibo", "zj", "weibo", "浙江发布（演示）", "operating", {"verified": True}),
    ("zj_wechat", "zj", "wechat", "浙江发布（演示）", "operating", {"verified": True}),
    ("zj_health_wechat", "zj_health", "wechat", "健康浙江（演示）", "operating", {"verified": True}),
    ("hz_weibo", "hz", "weibo", "杭州发布（演示）", "operating", {"verified": True}),
    ("hz_wechat", "hz", "wechat", "杭州发布（演示）", "operating", {"verified": True}),
    ("hz_cac_wechat", "hz_cac", "wechat", "网信杭州（演示）", "operating", {"verified": True}),
    (
        "hz_police_weibo",
        "hz_police",
        "weibo",
        "平安杭州（演示）",
        "operating",
        {"outsourced": True, "operating_unit": "杭州某某文化传媒有限公司（演示）"},
    ),
    ("xihu_weibo", "xihu", "weibo", "西湖发布（演示）", "operating", {"verified": True}),
    ("xihu_wechat", "xihu", "wechat", "西湖发布（演示）", "operating", {"verified": True}),
    ("yuhang_wechat", "yuhang", "wechat", "余杭发布（演示）", "suspended", {}),
    ("nb_weibo", "nb", "weibo", "宁波发布（演示）", "operating", {"verified": True}),
    ("haishu_wechat", "haishu", "wechat", "海曙发布（演示）", "applied", {}),
]

# (username, display name, role, scope key or None for global)
USERS = [
    ("sysadmin", "系统管理员", Role.SYSTEM_ADMIN, None),
    ("admin_hz", "杭州市单位管理员", Role.AGENCY_ADMIN, "hz"),
    ("auditor_zj", "省网信办审计员", Role.AUDITOR, "zj"),
    ("auditor_hz", "杭州市网信办审计员", Role.AUDITOR, "hz"),
    ("editor_xihu", "西湖区编辑", Role.EDITOR, "xihu"),
    ("reviewer_xihu", "西湖区审核", Role.REVIEWER, "xihu"),
    ("signer_xihu", "西湖区签发", Role.SIGNER, "xihu"),
    ("editor_yuhang", "余杭区编辑", Role.EDITOR, "yuhang"),
    ("editor_police", "平安杭州编辑", Role.EDITOR, "hz_police_weibo"),
]

LIFECYCLE_PATH = {
    "applied": [],
    "operating": ["operating"],
    "suspended": ["operating", "suspended"],
}


class Command(BaseCommand):
    help = "Load the demo organisation tree, accounts, users, lexicon and leader register (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--sandbox-accounts",
            type=Path,
            help="write the platform sandbox's account settings for this server to this JSON file",
        )

    @transaction.atomic
    def handle(self, *args, sandbox_accounts: Path | None = None, **options):
        User = get_user_model()
        sysadmin = self._user(User, "sysadmin", "系统管理员")
        # The demo's system admin builds the tree, so its ledger names a person (a transition's
        # approver must be one); the system grants that first role.
        if not RoleAssignment.objects.active().filter(user=sysadmin, role=Role.SYSTEM_ADMIN).exists():
            services.role_assign(actor=SYSTEM, user=sysadmin, role=Role.SYSTEM_ADMIN)
        nodes: dict[str, Page] = {}
        for key, parent_key, name, region, level, category in AGENCIES:
            parent = nodes[parent_key] if parent_key else Page.get_first_root_node()
            existing = AgencyPage.objects.child_of(parent).filter(title=name).first()
            nodes[key] = existing or services.agency_create(
                actor=sysadmin, parent=None if parent_key is None else parent, name=name,
                region_code=region, level=level, category=category,
            )  # fmt: skip
        for n, (key, agency_key, platform, name, status, extra) in enumerate(ACCOUNTS, start=1):
            agency = nodes[agency_key]
            existing = AccountPage.objects.child_of(agency).filter(title=name, platform=platform).first()
            if existing:
                nodes[key] = existing
                continue
            account = services.account_create(
                actor=sysadmin, agency=agency, platform=platform, name=name,
                platform_account_id=f"demo-{key}", responsible_person="张三（演示）",
                credentials=_credentials(n, platform), **extra,
            )  # fmt: skip
            for step in LIFECYCLE_PATH[status]:
                reason = "演示数据：备案通过" if step == AccountStatus.OPERATING else "演示数据：三个月未更新，停更整改"
                services.account_transition(actor=sysadmin, account=account, to=step, reason=reason)
            nodes[key] = account
        self._site(nodes["zj"])
        self._checks(sysadmin)
        for username, display, role, scope_key in USERS:
            user = self._user(User, username, display)
            scope = nodes.get(scope_key) if scope_key else None
            scope_kwargs = {}
            if isinstance(scope, AccountPage):
                scope_kwargs["account"] = scope
            elif scope is not None:
                scope_kwargs["agency"] = scope
            if not RoleAssignment.objects.active().filter(user=user, role=role, **scope_kwargs).exists():
                services.role_assign(actor=SYSTEM, user=user, role=role, **scope_kwargs)  # seeding: the system grants
        if sandbox_accounts is not None:
            self._sandbox_accounts(sysadmin, nodes, sandbox_accounts)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):"))
        for username, display, role, scope_key in USERS:
            scope = nodes[scope_key].title if scope_key else "全局"
            self.stdout.write(f"  {username:<15} {role:<13} {scope}  ({display})")

    def _checks(self, sysadmin) -> None:
        """Load the demo lexicon and leader register, adding only what is missing."""
        parsed = parse_text_lexicon(data=DEMO_LEXICON.read_bytes())
        if parsed.errors:
            raise CommandError(f"{DEMO_LEXICON.name}: {parsed.errors}")
        new, changed, _unchanged = editorial_services.lexicon_changes(parsed.entries)
        if new or changed:
            editorial_services.lexicon_import(actor=SYSTEM, entries=parsed.entries, filename=DEMO_LEXICON.name)
        editorial_services.leaders_add(actor=SYSTEM, leaders=LEADERS)

    def _sandbox_accounts(self, sysadmin, nodes: dict[str, Page], path: Path) -> None:
        """Write the sandbox's per-account settings for this server (see the module docstring)."""
        site = settings.GOVCMS_SITE_URL.rstrip("/")
        safe_domains = sorted({urlsplit(site).hostname or "localhost", "localhost", "127.0.0.1"})
        config: dict[str, list[dict]] = {"wechat": [], "weibo": []}
        for n, (key, _agency, platform, *_rest) in enumerate(ACCOUNTS, start=1):
            account = nodes[key]
            spec = _credentials(n, platform)
            if platform == "weibo":
                config["weibo"].append({**spec, "safe_domain": safe_domains})
                continue
            credential = AccountCredential.objects.get(account=account)
            if not credential.callback_token:  # seeded before the demo accounts had one
                services.credential_set(actor=SYSTEM, account=account, callback_token=_callback_token(n))
            push = reverse("api-v1:wechat_callback", kwargs={"account_id": account.pk})
            config["wechat"].append({**spec, "callback_url": f"{site}{push}"})
        path.write_text(json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8")

    def _user(self, User, username: str, display: str):
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": display})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _site(self, root: Page) -> None:
        """Serve the province page as the default site, replacing Wagtail's welcome page."""
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(
                hostname="localhost", port=80, root_page=root, is_default_site=True, site_name="政务新媒体（演示）"
            )
        elif site.root_page_id != root.pk:
            welcome = site.root_page
            site.root_page = root
            site.site_name = "政务新媒体（演示）"
            site.save()
            if type(welcome.specific) is Page and not welcome.get_children().exists():
                welcome.delete()


def _credentials(n: int, platform: str) -> dict[str, str]:
    """The credentials of the n-th demo account, as sandbox/demo.py derives them."""
    if platform == "wechat":
        return {"appid": f"wxdemo{n:010d}", "secret": f"sandbox-secret-{n:04d}", "callback_token": _callback_token(n)}
    return {"access_token": f"sandbox-token-{n:04d}", "uid": f"{5000000000 + n}"}


def _callback_token(n: int) -> str:
    return f"sandbox-callback-{n:04d}"
