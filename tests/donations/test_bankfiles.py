"""Statement files become plain entries: CAMT.053 (v02 to v08 and newer), MT940
(the mt-940 package's own bank fixtures and Polish and German files) and CSV
exports (Polish, Lithuanian, Revolut, Wise). Hostile or broken files are refused
with a clear message and nothing read from them.

The fixtures carry the noise real transfers have: "Ref: ", lower case, a
reference split over two lines, a typo, a fee-reduced amount, two partial
transfers, a debit and a reversal (statement_files/README.md lists them).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from django.test import SimpleTestCase

from donations.bankfiles import (
    MAX_FILE_BYTES,
    BankEntry,
    CsvMapping,
    StatementFileError,
    csv_columns,
    detect_format,
    guess_csv_mapping,
    read_statement,
)

FILES = Path(__file__).parent / "statement_files"
PL_IBAN = "PL61109010140000071219812874"
LT_IBAN = "LT717300010123456789"
DE_IBAN = "DE89370400440532013000"


def data(name: str) -> bytes:
    return (FILES / name).read_bytes()


def read(name: str, **kwargs):
    return read_statement(data(name), **kwargs)


def entry(
    booked_on: str,
    amount: str,
    currency: str,
    counterparty: str,
    title: str,
    reference: str,
    *,
    reversal: bool = False,
    booked: bool = True,
) -> BankEntry:
    """An expected entry; its direction follows from the amount's sign."""
    return BankEntry(
        booked_on=date.fromisoformat(booked_on),
        amount=Decimal(amount),
        currency=currency,
        counterparty=counterparty,
        title=title,
        bank_reference=reference,
        is_credit=not amount.startswith("-"),
        is_reversal=reversal,
        is_booked=booked,
    )


def compact(text: str) -> str:
    """The title as the matcher reads it: without spaces and line breaks."""
    return "".join(text.split())


class RefusalTestCase(SimpleTestCase):
    def assertRefused(self, code: str, content: bytes, **kwargs) -> str:
        with self.assertRaises(StatementFileError) as caught:
            read_statement(content, **kwargs)
        self.assertEqual(caught.exception.code, code, caught.exception.message)
        self.assertEqual(str(caught.exception), caught.exception.message)
        return caught.exception.message


