"""Admin integration of the publishing pipeline: 发布问题 (with the problem count in the menu),
attempt logs, retries, and the 微博授权 button on Weibo accounts (views in publishing.admin)."""

from wagtail import hooks

from .admin.viewset import PublishingAdminViewSet
from .admin.weibo_auth import weibo_header_buttons


@hooks.register("register_admin_viewset")
def register_publishing_admin_viewset():
    return PublishingAdminViewSet()


@hooks.register("register_page_header_buttons")
def weibo_authorise_header_button(page, user, view_name, next_url=None):
    return weibo_header_buttons(page=page, user=user)
