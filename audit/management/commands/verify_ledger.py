import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit import ledger


class Command(BaseCommand):
    help = (
        "Recompute the audit ledger's keyed chain and check it against the signed daily anchors; print the "
        "anchors and every break with its kind; exit 1 if anything is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows fetched per round trip.")
        parser.add_argument(
            "--anchors",
            help="JSON file of anchors exported earlier (export_anchors), e.g. the copy the supervising "
            "jurisdiction keeps: the database must still hold and match every one of them.",
        )

    def handle(self, *args, batch_size, anchors, **options):
        exported = _read_anchors(Path(anchors)) if anchors else []
        for anchor in ledger.anchors():
            self.stdout.write(
                f"anchor {anchor.day} seq {anchor.seq} count {anchor.count} head {anchor.head_hash}"
                f" signature {anchor.signature}"
            )
        result = ledger.verify(batch_size=batch_size, exported=exported)
        for problem in result.problems:
            where = [f"at seq {problem.seq}"] if problem.seq is not None else []
            where += [f"anchor of {problem.day}"] if problem.day is not None else []
            self.stdout.write(f"{problem.kind} {', '.join(where)}")
        if not result.ok:
            count = len(result.problems)
            at = f" at seq {result.first_bad_seq}" if result.first_bad_seq is not None else ""
            raise CommandError(
                f"BROKEN{at} ({result.events_checked} events checked, {count} problem{'s' if count > 1 else ''})"
            )
        self.stdout.write(f"ok: {result.events_checked} events checked, {result.anchors_checked} anchors checked")


def _read_anchors(path: Path) -> list[ledger.Anchor]:
    try:
        return [ledger.Anchor.from_dict(raw) for raw in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise CommandError(f"{path}: not an anchors export ({error})") from error