class Camt053Tests(RefusalTestCase):
    def test_it_reads_a_v02_statement_with_every_kind_of_entry(self):
        statement = read("camt/camt053_v02_pl.xml")
        self.assertEqual(
            (statement.format, statement.iban, statement.currency),
            ("camt053", PL_IBAN, "PLN"),
        )
        self.assertEqual(
            statement.entries,
            [
                entry(
                    "2025-11-03",
                    "150.00",
                    "PLN",
                    "ANNA NOWAK",
                    "Ref: H88PMGW3 darowizna",
                    "251103/ELX/000101",
                ),
                entry(
                    "2025-11-04",
                    "75.00",
                    "PLN",
                    "ZOFIA KOWALCZYK-ZIELIŃSKA",
                    "Darowizna kod R4TW\n9ZHB dziękuję",
                    "251104/ELX/000102",
                ),
                entry(
                    "2025-11-05",
                    "30.00",
                    "PLN",
                    "PIOTR ZAJĄC",
                    "V9GE5XQC część 1",
                    "251105/ZBI/000007/1",
                ),
                entry(
                    "2025-11-05",
                    "20.00",
                    "PLN",
                    "ŁUKASZ WIŚNIEWSKI",
                    "wpłata k7qx2mnp dla Tomka",
                    "251105/ZBI/000007/2",
                ),
                entry(
                    "2025-11-05",
                    "98.50",
                    "PLN",
                    "MARIA SCHMIDT",
                    "P2DK6SJA",
                    "251105/SWF/000003",
                ),
                entry(
                    "2025-11-06",
                    "-60.00",
                    "PLN",
                    "ANNA NOWAK",
                    "Zwrot nadpłaty H88PMGW3",
                    "251106/ELX/000201",
                ),
                entry(
                    "2025-11-07",
                    "-40.00",
                    "PLN",
                    "ŁUKASZ WIŚNIEWSKI",
                    "Zwrot przelewu k7qx2mnp",
                    "251107/RET/000009",
                    reversal=True,
                ),
                entry(
                    "2025-11-07",
                    "20.00",
                    "PLN",
                    "PIOTR ZAJĄC",
                    "V9GE5XQC część 2",
                    "",
                    booked=False,
                ),
                entry(
                    "2025-11-07",
                    "25.00",
                    "PLN",
                    "",
                    "PRZELEW PRZYCHODZĄCY JAN KOWALSKI ZBIÓRKA M3NC8YRF",
                    "251107/ELX/000110",
                ),
            ],
        )

    def test_a_batch_entry_becomes_one_entry_per_transaction(self):
        batch = [
            e
            for e in read("camt/camt053_v02_pl.xml").entries
            if e.bank_reference.startswith("251105/ZBI/")
        ]
        self.assertEqual([e.amount for e in batch], [Decimal(30), Decimal(20)])
        self.assertEqual(sum(e.amount for e in batch), Decimal("50.00"))

    def test_a_fee_reduced_transfer_keeps_the_amount_that_arrived(self):
        fee_reduced = read("camt/camt053_v02_pl.xml").entries[4]
        self.assertEqual(fee_reduced.amount, Decimal("98.50"))  # 100.00 was sent

    def test_a_reference_in_two_unstructured_lines_is_found_without_spaces(self):
        split = read("camt/camt053_v02_pl.xml").entries[1]
        self.assertIn("R4TW9ZHB", compact(split.title))

    def test_it_merges_two_statements_of_one_account(self):
        statement = read("camt/camt053_v04_lt.xml")
        self.assertEqual((statement.iban, statement.currency), (LT_IBAN, "EUR"))
        self.assertEqual(
            statement.entries,
            [
                entry(
                    "2025-11-03",
                    "50.00",
                    "EUR",
                    "Jonas Jonaitis",
                    "H88PMGW3",
                    "2025110300451287",
                ),
                entry(
                    "2025-11-03",
                    "20.00",
                    "EUR",
                    "Rūta Petrauskienė",
                    "Parama, kodas: r4tw-9zhb",
                    "2025110300452290",
                ),
                entry(
                    "2025-11-04",
                    "30.00",
                    "EUR",
                    "Jonas Jonaitis",
                    "V9GE5XQC",
                    "2025110400013377",
                ),
                entry(
                    "2025-11-04",
                    "-1.20",
                    "EUR",
                    "",
                    "Mokestis už mokėjimo pervedimą",
                    "2025110400013400",
                ),
            ],
        )

    def test_v06_status_codes_and_the_ultimate_debtor(self):
        statement = read("camt/camt053_v06_de.xml")
        self.assertEqual((statement.iban, statement.currency), (DE_IBAN, "EUR"))
        self.assertEqual(
            statement.entries,
            [
                entry(
                    "2025-11-03",
                    "10.00",
                    "EUR",
                    "Max Mustermann",
                    "Spende Ref: K7QX2MNP",
                    "2025110312345678",
                ),
                entry(
                    "2025-11-03",
                    "15.00",
                    "EUR",
                    "Erika Mustermann",
                    "M3NC8YRT",
                    "",
                    booked=False,
                ),
            ],
        )

    def test_v08_party_names_booking_times_and_batch_references(self):
        statement = read("camt/camt053_v08_eu.xml")
        # The IBAN sits in Acct/Id/Othr/Id and the currency only in Bal/Amt.
        self.assertEqual((statement.iban, statement.currency), (LT_IBAN, "EUR"))
        self.assertEqual(
            statement.entries,
            [
                entry(
                    "2025-11-07",
                    "100.00",
                    "EUR",
                    "Ona Kazlauskienė",
                    "Ref: H88PMGW3",
                    "LT-20251107-000001",
                ),
                entry(
                    "2025-11-07",
                    "50.00",
                    "EUR",
                    "Petras Petraitis",
                    "P2DK6SJA\nparama vaikams",
                    "LT-20251107-000002-A",
                ),
                entry(
                    "2025-11-07",
                    "30.00",
                    "EUR",
                    "Jonas Jonaitis",
                    "V9GE5XQC antra dalis",
                    "LT-20251107-000002-B",
                ),
                # A returned payment of ours: money back in, from its creditor.
                entry(
                    "2025-11-07",
                    "12.00",
                    "EUR",
                    "UAB Spaustuvė",
                    "Grąžintas mokėjimas: sąskaita uždaryta",
                    "LT-20251107-000003",
                    reversal=True,
                ),
            ],
        )

    def test_it_refuses_statements_of_two_accounts_in_one_file(self):
        first, second = data("camt/camt053_v04_lt.xml").rsplit(LT_IBAN.encode(), 1)
        other = first + b"LT127044010987654321" + second
        message = self.assertRefused("several_accounts", other)
        self.assertIn("LT127044010987654321", message)

    def test_it_reads_newer_versions_and_documents_without_a_namespace(self):
        v02 = data("camt/camt053_v02_pl.xml")
        newer = v02.replace(b"camt.053.001.02", b"camt.053.001.13")
        bare = v02.replace(
            b' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"', b""
        )
        expected = read_statement(v02).entries
        self.assertEqual(read_statement(newer).entries, expected)
        self.assertEqual(read_statement(bare).entries, expected)

    def test_it_finds_the_document_inside_a_business_envelope(self):
        v08 = data("camt/camt053_v08_eu.xml").split(b"?>", 1)[1]
        envelope = (
            b'<?xml version="1.0" encoding="UTF-8"?><BizMsgEnvlp>'
            b'<AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02">'
            b"<MsgDefIdr>camt.053.001.08</MsgDefIdr></AppHdr>" + v08 + b"</BizMsgEnvlp>"
        )
        self.assertEqual(len(read_statement(envelope).entries), 4)

    def test_it_refuses_version_01(self):
        old = data("camt/camt053_v02_pl.xml").replace(
            b"camt.053.001.02", b"camt.053.001.01"
        )
        self.assertIn("001.01", self.assertRefused("unsupported_version", old))

    def test_it_refuses_other_iso_20022_messages(self):
        for name, root in [
            ("camt.052.001.08", b"<BkToCstmrAcctRpt/>"),
            ("camt.054.001.02", b"<BkToCstmrDbtCdtNtfctn/>"),
            ("pain.001.001.03", b"<CstmrCdtTrfInitn/>"),
        ]:
            with self.subTest(name):
                document = (
                    b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:'
                    b"tech:xsd:" + name.encode() + b'">' + root + b"</Document>"
                )
                message = self.assertRefused("not_a_statement", document)
                self.assertIn(name, message)
                self.assertIn("CAMT.053", message)

    def test_an_entry_without_a_readable_amount_or_date_is_a_broken_file(self):
        v02 = data("camt/camt053_v02_pl.xml")
        for broken in [
            v02.replace(b'<Amt Ccy="PLN">150.00</Amt>', b'<Amt Ccy="PLN">1S0</Amt>'),
            v02.replace(
                b"<Dt>2025-11-03</Dt></BookgDt>", b"<Dt>3.11.25</Dt></BookgDt>"
            ),
        ]:
            with self.subTest(broken[:0]):
                self.assertNotEqual(broken, v02)
                self.assertIn("Entry 1", self.assertRefused("broken_file", broken))


