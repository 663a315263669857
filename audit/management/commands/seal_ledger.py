from datetime import date

from django.core.management.base import BaseCommand, CommandError

from audit import ledger


class Command(BaseCommand):
    help = "Seal the ledger's head for every finished day not sealed yet (what the hourly beat task does)."

    def add_arguments(self, parser):
        parser.add_argument("--until", help="Last day to seal, YYYY-MM-DD (default and latest: yesterday).")

    def handle(self, *args, until, **options):
        try:
            last_day = date.fromisoformat(until) if until else None
        except ValueError as error:
            raise CommandError(f"--until: {error}") from error
        sealed = ledger.seal(until=last_day)
        for anchor in sealed:
            self.stdout.write(f"sealed {anchor.day} seq {anchor.seq} count {anchor.count} head {anchor.head_hash}")
        if not sealed:
            self.stdout.write("nothing to seal")
