from django.core.management.base import BaseCommand, CommandError

from audit.roles import secure_ledger


class Command(BaseCommand):
    help = (
        "PostgreSQL: make the owner role own the ledger's tables and trigger functions and leave the app role "
        "only SELECT and INSERT on them. Run as the owner (or a superuser), after migrations and after any "
        "blanket grant, or with --grant-app to make that grant here."
    )

    def add_arguments(self, parser):
        parser.add_argument("--app-role", required=True, help="The role the application connects as.")
        parser.add_argument("--owner-role", help="The role to own the ledger (default: the connected role).")
        parser.add_argument(
            "--grant-app",
            action="store_true",
            help="First grant the app role SELECT, INSERT, UPDATE, DELETE on every table and USAGE, SELECT on "
            "every sequence of the ledger's schema (never TRUNCATE); the ledger is then narrowed as usual.",
        )
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, app_role, owner_role, grant_app, database, **options):
        try:
            owner = secure_ledger(app_role=app_role, owner_role=owner_role, grant_app=grant_app, using=database)
        except ValueError as error:
            raise CommandError(str(error)) from error
        granted = "; every other table granted to it" if grant_app else ""
        self.stdout.write(f"ledger owned by {owner}; {app_role} may only SELECT and INSERT{granted}")
