"""Give every existing agency its image collection (mirroring the agency tree) and every existing
derived role group its image permissions on that collection, as `govcms.services` now does when
an agency or a group is created. Historical models have no treebeard methods, so the collection
paths are computed here (steps of four base-36 digits, as treebeard's MP_Node does)."""

from django.db import migrations
from django.db.models import F

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4
# A frozen copy of govcms.services.ROLE_IMAGE_ACTIONS at the time of this migration.
ROLE_IMAGE_ACTIONS = {
    "editor": ("add", "change", "choose"),
    "reviewer": ("add", "change", "choose"),
    "signer": ("add", "change", "choose"),
    "agency_admin": ("add", "change", "delete", "choose"),
    "auditor": (),
    "system_admin": ("add", "change", "delete", "choose"),
}


def _step(number):
    digits = ""
    while number:
        number, rest = divmod(number, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    return digits.rjust(STEPLEN, "0")


def _add_child(Collection, parent, name):
    last = (
        Collection.objects.filter(path__startswith=parent.path, depth=parent.depth + 1).order_by("-path").first()
    )
    index = int(last.path[-STEPLEN:], len(ALPHABET)) + 1 if last else 1
    child = Collection.objects.create(
        name=name, path=parent.path + _step(index), depth=parent.depth + 1, numchild=0
    )
    Collection.objects.filter(pk=parent.pk).update(numchild=F("numchild") + 1)
    return child


def forwards(apps, schema_editor):
    Collection = apps.get_model("wagtailcore", "Collection")
    Page = apps.get_model("wagtailcore", "Page")
    AgencyPage = apps.get_model("govcms", "AgencyPage")
    AgencyCollection = apps.get_model("govcms", "AgencyCollection")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    agencies = list(AgencyPage.objects.order_by("path"))
    if not agencies:
        return
    root = Collection.objects.filter(depth=1).order_by("path").first()
    if root is None:
        root = Collection.objects.create(name="Root", path=_step(1), depth=1, numchild=0)
    by_path = {}
    for agency in agencies:
        parent = by_path.get(agency.path[:-STEPLEN], root)
        by_path[agency.path] = _add_child(Collection, parent, agency.title[:255])
        AgencyCollection.objects.create(agency_id=agency.pk, collection=by_path[agency.path])

    for group in Group.objects.filter(name__startswith="govcms:"):
        _prefix, role, page_id = group.name.split(":")
        path = Page.objects.filter(pk=page_id).values_list("path", flat=True).first()
        if path is None or role not in ROLE_IMAGE_ACTIONS:
            continue
        collection = by_path.get(path) or by_path.get(path[:-STEPLEN]) or root
        for permission in Permission.objects.filter(
            content_type__app_label="wagtailimages",
            codename__in=[f"{action}_image" for action in ROLE_IMAGE_ACTIONS[role]],
        ):
            GroupCollectionPermission.objects.get_or_create(group=group, collection=collection, permission=permission)


class Migration(migrations.Migration):
    dependencies = [
        ("govcms", "0005_agency_collection"),
        ("wagtailimages", "0027_image_description"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
