"""Copy the chinesecalendar package's holidays into the editable calendar, and optionally
estimate a year the package does not know yet from the lunar calendar."""

from django.core.management.base import BaseCommand, CommandError

from govcms.services import calendar_estimate_year, calendar_seed_from_package
from govcms.workdays import package_years


class Command(BaseCommand):
    help = "Seed the working-day calendar (节假日与调休) from the chinesecalendar package."

    def add_arguments(self, parser):
        parser.add_argument(
            "--estimate", type=int, action="append", default=[], help="also store estimated holidays of YEAR"
        )

    def handle(self, *args, **options):
        created = calendar_seed_from_package(actor=None)
        self.stdout.write(f"package years {package_years().start}–{package_years().stop - 1}: {created} new days")
        for year in options["estimate"]:
            if year in package_years():
                raise CommandError(f"{year} is in the package's data: nothing to estimate")
            self.stdout.write(f"{year}: {calendar_estimate_year(actor=None, year=year)} estimated days")