class Mt940Tests(RefusalTestCase):
    def test_it_reads_a_polish_bank_file_in_windows_1250(self):
        statement = read("mt940/zbor/pl_bank_cp1250.sta")
        self.assertEqual(
            (statement.format, statement.iban, statement.currency),
            ("mt940", PL_IBAN, "PLN"),
        )
        self.assertEqual(
            statement.entries,
            [
                entry(
                    "2025-11-03",
                    "150.00",
                    "PLN",
                    "ANNA NOWAK",
                    "Ref: H88PMGW3 darowizna\nna leczenie",
                    "PKO2511030001",
                ),
                # Without ~32/~33 the name is taken from ~27..~29.
                entry(
                    "2025-11-03",
                    "40.00",
                    "PLN",
                    "ŁUKASZ WIŚNIEWSKI UL. POLNA 3 00-001 WARSZAWA",
                    "wpłata k7qx2mnp dla Tomka",
                    "PKO2511030002",
                ),
                entry(
                    "2025-11-04",
                    "75.00",
                    "PLN",
                    "ZOFIA KOWALCZYK-ZIELIŃSKA I ANDRZEJ ZIELIŃSKI",
                    "Darowizna kod R4TW\n9ZHB dziękuję",
                    "PKO2511040003",
                ),
                entry(
                    "2025-11-04",
                    "25.00",
                    "PLN",
                    "JAN KOWALSKI",
                    "Zbiórka M3NC8YRF",
                    "PKO2511040004",
                ),
                entry(
                    "2025-11-05",
                    "98.50",
                    "PLN",
                    "MARIA SCHMIDT",
                    "P2DK6SJA\nPRZELEW ZAGRANICZNY, OPŁATA 1,50 PLN",
                    "",
                ),
                entry(
                    "2025-11-05",
                    "30.00",
                    "PLN",
                    "PIOTR ZAJĄC",
                    "V9GE5XQC część 1",
                    "PKO2511050006",
                ),
                entry(
                    "2025-11-06",
                    "20.00",
                    "PLN",
                    "PIOTR ZAJĄC",
                    "V9GE5XQC część 2",
                    "PKO2511060007",
                ),
                entry(
                    "2025-11-06",
                    "-60.00",
                    "PLN",
                    "ANNA NOWAK",
                    "Zwrot nadpłaty H88PMGW3",
                    "PKO2511060008",
                ),
                # RC: a credit returned, money going out.
                entry(
                    "2025-11-07",
                    "-40.00",
                    "PLN",
                    "ŁUKASZ WIŚNIEWSKI",
                    "Zwrot przelewu k7qx2mnp\nrachunek odbiorcy zamknięty",
                    "PKO2511070009",
                    reversal=True,
                ),
            ],
        )

    def test_a_reference_wrapped_onto_the_next_subfield_is_kept(self):
        split = read("mt940/zbor/pl_bank_cp1250.sta").entries[2]
        self.assertIn("R4TW9ZHB", compact(split.title))

    def test_a_file_in_no_windows_1250_reads_as_latin_1(self):
        content = (
            b":20:STARTUMS\n:25:DE89370400440532013000\n:60F:C251103EUR1,00\n"
            b":61:2511031103C5,00NTRFNONREF\n:86:166?20Caf\xe9 H88PMGW3 \x81\n"
            b":62F:C251103EUR6,00\n"
        )
        (found,) = read_statement(content).entries
        self.assertEqual(found.title, "Caf\u00e9 H88PMGW3 \x81")

    def test_it_reads_german_subfields_inside_swift_blocks(self):
        statement = read("mt940/zbor/de_bank_swift.sta")
        self.assertEqual((statement.iban, statement.currency), (DE_IBAN, "EUR"))
        self.assertEqual(
            statement.entries,
            [
                # ?32 and ?33 hold one name cut after 27 characters.
                entry(
                    "2025-11-03",
                    "50.00",
                    "EUR",
                    "MUSTERMANN, MAXIMILIAN FRIEDRICH",
                    "EREF+NOTPROVIDED\nSVWZ+Spende Ref: R4TW\n9ZHB danke",
                    "2511030012345",
                ),
                entry(
                    "2025-11-03",
                    "-12.00",
                    "EUR",
                    "",
                    "Kontofuehrung\nOktober 2025",
                    "2511030012346",
                ),
                # RD: a debit returned, money coming back in.
                entry(
                    "2025-11-04",
                    "8.40",
                    "EUR",
                    "MUSTER ENERGIE GMBH",
                    "EREF+Z-2025-0042\nSVWZ+Rueckgabe Lastschrift",
                    "2511040012347",
                    reversal=True,
                ),
            ],
        )
        self.assertIn("R4TW9ZHB", compact(statement.entries[0].title))

    def test_abn_amro_blocks_of_one_account_merge(self):
        statement = read("mt940/jejik/abnamro.sta")
        self.assertEqual((statement.iban, statement.currency), ("", "EUR"))
        self.assertEqual(len(statement.entries), 10)
        first = statement.entries[0]
        self.assertEqual(
            (first.booked_on, first.amount, first.is_credit, first.bank_reference),
            (date(2011, 5, 24), Decimal("-9"), False, ""),  # NONREF
        )
        self.assertTrue(first.title.startswith("GIRO   428428 KPN - DIGITENNE"))
        self.assertEqual(first.title.count("\n"), 2)  # the :86: lines are kept

    def test_ing_free_text_keeps_its_lines(self):
        entries = read("mt940/jejik/ing.sta").entries
        self.assertIn("10\u00ad06\u00ad2010", entries[2].title)  # UTF-8
        credits = [e for e in entries if e.is_credit]
        self.assertEqual([e.amount for e in credits], [Decimal("3.68"), Decimal("1")])
        self.assertTrue(
            credits[1].title.startswith(
                "0111111111 Hr S Marechal\nROSMALEN Hr S Marechal ROSMALEN\n"
            )
        )

    def test_knab_bank_references(self):
        entries = read("mt940/jejik/knab.sta").entries
        self.assertEqual(
            [(e.amount, e.bank_reference) for e in entries],
            [
                (Decimal("500"), "B4E07XM00J000023"),
                (Decimal("-7260"), "B4G29PGCVO7Q06US"),
                (Decimal("500"), "B4G29PGDCK1QFV3E"),
            ],
        )

    def test_triodos_subfields_marked_with_a_chevron(self):
        entries = read("mt940/jejik/triodos.sta").entries
        self.assertEqual(entries[1].title, "HUUR\nKANTOOR - FEB 2010")

    def test_an_account_number_that_is_no_valid_iban_gives_no_iban(self):
        self.assertEqual(read("mt940/jejik/rabobank-iban.sta").iban, "")

    def test_mbank_collect_names_the_payer(self):
        statement = read("mt940/mbank/mt940.sta")
        self.assertEqual(
            (statement.iban, statement.currency),
            ("PL29114010810000267002001002", "PLN"),
        )
        first = statement.entries[0]
        self.assertEqual(
            (first.amount, first.counterparty, first.bank_reference),
            (
                Decimal("0.01"),
                "JAN NOWAK UL. NIJAKA 1 M 2 31-234 KRAKOW",
                "MB170119012058",
            ),
        )
        self.assertIn("TYT.: PRZELEW SRODKOW", first.title)
        self.assertTrue(all(e.is_booked for e in statement.entries))

    def test_an_mt942_interim_report_is_not_booked(self):
        statement = read("mt940/mbank/mt942.sta")
        self.assertEqual(len(statement.entries), 3)
        self.assertFalse(any(e.is_booked for e in statement.entries))

    def test_german_name_subfields_and_purpose_lines(self):
        (debit,) = read("mt940/self-provided/details_60-63.sta").entries
        self.assertEqual(debit.counterparty, "Finanzamt Muenchen Abteilung Erhebung")
        self.assertTrue(debit.title.startswith("EREF+123/123/12345-----L110\n"))
        self.assertEqual(debit.amount, Decimal("-233.15"))

    def test_files_with_statements_of_several_accounts_are_refused(self):
        for name in ["mt940/betterplace/sepa_mt9401.sta", "mt940/cmxl/mt940.sta"]:
            with self.subTest(name):
                self.assertRefused("several_accounts", data(name))

    def test_a_statement_line_that_cannot_be_read_is_a_broken_file(self):
        content = (
            b":20:STARTUMS\n:25:" + PL_IBAN.encode() + b"\n:60F:C251103PLN1,00\n"
            b":61:XXXX\n:86:~20H88PMGW3\n:62F:C251103PLN1,00\n"
        )
        with self.assertLogs("mt940", level="ERROR"):
            self.assertRefused("broken_file", content)


