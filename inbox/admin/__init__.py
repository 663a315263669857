"""Wagtail admin screens of the interaction inbox: `items` (互动事项: listing, bulk assign, item
page and its actions), `transfers` (跨辖区转办), `configuration` (分办规则, 办理时限), under one
URL namespace declared in `viewset`. Registered in `inbox.wagtail_hooks`; imports nothing."""
