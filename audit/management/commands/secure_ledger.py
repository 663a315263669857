from django.core.management.base import BaseCommand, CommandError

from audit.roles import secure_ledger


class Command(BaseCommand):
    help = (
        "PostgreSQL: make the owner role own the ledger's tables and trigger functions and leave the app role "
        "only SELECT and INSERT on them. Run as the owner (or a superuser), after migrations and grants."
    )

    def add_arguments(self, parser):
        parser.add_argument("--app-role", required=True, help="The role the application connects as.")
        parser.add_argument("--owner-role", help="The role to own the ledger (default: the connected role).")
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, app_role, owner_role, database, **options):
        try:
            owner = secure_ledger(app_role=app_role, owner_role=owner_role, using=database)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"ledger owned by {owner}; {app_role} may only SELECT and INSERT")