class CsvTests(RefusalTestCase):
    def guessed(self, name: str) -> CsvMapping:
        mapping = guess_csv_mapping(*csv_columns(data(name)))
        self.assertIsNotNone(mapping)
        return mapping

    def test_a_polish_export_with_a_preamble_in_windows_1250(self):
        mapping = self.guessed("csv/pl_ing_cp1250.csv")
        self.assertEqual(
            mapping,
            CsvMapping(
                date="Data księgowania",
                amount="Kwota transakcji (waluta rachunku)",
                title="Tytuł",
                counterparty="Dane kontrahenta",
                currency="Waluta",
                delimiter=";",
                reference="Nr transakcji",
            ),
        )
        statement = read("csv/pl_ing_cp1250.csv", csv_mapping=mapping)
        self.assertEqual(
            (statement.format, statement.iban, statement.currency), ("csv", "", "")
        )
        # The card payment still blocked (no amount booked yet) is left out,
        # and so is the footer after the blank line.
        self.assertEqual(
            statement.entries,
            [
                entry(
                    "2025-11-03",
                    "150.00",
                    "PLN",
                    "ANNA NOWAK UL. LIPOWA 5 00-950 WARSZAWA",
                    "Ref: H88PMGW3 darowizna",
                    "202511030000101",
                ),
                entry(
                    "2025-11-03",
                    "40.00",
                    "PLN",
                    "ŁUKASZ WIŚNIEWSKI UL. POLNA 3 00-001 WARSZAWA",
                    "wpłata k7qx2mnp dla Tomka",
                    "202511030000102",
                ),
                entry(
                    "2025-11-04",
                    "75.00",
                    "PLN",
                    "ZOFIA KOWALCZYK-ZIELIŃSKA",
                    "Darowizna kod R4TW\n9ZHB dziękuję",
                    "202511040000103",
                ),
                entry(
                    "2025-11-04",
                    "25.00",
                    "PLN",
                    "JAN KOWALSKI",
                    "Zbiórka M3NC8YRF",
                    "202511040000104",
                ),
                entry(
                    "2025-11-05",
                    "98.50",
                    "PLN",
                    "MARIA SCHMIDT",
                    "P2DK6SJA",
                    "202511050000105",
                ),
                entry(
                    "2025-11-05",
                    "30.00",
                    "PLN",
                    "PIOTR ZAJĄC",
                    "V9GE5XQC część 1",
                    "202511050000106",
                ),
                entry(
                    "2025-11-06",
                    "20.00",
                    "PLN",
                    "PIOTR ZAJĄC",
                    "V9GE5XQC część 2",
                    "202511060000107",
                ),
                entry(
                    "2025-11-06",
                    "-60.00",
                    "PLN",
                    "ANNA NOWAK",
                    "Zwrot nadpłaty H88PMGW3",
                    "202511060000108",
                ),
                entry(
                    "2025-11-07",
                    "-40.00",
                    "PLN",
                    "ŁUKASZ WIŚNIEWSKI",
                    "Zwrot przelewu k7qx2mnp - rachunek zamknięty",
                    "202511070000109",
                ),
            ],
        )

    def test_an_mbank_like_export_with_a_bom_hash_headers_and_currency_in_amounts(
        self,
    ):
        delimiter, columns = csv_columns(data("csv/pl_mbank_utf8bom.csv"))
        self.assertEqual(delimiter, ";")
        self.assertEqual(
            columns,
            [
                "Data operacji",
                "Opis operacji",
                "Rachunek",
                "Kategoria",
                "Kwota",
                "Saldo po operacji",
                "",
            ],
        )
        mapping = self.guessed("csv/pl_mbank_utf8bom.csv")
        self.assertEqual(
            (mapping.date, mapping.amount, mapping.title, mapping.counterparty),
            ("Data operacji", "Kwota", "Opis operacji", ""),
        )
        entries = read("csv/pl_mbank_utf8bom.csv", csv_mapping=mapping).entries
        self.assertEqual(
            [(e.booked_on.day, e.amount, e.currency) for e in entries],
            [
                (3, Decimal("150.00"), "PLN"),
                (4, Decimal("25.00"), "PLN"),
                (5, Decimal("98.50"), "PLN"),
                (5, Decimal("30.00"), "PLN"),
                (6, Decimal("20.00"), "PLN"),
                (6, Decimal("-100.00"), "PLN"),
                (7, Decimal("1040.00"), "PLN"),
            ],
        )
        self.assertEqual(
            entries[1].title, "PRZELEW NA RACHUNEK JAN KOWALSKI zbiorka m3nc8yrf"
        )

    def test_a_lithuanian_export_with_debit_and_credit_marks(self):
        mapping = self.guessed("csv/lt_swedbank.csv")
        self.assertEqual(
            mapping,
            CsvMapping(
                date="Data",
                amount="Suma",
                title="Paaiškinimai",
                counterparty="Gavėjas",
                currency="Valiuta",
                delimiter=";",
                direction="D/K",
                reference="Įrašo ID",
            ),
        )
        entries = read("csv/lt_swedbank.csv", csv_mapping=mapping).entries
        self.assertEqual(
            [(e.amount, e.is_credit, e.counterparty, e.title) for e in entries],
            [
                (Decimal("50.00"), True, "Jonas Jonaitis", "Ref: H88PMGW3"),
                (
                    Decimal("20.00"),
                    True,
                    "Rūta Petrauskienė",
                    "Parama, kodas: r4tw-9zhb",
                ),
                (Decimal("30.00"), True, "Jonas Jonaitis", "V9GE5XQC"),
                (Decimal("20.00"), True, "Jonas Jonaitis", "V9GE5XQC antra dalis"),
                (Decimal("48.50"), True, "Petras Petraitis", "p2dk6sja parama"),
                (
                    Decimal("-1.20"),
                    False,
                    "AB Swedbank",
                    "Mokestis už mokėjimo pervedimą",
                ),
                (
                    Decimal("-1250.00"),
                    False,
                    "UAB Spaustuvė",
                    "Sąskaita 2025-117, H88PMGW3 lankstinukai",
                ),
            ],
        )
        self.assertEqual(entries[0].bank_reference, "2025110300451287")
        self.assertEqual(entries[0].booked_on, date(2025, 11, 3))

    def test_a_revolut_export_leaves_out_pending_and_reverted_rows(self):
        mapping = self.guessed("csv/revolut.csv")
        self.assertEqual(
            mapping,
            CsvMapping(
                date="Completed Date",
                amount="Amount",
                title="Description",
                currency="Currency",
                delimiter=",",
            ),
        )
        self.assertEqual(
            read("csv/revolut.csv", csv_mapping=mapping).entries,
            [
                entry(
                    "2025-11-03",
                    "150.00",
                    "EUR",
                    "",
                    "Transfer from ANNA NOWAK, Ref: H88PMGW3",
                    "",
                ),
                entry(
                    "2025-11-03",
                    "40.00",
                    "EUR",
                    "",
                    "Payment from Lukasz Wisniewski k7qx2mnp",
                    "",
                ),
                entry(
                    "2025-11-04",
                    "-120.00",
                    "EUR",
                    "",
                    "To Drukarnia Sp. z o.o. - leaflets",
                    "",
                ),
                entry(
                    "2025-11-05",
                    "98.50",
                    "EUR",
                    "",
                    "Transfer from MARIA SCHMIDT P2DK6SJA",
                    "",
                ),
            ],
        )

    def test_a_wise_export_with_day_first_dates(self):
        mapping = self.guessed("csv/wise.csv")
        self.assertEqual(
            (mapping.date, mapping.title, mapping.counterparty, mapping.reference),
            ("Date", "Description", "Payer Name", "TransferWise ID"),
        )
        entries = read("csv/wise.csv", csv_mapping=mapping).entries
        self.assertEqual(
            [(e.booked_on, e.amount, e.counterparty) for e in entries],
            [
                (date(2025, 11, 3), Decimal("50.00"), "Jonas Jonaitis"),
                (date(2025, 11, 4), Decimal("1234.56"), "Fundacja Pomocy"),
                (date(2025, 11, 5), Decimal("-12.40"), ""),
            ],
        )
        self.assertIn("R4TW9ZHB", compact(entries[1].title))
        self.assertEqual(entries[0].bank_reference, "TRANSFER-1789012345")

    def test_a_csv_without_a_mapping_asks_for_one(self):
        self.assertRefused("csv_mapping", data("csv/revolut.csv"))

    def test_a_mapping_naming_a_missing_column_says_which(self):
        mapping = CsvMapping(date="Data", amount="Kwota", title="Tytuł", delimiter=",")
        message = self.assertRefused(
            "csv_mapping", data("csv/revolut.csv"), csv_mapping=mapping
        )
        self.assertIn("“Data”", message)
        self.assertIn("“Kwota”", message)
        self.assertIn("“Completed Date”", message)  # what the file has

    def test_a_mapping_with_the_wrong_delimiter_names_the_columns(self):
        mapping = self.guessed("csv/lt_swedbank.csv")
        wrong = CsvMapping(**{**mapping.to_json(), "delimiter": ","})
        message = self.assertRefused(
            "csv_mapping", data("csv/lt_swedbank.csv"), csv_mapping=wrong
        )
        self.assertIn("“Paaiškinimai”", message)

    def test_an_unreadable_value_names_its_row_and_column(self):
        mapping = CsvMapping(date="Date", amount="Amount", title="Title")
        cases = [
            ("2025-11-03,12;50,x", "Amount", "12;50"),
            ("2025-11-03,abc,x", "Amount", "abc"),
            ("2025-11-31,1.00,x", "Date", "2025-11-31"),
        ]
        for row, column, value in cases:
            with self.subTest(row):
                content = f"Date,Amount,Title\n2025-11-02,1.00,ok\n{row}\n".encode()
                message = self.assertRefused(
                    "csv_mapping", content, csv_mapping=mapping
                )
                self.assertIn(f"“{column}”", message)
                self.assertIn(value, message)
                if column == "Amount":
                    self.assertIn("Row 3", message)

    def test_a_date_column_in_no_known_form_is_refused(self):
        content = b"Date,Amount,Title\nNov 3 2025,1.00,x\n"
        mapping = CsvMapping(date="Date", amount="Amount", title="Title")
        message = self.assertRefused("csv_mapping", content, csv_mapping=mapping)
        self.assertIn("Nov 3 2025", message)

    def test_an_unknown_debit_credit_mark_is_refused(self):
        content = b"Data;Suma;Paskirtis;D/K\n2025-11-03;5,00;x;X\n"
        mapping = CsvMapping(
            date="Data",
            amount="Suma",
            title="Paskirtis",
            delimiter=";",
            direction="D/K",
        )
        message = self.assertRefused("csv_mapping", content, csv_mapping=mapping)
        self.assertIn("“D/K”", message)

    def test_a_mapping_whose_columns_are_all_empty_is_refused(self):
        content = b"Date,Amount,Other,Title\n2025-11-03,,1.00,x\n"
        mapping = CsvMapping(date="Date", amount="Amount", title="Title")
        self.assertRefused("csv_mapping", content, csv_mapping=mapping)

    def test_amount_formats(self):
        cases = {
            "1234.56": "1234.56",
            "1234,56": "1234.56",
            "1 234,56": "1234.56",
            "1\u00a0234,56": "1234.56",
            "1\u202f234,56": "1234.56",
            "1'234.56": "1234.56",
            "1.234,56": "1234.56",
            "1,234.56": "1234.56",
            "1.234.567": "1234567",
            "-12,50": "-12.50",
            "−12,50": "-12.50",
            "12,50-": "-12.50",
            "(12.50)": "-12.50",
            "+12.50": "12.50",
            "12,50 PLN": "12.50",
            "€12.50": "12.50",
            "100": "100",
        }
        mapping = CsvMapping(date="Date", amount="Amount", title="Title", delimiter=";")
        for text, expected in cases.items():
            with self.subTest(text):
                content = f"Date;Amount;Title\n2025-11-03;{text};x\n".encode()
                (found,) = read_statement(content, csv_mapping=mapping).entries
                self.assertEqual(found.amount, Decimal(expected))
                self.assertEqual(found.is_credit, not expected.startswith("-"))

    def test_date_formats_are_detected_from_the_column(self):
        cases = {
            "2025-11-03": ["2025-11-03", "2025-11-30"],
            "03.11.2025": ["03.11.2025", "30.11.2025"],
            "3/11/2025": ["3/11/2025", "30/11/2025"],
            "03-11-2025": ["03-11-2025", "30-11-2025"],
            "2025.11.03": ["2025.11.03", "2025.11.30"],
            "with a time": ["2025-11-03 08:12:45", "2025-11-30T23:59:00"],
            "month first": ["11/03/2025", "11/30/2025"],
        }
        mapping = CsvMapping(date="Date", amount="Amount", title="Title")
        for label, values in cases.items():
            with self.subTest(label):
                rows = "".join(f"{value},1.00,x\n" for value in values)
                content = f"Date,Amount,Title\n{rows}".encode()
                entries = read_statement(content, csv_mapping=mapping).entries
                self.assertEqual(
                    [e.booked_on for e in entries],
                    [date(2025, 11, 3), date(2025, 11, 30)],
                )

    def test_a_date_format_in_the_mapping_wins_over_detection(self):
        content = b"Date,Amount,Title\n03/04/2025,1.00,x\n"
        mapping = CsvMapping(
            date="Date", amount="Amount", title="Title", date_format="%m/%d/%Y"
        )
        (found,) = read_statement(content, csv_mapping=mapping).entries
        self.assertEqual(found.booked_on, date(2025, 3, 4))

    def test_a_mapping_round_trips_through_json(self):
        mapping = self.guessed("csv/lt_swedbank.csv")
        self.assertEqual(CsvMapping.from_json(mapping.to_json()), mapping)
        # Saved before a field existed, or with keys of a later version.
        old = {"date": "Data", "amount": "Suma", "title": "Paskirtis", "new": 1}
        self.assertEqual(
            CsvMapping.from_json(old),
            CsvMapping(date="Data", amount="Suma", title="Paskirtis"),
        )
        with self.assertRaises(StatementFileError) as caught:
            CsvMapping.from_json({"date": "Data"})
        self.assertEqual(caught.exception.code, "csv_mapping")

    def test_headers_of_common_banks_are_recognised(self):
        cases = [
            (
                ["Дата", "Сумма", "Валюта", "Плательщик", "Назначение платежа"],
                ("Дата", "Сумма", "Назначение платежа", "Плательщик", "Валюта"),
            ),
            (
                ["Дата операції", "Сума", "Валюта", "Платник", "Призначення платежу"],
                ("Дата операції", "Сума", "Призначення платежу", "Платник", "Валюта"),
            ),
            (
                ["Date", "Counterparty", "Reference", "Amount", "Currency"],
                ("Date", "Amount", "Reference", "Counterparty", "Currency"),
            ),
            (
                ["DATA OPERACJI", "KWOTA", "WALUTA", "NADAWCA", "TYTUL"],
                ("DATA OPERACJI", "KWOTA", "TYTUL", "NADAWCA", "WALUTA"),
            ),
            (
                ["Data", "Suma", "Valiuta", "Mokėtojas", "Mokėjimo paskirtis"],
                ("Data", "Suma", "Mokėjimo paskirtis", "Mokėtojas", "Valiuta"),
            ),
        ]
        for columns, expected in cases:
            with self.subTest(columns[0]):
                mapping = guess_csv_mapping(";", columns)
                self.assertEqual(
                    (
                        mapping.date,
                        mapping.amount,
                        mapping.title,
                        mapping.counterparty,
                        mapping.currency,
                    ),
                    expected,
                )
                self.assertEqual(mapping.delimiter, ";")

    def test_no_mapping_is_guessed_without_date_amount_and_title(self):
        self.assertIsNone(guess_csv_mapping(",", ["Date", "Amount", "Balance"]))
        self.assertIsNone(guess_csv_mapping(",", ["Foo", "Bar"]))


