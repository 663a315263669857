"""Safe cells for every spreadsheet the admin exports (CSV and XLSX).

Wagtail's reports (site history, workflows, locked and aging pages ...) export text that users
typed: page titles, user names, comments. A cell starting with `=`, `+`, `-`, `@` (or a tab or
carriage return) is read as a formula by Excel and WPS, so it is escaped with a leading
apostrophe (formula injection); control characters that XLSX cannot hold are replaced, so one
stored stray character does not break the export for everybody. Times are written in Beijing
time, as the screens show them. Our own reports are written by `oversight.documents` (the one
writer of CSV, XLSX and PDF files), through `spreadsheet_cell`.
"""

import logging
import re
from datetime import datetime

from django.utils import timezone
from wagtail.admin.views.mixins import SpreadsheetExportMixin

logger = logging.getLogger(__name__)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What the XLSX format cannot hold (openpyxl refuses it); tab, LF and CR stay.
UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def spreadsheet_cell(value):
    """The value as it may be written to a CSV or XLSX cell: text is made inert, anything else
    (numbers, dates) is returned unchanged."""
    if not isinstance(value, str):
        return value
    value = UNWRITABLE.sub("\ufffd", value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


class SafeSpreadsheetExportMixin:
    """Put before a Wagtail `SpreadsheetExportMixin` view: every exported cell goes through
    `spreadsheet_cell`, after Wagtail's own formatting."""

    def preprocess_field_value(self, field, value, export_format):
        if isinstance(value, datetime) and timezone.is_aware(value):
            # In Beijing time, as on screen (Wagtail writes UTC): an auditor reads the file as is.
            value = timezone.localtime(value)
            if export_format == SpreadsheetExportMixin.FORMAT_XLSX:
                value = value.replace(tzinfo=None)  # XLSX cells hold no time zone
        return spreadsheet_cell(super().preprocess_field_value(field, value, export_format))


def with_safe_cells(view_class: type) -> type:
    """`view_class` (a Wagtail `SpreadsheetExportMixin` view) exporting safe cells."""
    if not issubclass(view_class, SpreadsheetExportMixin):
        raise TypeError(f"{view_class.__name__} exports no spreadsheet")
    return type(view_class.__name__, (SafeSpreadsheetExportMixin, view_class), {"__module__": view_class.__module__})
