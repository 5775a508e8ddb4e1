from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.jobs import use_job_limits
from donations import bankfiles, statements


class Command(BaseCommand):
    help = (
        "Import a bank statement (CAMT.053, MT940 or CSV) for the account "
        "campaigns are paid into, and match its credits with pledges. Prints one "
        "line per entry. With --confirm, records the matched entries as the "
        "desk's review would; doubtful and unmatched ones wait for the desk."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The statement file the bank exported.")
        parser.add_argument(
            "--account",
            default="",
            help="The account's IBAN: needed for CSV, which does not say it "
            "(a CSV uses the column mapping chosen once on the desk).",
        )
        parser.add_argument(
            "--confirm",
            action="store_true",
            help="Record the matched entries (within 10 %% of the pledge).",
        )

    def handle(self, *args, file: str, account: str, confirm: bool, **options):
        use_job_limits()
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        if path.stat().st_size > bankfiles.MAX_FILE_BYTES:
            raise CommandError(
                f"{file} is larger than {bankfiles.MAX_FILE_BYTES // 2**20} MB: "
                "export a shorter period."
            )
        try:
            result = statements.import_statement(
                data=path.read_bytes(), account=account, filename=path.name
            )
        except (bankfiles.StatementFileError, statements.StatementRefused) as error:
            raise CommandError(error.message) from error
        review = statements.review(result.statement, None)
        self._print_entries(review, result)
        if confirm:
            self._confirm(result.statement, review)

    def _print_entries(self, review, result) -> None:
        for verdict in ("matched", "doubtful", "unmatched", "done"):
            for row in getattr(review, verdict):
                self.stdout.write(self._line(verdict, row))
        for entry in result.known_entries:
            self.stdout.write(
                f"{'known':<9} {entry.booked_on.isoformat()} {entry.amount:>12} "
                f"{entry.currency} (already imported)"
            )
        self.stdout.write(
            f"{result.new} new entries ({len(review.matched)} matched, "
            f"{len(review.doubtful)} doubtful, {len(review.unmatched)} unmatched), "
            f"{result.known} already known, {result.skipped} not money in "
            f"(debits, reversals, pending, other currency)."
        )

    @staticmethod
    def _line(verdict: str, row) -> str:
        entry = row.entry
        code = row.pledge.reference if row.pledge is not None else "-"
        why = f"  ({'; '.join(row.reasons)})" if row.reasons else ""
        return (
            f"{verdict:<9} {entry.booked_on.isoformat()} {entry.amount.amount:>12} "
            f"{entry.amount.currency.code} {code}{why}"
        )

    def _confirm(self, statement, review) -> None:
        receipts = {row.entry.pk: row.seen for row in review.matched}
        done = statements.confirm(
            statement=statement, user=None, receipts=receipts, confirmed=False
        )
        for entry, message in done.skipped:
            self.stdout.write(f"not recorded {entry.label}: {message}")
        self.stdout.write(f"Recorded {done.received} matched entries.")
