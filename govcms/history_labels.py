"""What each history entry's `action` means, in readable Chinese: the one table of labels that the
admin's history (履历) screens and the API's history entries (`label`) both read.

Keys are the ledger's event actions (every one the code can record: tests/govcms/
test_history_labels.py scans the source for them and fails on a key without a label), Wagtail's
page log actions (every one Wagtail registers), and the history layers' own actions
(simple-history `created` / `changed` / `deleted`, a credential's, an account's filed transition,
a post's check runs). An unknown key is shown as it is rather than hidden.
"""

import logging

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

ACTION_LABELS = {
    # simple-history rows (field-level diffs of plain models)
    "created": _("创建"),
    "changed": _("修改"),
    "deleted": _("删除"),
    # organisation: agencies, accounts, credentials, memberships, people, calendar
    "agency.created": _("新建机构"),
    "agency.changed": _("修改机构"),
    "agency.deleted": _("删除机构"),
    "account.created": _("开设账号"),
    "account.changed": _("修改账号"),
    "account.deleted": _("删除账号"),
    "account.transition": _("状态变更"),
    "account.misconfigured": _("账号配置错误"),
    "account.problem_cleared": _("账号问题已解除"),
    "account.comments_closed": _("关闭评论"),
    "account.comments_reopened": _("重新开放评论"),
    "credential.created": _("创建凭据记录"),
    "credential.changed": _("更新凭据"),
    "credential.deleted": _("删除凭据记录"),
    "role.granted": _("授予岗位"),
    "role.changed": _("修改有效期"),
    "role.revoked": _("撤销岗位"),
    "role.expired": _("岗位到期"),
    "user.created": _("创建用户"),
    "user.password_changed": _("修改密码"),
    "user.deactivated": _("停用用户"),
    "user.reactivated": _("恢复用户"),
    "auth.login": _("登录"),
    "auth.logout": _("退出登录"),
    "auth.login_failed": _("登录失败"),
    "auth.login_refused": _("拒绝登录"),
    "auth.locked_out": _("登录锁定"),
    "auth.unlocked": _("解除登录锁定"),
    "auth.token_issued": _("签发 API 令牌"),
    "auth.token_revoked": _("吊销 API 令牌"),
    "auth.tokens_revoked": _("吊销全部 API 令牌"),
    "api.denied": _("拒绝接口访问"),
    "security.probing": _("疑似越权探测"),
    "calendar.day_added": _("新增工作日历日期"),
    "calendar.day_changed": _("修改工作日历日期"),
    "calendar.day_deleted": _("删除工作日历日期"),
    "calendar.seeded": _("导入工作日历"),
    "calendar.estimated": _("按周末推算工作日历"),
    "image.uploaded": _("上传图片"),
    "image.fetched": _("抓取外部图片"),
    # editorial: posts, reviews, campaigns, lexicon, leaders
    "post.created": _("创建内容"),
    "post.updated": _("修改内容"),
    "post.checked": _("内容检查"),
    "post.check_overridden": _("签发人强制提交"),
    "post.submitted": _("提交审核"),
    "post.approved": _("审核通过"),
    "post.rejected": _("审核退回"),
    "post.released": _("签发发布"),
    "post.released_on_schedule": _("定时签发发布"),
    "post.fast_tracked": _("快速通道发布"),
    "post.withdrawal_requested": _("申请撤稿"),
    "post.withdrawn": _("撤稿"),
    "review.approved": _("复核通过"),
    "review.rejected": _("复核退回"),
    "review.reminded": _("审核到期提醒"),
    "review.escalated": _("审核超时升级"),
    "review_chain.set": _("设置审核链"),
    "check.save": _("保存时检查"),
    "check.submit": _("提交时检查"),
    "check.api": _("手动检查"),
    "check.override": _("强制提交时检查"),
    "campaign.created": _("新建联动专题"),
    "lexicon.imported": _("导入检查词库"),
    "leaders.added": _("新增领导人名录"),
    # publishing
    "publication.queued": _("排队发布"),
    "publication.published": _("已发布到平台"),
    "publication.failed": _("发布失败"),
    "publication.unknown": _("发布结果未知"),
    "publication.retry": _("重新发布"),
    "publication.callback": _("平台回调"),
    "publication.withdrawn": _("已从平台撤回"),
    "publication.withdraw_failed": _("撤回失败"),
    "publication.deleted_on_platform": _("已在平台上被删除"),
    # inbox
    "inbox.received": _("收到"),
    "inbox.collected": _("采集互动"),
    "inbox.entered": _("人工录入"),
    "inbox.deadlines_set": _("设定办理期限"),
    "inbox.acknowledged": _("受理"),
    "inbox.assigned": _("分派"),
    "inbox.transferred": _("转办"),
    "inbox.transfer_requested": _("申请跨辖区转办"),
    "inbox.transfer_accepted": _("转办已接收"),
    "inbox.transfer_declined": _("转办被退回"),
    "inbox.marked_complex": _("标记为复杂事项"),
    "inbox.unmarked_complex": _("取消复杂事项"),
    "inbox.reminded": _("到期提醒"),
    "inbox.overdue": _("已逾期"),
    "inbox.escalated": _("逾期升级至单位管理员"),
    "inbox.reply_drafted": _("起草答复"),
    "inbox.reply_done": _("答复已发送"),
    "inbox.reply_failed": _("答复发送失败"),
    "inbox.reply_unknown": _("答复发送结果未知"),
    "inbox.reply_retry": _("重新发送答复"),
    "inbox.answered": _("已答复"),
    "inbox.moderation_requested": _("申请处置评论"),
    "inbox.moderated": _("评论处置已审定"),
    "inbox.moderation_done": _("评论处置已执行"),
    "inbox.moderation_failed": _("评论处置失败"),
    "inbox.moderation_unknown": _("评论处置结果未知"),
    "inbox.moderation_retry": _("重新执行评论处置"),
    "inbox.qa_published": _("公开为问答"),
    "inbox.qa_refused": _("不予公开为问答"),
    "inbox.rule_created": _("新建分办规则"),
    "inbox.rule_changed": _("修改分办规则"),
    "inbox.rule_deleted": _("删除分办规则"),
    # oversight
    "finding.recorded": _("登记监管发现"),
    "finding.confirmed": _("确认监管发现"),
    "finding.dismissed": _("排除监管发现"),
    "case.opened": _("立案问责"),
    "case.responded": _("提交整改答复"),
    "case.returned": _("退回整改"),
    "case.closed": _("结案"),
    "spotcheck.drawn": _("抽取抽查样本"),
    "spotcheck.result_recorded": _("登记抽查结果"),
    "scheme.versioned": _("修订考核方案"),
    "compliance.silence_warned": _("长期未更新提醒"),
    "report.exported": _("导出报表"),
    "report.refused": _("拒绝越权报表请求"),
    "export.requested": _("申请导出"),
    "export.expired": _("导出文件到期删除"),
    # Wagtail's page log (every action Wagtail registers)
    "wagtail.create": _("创建页面"),
    "wagtail.edit": _("保存草稿"),
    "wagtail.delete": _("删除页面"),
    "wagtail.publish": _("发布"),
    "wagtail.publish.scheduled": _("定时发布已生效"),
    "wagtail.publish.schedule": _("设定定时发布"),
    "wagtail.schedule.cancel": _("取消定时发布"),
    "wagtail.unpublish": _("取消发布"),
    "wagtail.unpublish.scheduled": _("定时取消发布已生效"),
    "wagtail.lock": _("锁定"),
    "wagtail.unlock": _("解除锁定"),
    "wagtail.moderation.approve": _("审核通过（旧版审核）"),
    "wagtail.moderation.reject": _("审核退回（旧版审核）"),
    "wagtail.rename": _("重命名"),
    "wagtail.revert": _("恢复到历史版本"),
    "wagtail.copy": _("复制页面"),
    "wagtail.copy_for_translation": _("复制以便翻译"),
    "wagtail.create_alias": _("创建别名"),
    "wagtail.convert_alias": _("别名转为普通页面"),
    "wagtail.move": _("移动"),
    "wagtail.reorder": _("调整排序"),
    "wagtail.view_restriction.create": _("添加访问限制"),
    "wagtail.view_restriction.edit": _("修改访问限制"),
    "wagtail.view_restriction.delete": _("移除访问限制"),
    "wagtail.comments.create": _("添加批注"),
    "wagtail.comments.edit": _("修改批注"),
    "wagtail.comments.delete": _("删除批注"),
    "wagtail.comments.resolve": _("批注已解决"),
    "wagtail.comments.create_reply": _("回复批注"),
    "wagtail.comments.edit_reply": _("修改批注回复"),
    "wagtail.comments.delete_reply": _("删除批注回复"),
    "wagtail.workflow.start": _("启动审核流程"),
    "wagtail.workflow.approve": _("流程步骤通过"),
    "wagtail.workflow.reject": _("流程步骤退回"),
    "wagtail.workflow.resume": _("恢复审核流程"),
    "wagtail.workflow.cancel": _("取消审核流程"),
    "wagtail.apitoken.create": _("创建 API 令牌"),
    "wagtail.apitoken.revoke": _("撤销 API 令牌"),
}

SOURCE_LABELS = {
    "ledger": _("审计台账"),
    "history": _("变更记录"),
    "page_log": _("页面日志"),
    "filing": _("备案"),
    "checks": _("内容检查"),
}


def action_label(action: str) -> str:
    """The Chinese label (in the active language) of a history entry's action; the key itself
    when there is none (never hidden)."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def source_label(source: str) -> str:
    label = SOURCE_LABELS.get(source)
    return str(label) if label is not None else source


def field_label(model, name: str) -> str:
    """The verbose name of `model`'s field `name` (a diff's key or a ledger datum named after
    one), else the name as given. `model` may be None."""
    if model is None:
        return name
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        if name.endswith("_id"):
            return field_label(model, name.removesuffix("_id"))
        return name
    verbose = getattr(field, "verbose_name", None)
    # Django's default verbose name is the attribute with spaces: no better than the name.
    if not verbose or str(verbose) == name.replace("_", " "):
        return name
    return str(verbose)
