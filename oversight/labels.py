"""The Chinese names of the compliance rule codes (vetoes, warnings, scheme items), for the
workspace screens and the exported documents alike, so an auditor reads the same words in both."""

from django.utils.translation import gettext_lazy as _

from govcms.models import Platform

from .models import FindingKind

# The rule codes of `compliance.vetoes_and_warnings` and the scheme items, as the screens name them.
CODE_LABELS = {
    "no_update_14d": _("连续 14 天未更新"),
    "no_interaction_channel": _("关闭评论且无互动渠道"),
    "no_update_10d": _("连续 10 天未更新"),
    "no_update_12d": _("连续 12 天未更新"),
    "zombie": _("僵尸账号"),
    "below_weekly_minimum": _("周发布量不足"),
    "overdue_interactions": _("互动逾期未办结"),
    "outsourcing_contract_missing": _("缺少运维合同"),
    "outsourcing_contract_expired": _("运维合同已过期"),
    "security_agreement_missing": _("缺少保密协议"),
    "security_agreement_expired": _("保密协议已过期"),
    **dict(FindingKind.choices),
}


def code_label(code: str) -> str:
    return str(CODE_LABELS.get(code, code))


def platform_label(code: str) -> str:
    """微博 / 微信 for a platform code (the code itself when unknown)."""
    return str(dict(Platform.choices).get(code, code))
