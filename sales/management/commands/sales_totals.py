"""Check (or rebuild) the monthly sales totals against the credits."""

from django.core.management.base import BaseCommand, CommandError

from sales.records import selectors, services


class Command(BaseCommand):
    help = (
        "Compare the monthly sales totals with the credits they sum (--check, the "
        "default) or recompute them from the credits (--rebuild)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute every total")

    def handle(self, *args, rebuild=False, **options):
        if rebuild:
            count = services.totals_rebuild()
            self.stdout.write(f"rebuilt {count} monthly totals from the credits")
            return
        expected = selectors.month_totals_from_credits()
        stored = selectors.month_totals_stored()
        wrong = sorted(set(expected) | set(stored), key=str)
        wrong = [k for k in wrong if expected.get(k) != stored.get(k)]
        if wrong:
            for key in wrong[:20]:
                self.stderr.write(
                    f"person {key[0]}, team {key[1]}, {key[2]:%Y-%m}: "
                    f"stored {stored.get(key)}, credits {expected.get(key)}"
                )
            raise CommandError(f"{len(wrong)} monthly totals differ from the credits")
        self.stdout.write(f"{len(stored)} monthly totals match the credits")
