"""Class attributes that name another module's class by dotted path instead of importing it.

Wagtail reads a page model's `base_form_class` from the model, but the form needs what is built on
the models (services, selectors, guards). Importing the form into models.py closed a cycle
models → forms → services → models, hidden by imports inside functions; naming it by path, as
Django names models in relations ("app.Model"), keeps the dependencies pointing one way: forms
import models, models import no form.
"""

from django.utils.module_loading import import_string


class ClassAt:
    """A class attribute resolving to the class at `dotted_path` when it is read (after the apps
    are loaded: Wagtail reads `base_form_class` when it first builds an editor). Python caches the
    import, so each read is a dictionary lookup."""

    def __init__(self, dotted_path: str):
        self.dotted_path = dotted_path

    def __get__(self, instance, owner) -> type:
        return import_string(self.dotted_path)
