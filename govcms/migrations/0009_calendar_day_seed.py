"""Seed the working-day calendar with the chinesecalendar package's years (source "package").

No ledger event: a migration is the installation itself; later seeding runs through
`manage.py seed_calendar`, which records one.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from govcms.workdays import package_days

    CalendarDay = apps.get_model("govcms", "CalendarDay")
    have = set(CalendarDay.objects.filter(jurisdiction__isnull=True).values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        CalendarDay(date=day, kind=kind, name=name, source="package")
        for day, kind, name in package_days()
        if day not in have
    )


class Migration(migrations.Migration):
    dependencies = [("govcms", "0008_calendar_day")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
