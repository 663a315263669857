"""Wagtail admin screens of the publishing pipeline: `publications` (发布问题, attempt logs, retry) and
`weibo_auth` (微博授权), under one URL namespace declared in `viewset`. Registered in
`publishing.wagtail_hooks`; imports nothing (see `govcms.admin`).
"""
