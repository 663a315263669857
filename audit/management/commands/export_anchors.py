import json
from pathlib import Path

from django.core.management.base import BaseCommand

from audit import ledger


class Command(BaseCommand):
    help = (
        "Write every sealed anchor as JSON [{day, seq, count, head_hash, signature}] for the supervising "
        "jurisdiction to keep; `verify_ledger --anchors FILE` checks the ledger against such a copy."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="File to write (default: standard output).")

    def handle(self, *args, output, **options):
        text = json.dumps([anchor.as_dict() for anchor in ledger.anchors()], indent=2)
        if output:
            Path(output).write_text(text + "\n")
        else:
            self.stdout.write(text)
