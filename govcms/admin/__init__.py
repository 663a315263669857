"""Wagtail admin screens of the organisation core, one module per screen: `assignments` (岗位分配),
`accounts` (账号状态变更, 凭据, 履历), `logins` (登录与令牌, and the admin login form); `base` and
`history` hold what every app's screens share. Registered in `govcms.wagtail_hooks`.

Imports nothing on purpose: django.contrib.admin is not installed, and were it ever installed its
autodiscovery would import `<app>.admin`; an empty package keeps that free of side effects.
"""
