"""Agency collections: created with the agency, mirroring the tree; the data migration gives
agencies created before it theirs, and role groups their image permissions."""

import importlib

import pytest
from django.apps import apps
from wagtail.models import Collection, GroupCollectionPermission

from govcms.models import AgencyCollection

pytestmark = pytest.mark.django_db
migration = importlib.import_module("govcms.migrations.0006_agency_collections_for_existing_agencies")


def test_collections_mirror_the_agency_tree(org):
    county = AgencyCollection.objects.get(agency=org.county_a1).collection
    city = AgencyCollection.objects.get(agency=org.city_a).collection
    province = AgencyCollection.objects.get(agency=org.province).collection
    assert county.get_parent() == city and city.get_parent() == province
    assert province.get_parent() == Collection.get_first_root_node()
    assert county.name == "甲一县"


def test_data_migration_backfills_collections_and_group_permissions(org, staff):
    editor_groups = staff["editor"].groups.filter(name__startswith="govcms:editor:")
    AgencyCollection.objects.all().delete()
    GroupCollectionPermission.objects.all().delete()
    Collection.objects.filter(depth__gt=1).delete()
    Collection.objects.update(numchild=0)

    migration.forwards(apps, None)

    links = {link.agency_id: link.collection for link in AgencyCollection.objects.select_related("collection")}
    assert len(links) == 6
    assert links[org.county_a1.pk].path.startswith(links[org.city_a.pk].path)
    assert Collection.objects.get(pk=links[org.city_a.pk].pk).get_children().count() == 2, "numchild kept right"
    granted = GroupCollectionPermission.objects.filter(group__in=editor_groups)
    assert {p.permission.codename for p in granted} == {"add_image", "change_image", "choose_image"}
    assert {p.collection_id for p in granted} == {links[org.county_a1.pk].pk}