class DetectFormatTests(RefusalTestCase):
    def test_each_fixture_is_recognised(self):
        for folder, expected in [
            ("camt", "camt053"),
            ("mt940", "mt940"),
            ("csv", "csv"),
        ]:
            for path in sorted((FILES / folder).rglob("*")):
                if path.suffix in (".xml", ".sta", ".csv"):
                    with self.subTest(path.name):
                        self.assertEqual(detect_format(path.read_bytes()), expected)

    def test_xml_after_a_byte_order_mark_and_blank_lines(self):
        content = b"\xef\xbb\xbf\r\n  " + data("camt/camt053_v06_de.xml")
        self.assertEqual(detect_format(content), "camt053")
        self.assertEqual(len(read_statement(content).entries), 2)

    def test_a_csv_table_after_a_bank_preamble_gives_its_header(self):
        delimiter, columns = csv_columns(data("csv/pl_ing_cp1250.csv"))
        self.assertEqual(delimiter, ";")
        self.assertEqual(
            columns[:4],
            ["Data transakcji", "Data księgowania", "Dane kontrahenta", "Tytuł"],
        )


class HostileFileTests(RefusalTestCase):
    def test_a_billion_laughs_bomb_is_refused(self):
        bomb = (
            b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
            + b"".join(
                b' <!ENTITY lol%d "%s">\n'
                % (level, (b"&lol%d;" % (level - 1) if level > 1 else b"&lol;") * 10)
                for level in range(1, 10)
            )
            + b']>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
            b"<BkToCstmrStmt><GrpHdr><MsgId>&lol9;</MsgId></GrpHdr></BkToCstmrStmt>"
            b"</Document>"
        )
        message = self.assertRefused("unsafe_xml", bomb)
        self.assertIn("DTD", message)

    def test_an_external_entity_is_never_read(self):
        xxe = (
            b'<?xml version="1.0"?>\n<!DOCTYPE Document [\n'
            b' <!ENTITY passwd SYSTEM "file:///etc/passwd">\n]>\n'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
            b"<BkToCstmrStmt><Stmt><Acct><Id><IBAN>&passwd;</IBAN></Id></Acct>"
            b"</Stmt></BkToCstmrStmt></Document>"
        )
        message = self.assertRefused("unsafe_xml", xxe)
        self.assertNotIn("root:", message)

    def test_a_document_type_declaration_is_refused(self):
        dtd = (
            b'<?xml version="1.0"?>\n<!DOCTYPE Document SYSTEM "camt.053.dtd">\n'
            + data("camt/camt053_v06_de.xml").split(b"?>", 1)[1]
        )
        self.assertRefused("unsafe_xml", dtd)

    def test_a_truncated_statement_is_a_broken_file(self):
        truncated = data("camt/camt053_v02_pl.xml")[:3000]
        self.assertIn("line", self.assertRefused("broken_file", truncated))

    def test_a_file_over_the_limit_is_refused_before_reading(self):
        big = b"<" + b" " * MAX_FILE_BYTES
        message = self.assertRefused("too_large", big)
        self.assertIn("20 MB", message)
        with self.assertRaises(StatementFileError):
            csv_columns(b"a;b\n" * (MAX_FILE_BYTES // 4 + 1))
        self.assertIn("21 MB", self.assertRefused("too_large", b"x" * 21 * 2**20))

    def test_files_that_are_no_statement(self):
        png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(64)
        pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nstream\n" + bytes(
            range(256)
        )
        cases = {
            "png": png,
            "pdf": pdf,
            "empty": b"",
            "blank": b" \r\n\t\n",
            "a letter": b"Dear friends,\nthank you, all of you.\nBest, Ala\n",
            "html": b"<!DOCTYPE html><html><body><p>Konto</p></body></html>",
            "xhtml": b"<html><body><p>Konto</p></body></html>",
            "utf-16 text": "Hello\nworld\n".encode("utf-16"),
        }
        for name, content in cases.items():
            with self.subTest(name):
                message = self.assertRefused("not_a_statement", content)
                self.assertIn("CAMT.053", message)
                if not content.startswith(b"<"):  # XML is checked when read
                    with self.assertRaises(StatementFileError):
                        detect_format(content)

    def test_csv_columns_of_a_file_that_is_no_table(self):
        with self.assertRaises(StatementFileError) as caught:
            csv_columns(b"\x89PNG\r\n\x1a\n\x00\x00")
        self.assertEqual(caught.exception.code, "not_a_statement")
