"""Wagtail admin screens of the editorial area, one module per screen: `reviews` (待我审核), `lexicon`
(词库导入), `campaigns` (联动专题), `posts` (a post's 履历 and header buttons), `readonly` (the
read-only post views). Registered in `editorial.wagtail_hooks`; imports nothing (see `govcms.admin`).
"""
