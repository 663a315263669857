"""The form Wagtail shows for a review task's "reject" action (`ReviewTask.get_form_for_action`)."""

from django import forms
from django.utils.translation import gettext_lazy
from wagtail.forms import TaskStateCommentForm


class RejectCommentForm(TaskStateCommentForm):
    """Sending a post back needs a written reason (the regulations require it)."""

    comment = forms.CharField(label=gettext_lazy("退回意见"), required=True, widget=forms.Textarea(attrs={"rows": 3}))
