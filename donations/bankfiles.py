"""Bank statement files read into plain entries: CAMT.053, MT940 and CSV.

A volunteer uploads the file their bank exports for the account campaigns are
paid into. This module only reads it: every format becomes one BankStatement of
BankEntry values (signed amounts, booking dates, counterparty, transfer title,
the bank's own entry reference), or a StatementFileError whose message says
what to do. Matching entries to pledges and storing them is statements.py.

Statement files come from outside, so XML is parsed only through defusedxml
with DTDs, entities and external references forbidden: a billion-laughs bomb
or an entity that reads /etc/passwd is refused before anything expands. MT940
goes through the maintained mt-940 package; its :86: details are left raw here
and split into title and counterparty below, because banks structure them in
their own ways (German ?20..?33, Polish ~20..~33, or free text).

Entries keep the direction of the money: a credit has a positive amount and
is_credit, a debit a negative one. A reversal keeps that rule (a returned
credit is a debit with is_reversal), and a CAMT batch entry with several
transactions becomes one BankEntry per transaction.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

import mt940
from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml import ElementTree as SafeElementTree
from django.utils.translation import gettext as _
from stdnum import iban as stdnum_iban

MAX_FILE_BYTES = 20 * 1024 * 1024

# Date formats a CSV column may use, tried in this order when the mapping does
# not name one. Day before month: a European bank's 03/04/2025 is 3 April.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%Y.%m.%d",
    "%Y/%m/%d",
    "%m/%d/%Y",
)


class StatementFileError(ValueError):
    """A file Zbor cannot import; .message is for the person who uploaded it.

    Codes: too_large, not_a_statement, unsafe_xml, unsupported_version,
    broken_file, several_accounts, csv_mapping.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class BankEntry:
    booked_on: date
    amount: Decimal  # credits > 0, debits < 0
    currency: str  # ISO 4217; "" when a CSV file does not say
    counterparty: str
    title: str  # transfer title, lines joined by "\n"
    bank_reference: str  # the bank's own reference of the entry, or ""
    is_credit: bool
    is_reversal: bool
    is_booked: bool  # False for pending or interim (MT942) entries


@dataclass(frozen=True)
class BankStatement:
    format: str  # "camt053", "mt940" or "csv"
    iban: str  # compact, upper case; "" when the file does not say
    currency: str  # the account's currency when the file says, else ""
    entries: list[BankEntry] = field(default_factory=list)


@dataclass(frozen=True)
class CsvMapping:
    """Which CSV columns hold what, by header name; stored per bank account.

    direction names a column of debit/credit marks (Swedbank's D/K, SEB's
    DEBETAS/KREDITAS) for exports whose amounts carry no sign; reference a
    column with the bank's own transaction id.
    """

    date: str
    amount: str
    title: str
    counterparty: str = ""
    currency: str = ""
    delimiter: str = ","
    date_format: str = ""  # one of DATE_FORMATS, "" = detect from the column
    direction: str = ""
    reference: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> CsvMapping:
        known = {f.name for f in fields(cls)}
        values = {
            k: "" if v is None else str(v)
            for k, v in (data or {}).items()
            if k in known
        }
        if not all(values.get(name) for name in ("date", "amount", "title")):
            raise StatementFileError(
                "csv_mapping",
                _(
                    "The saved CSV column mapping is incomplete; choose the "
                    "columns again."
                ),
            )
        return cls(**values)


def detect_format(data: bytes) -> str:
    """Which reader fits the file: "camt053", "mt940" or "csv".

    "camt053" means XML: read_statement then checks that it is a camt.053
    document. Raises StatementFileError for a file that is none of them.
    """
    _check_size(data)
    head = data[:4096].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")
    if not head:
        raise _not_a_statement(_("This file is empty."))
    if head.startswith(b"<"):
        return "camt053"
    text = _decode_text(data)
    if text is None:
        raise _not_a_statement()
    if MT940_START.search(text[:65536]) or text.lstrip().startswith("{1:"):
        return "mt940"
    if _sniff_header(text) is not None:
        return "csv"
    raise _not_a_statement()


def read_statement(
    data: bytes, *, csv_mapping: CsvMapping | None = None
) -> BankStatement:
    """The statement in the file, or StatementFileError saying what is wrong."""
    kind = detect_format(data)
    if kind == "camt053":
        return _read_camt053(data)
    if kind == "mt940":
        return _read_mt940(data)
    if csv_mapping is None:
        raise StatementFileError(
            "csv_mapping",
            _(
                "Choose which columns of this CSV file hold the date, the "
                "amount and the transfer title."
            ),
        )
    return _read_csv(data, csv_mapping)


def csv_columns(data: bytes) -> tuple[str, list[str]]:
    """The delimiter and the header names of a CSV statement, for a mapping form.

    Lines a bank puts above the table (account holder, period) are skipped.
    """
    _check_size(data)
    sniffed = _sniff_header(_decode_text(data) or "")
    if sniffed is None:
        raise _not_a_statement()
    delimiter, header = sniffed
    return delimiter, [_clean_header(name) for name in header]


def guess_csv_mapping(delimiter: str, columns: list[str]) -> CsvMapping | None:
    """A mapping for headers that banks commonly use, or None.

    Knows Polish, Lithuanian, English, Russian and Ukrainian headers and the
    Revolut and Wise exports; case, accents and a leading # do not matter.
    """
    found = {}
    for name, candidates in HEADER_NAMES.items():
        found[name] = _first_column(columns, candidates)
    if not (found["date"] and found["amount"] and found["title"]):
        return None
    return CsvMapping(delimiter=delimiter, **found)


# ---------------------------------------------------------------- shared


def _check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise StatementFileError(
            "too_large",
            _(
                "This file is %(size)s MB; statement files up to %(limit)s MB "
                "can be imported. Export a shorter period."
            )
            % {
                "size": math.ceil(len(data) / 1024 / 1024),
                "limit": MAX_FILE_BYTES // 1024 // 1024,
            },
        )


def _not_a_statement(reason: str = "") -> StatementFileError:
    if not reason:
        message = _(
            "This file is not a bank statement Zbor can read: export CAMT.053 "
            "(XML), MT940 or CSV from your bank."
        )
    else:
        message = (
            reason + " " + _("Export CAMT.053 (XML), MT940 or CSV from your bank.")
        )
    return StatementFileError("not_a_statement", message)


def _broken(message: str) -> StatementFileError:
    return StatementFileError("broken_file", message)


def _decode_text(data: bytes) -> str | None:
    """The file as text (UTF-8, UTF-16 with a BOM, cp1250, else latin-1), or
    None when it is binary (an image, a PDF, an archive)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        text = _decode_8bit(data)
    sample = text[:65536]
    controls = sum(1 for char in sample if char in CONTROL_CHARS)
    if "\x00" in sample or controls > len(sample) / 100:
        return None
    return text


def _decode_8bit(data: bytes) -> str:
    # Polish banks still export in Windows-1250; latin-1 decodes anything.
    for encoding in ("utf-8-sig", "cp1250"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


CONTROL_CHARS = frozenset(
    chr(code) for code in [*range(9), 11, *range(14, 32), 127]
) - {"\x1a"}  # DOS end-of-file marks still end some bank files


def _compact_iban(text: str) -> str:
    """The first valid IBAN in an account identification, or "".

    A 26-digit Polish account number (NRB) is the IBAN without its "PL".
    """
    compact = re.sub(r"\s", "", text).upper()
    for token in re.findall(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        for end in range(len(token), 14, -1):
            if stdnum_iban.is_valid(token[:end]):
                return token[:end]
    for digits in re.findall(r"(?<!\d)\d{26}(?!\d)", compact):
        if stdnum_iban.is_valid("PL" + digits):
            return "PL" + digits
    return ""


def _lines(parts: Iterable[str | None]) -> str:
    """Non-empty parts, stripped, joined by newlines."""
    return "\n".join(p.strip() for p in parts if p and p.strip())


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _one_account(accounts: list[str]) -> None:
    """Refuse a file with statements of several accounts: entries are matched
    against the campaigns of one account."""
    distinct = list(dict.fromkeys(a for a in accounts if a))
    if len(distinct) > 1:
        shown = ", ".join(distinct[:5]) + (", …" if len(distinct) > 5 else "")
        raise StatementFileError(
            "several_accounts",
            _(
                "This file holds statements of several accounts (%(accounts)s). "
                "Export the statement of one account per file."
            )
            % {"accounts": shown},
        )


# ---------------------------------------------------------------- CAMT.053

ISO_MESSAGE = re.compile(r"\b([a-z]{4})\.(\d{3})\.(\d{3})\.(\d{2})\b")
OLDEST_CAMT053 = 2


def _read_camt053(data: bytes) -> BankStatement:
    document, namespace = _parse_xml(data)
    _check_camt053(document, namespace)
    statements = document.findall("BkToCstmrStmt/Stmt")
    accounts = [_camt_account(stmt) for stmt in statements]
    _one_account(accounts)
    entries = []
    for stmt in statements:
        currency = _camt_currency(stmt)
        for number, ntry in enumerate(stmt.findall("Ntry"), start=1):
            entries += _camt_entries(ntry, number, currency)
    return BankStatement(
        format="camt053",
        iban=_compact_iban(accounts[0]) if accounts else "",
        currency=_camt_currency(statements[0]) if statements else "",
        entries=entries,
    )


def _parse_xml(data: bytes):
    """(Document element, its namespace), namespaces removed from every tag.

    camt.053 versions differ in namespace, rarely in the names that matter,
    so everything below looks elements up by local name. The Document may sit
    in an envelope with a business application header (AppHdr).
    """
    root = _safe_fromstring(data)
    document = next((e for e in root.iter() if _local(e.tag) == "Document"), root)
    namespace = document.tag[1:].partition("}")[0] if "}" in document.tag else ""
    for element in document.iter():
        element.tag = _local(element.tag)
    return document, namespace


def _safe_fromstring(data: bytes):
    """The parsed XML; no DTD, entity or external reference is ever expanded."""
    # Some exporters put a newline before the XML declaration; XML forbids it.
    content = data.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
    try:
        return SafeElementTree.fromstring(
            content, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DTDForbidden as error:
        if (error.name or "").lower() == "html":
            raise _not_a_statement() from error  # a saved web page
        raise _unsafe_xml() from error
    except DefusedXmlException as error:
        raise _unsafe_xml() from error
    except SafeElementTree.ParseError as error:
        if b"BkToCstmrStmt" not in data:
            raise _not_a_statement() from error  # an HTML page, say
        line = error.position[0] if error.position else "?"
        raise _broken(
            _(
                "This XML file is damaged or incomplete (near line %(line)s). "
                "Download the statement from your bank again."
            )
            % {"line": line}
        ) from error


def _unsafe_xml() -> StatementFileError:
    return StatementFileError(
        "unsafe_xml",
        _(
            "This XML file declares a DTD, entities or external references, "
            "which bank statements never need, so Zbor does not read it."
        ),
    )


def _local(tag) -> str:
    # Comments and processing instructions have a function as their tag.
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _check_camt053(root, namespace: str) -> None:
    """Refuse what is not a camt.053 statement, or is older than version 02.

    Banks send camt.053.001.02 to .08 today. Later versions (up to .13 now)
    keep the entry structure read here, so they are read too; the 2006
    version .01 differs and is refused. Other ISO 20022 messages (camt.052
    intraday reports, camt.054 notifications, pain.001 payment orders) are
    named in the refusal, since banks offer them next to the statement.
    """
    message = ISO_MESSAGE.search(namespace)
    if message and message.group(1, 2) != ("camt", "053"):
        raise _not_a_statement(
            _("This is an ISO 20022 %(message)s file, not an account statement.")
            % {"message": message.group(0)}
        )
    if root.tag != "Document" or root.find("BkToCstmrStmt") is None:
        raise _not_a_statement()
    if message and int(message.group(4)) < OLDEST_CAMT053:
        raise StatementFileError(
            "unsupported_version",
            _(
                "This CAMT.053 file is version %(version)s; Zbor reads version "
                "001.02 and newer. Ask your bank for a current CAMT.053 export."
            )
            % {"version": f"{message.group(3)}.{message.group(4)}"},
        )


def _camt_account(stmt) -> str:
    account_id = stmt.find("Acct/Id")
    if account_id is None:
        return ""
    account = _text(account_id.find("IBAN")) or _text(account_id.find("Othr/Id"))
    return re.sub(r"\s", "", account).upper()


def _camt_currency(stmt) -> str:
    currency = _text(stmt.find("Acct/Ccy"))
    balance = stmt.find("Bal/Amt")
    if not currency and balance is not None:
        currency = balance.get("Ccy", "")
    return currency.strip().upper()


class _Transfer(NamedTuple):
    """One transfer of an entry: the whole entry, or one transaction of a batch."""

    details: list  # its TxDtls elements
    amount: Decimal
    currency: str
    credit: bool
    reference: str


def _camt_entries(ntry, number: int, account_currency: str) -> list[BankEntry]:
    """One BankEntry per transfer of the entry (a batch holds several)."""
    reversal = _text(ntry.find("RvslInd")).lower() in ("true", "1")
    booked_on = _camt_booked_on(ntry, number)
    is_booked = _camt_status(ntry) == "BOOK"
    entry_info = _lines(e.text for e in ntry.findall("AddtlNtryInf"))
    return [
        BankEntry(
            booked_on=booked_on,
            amount=transfer.amount if transfer.credit else -transfer.amount,
            currency=transfer.currency or account_currency,
            counterparty=_camt_counterparty(
                transfer.details, transfer.credit, reversal
            ),
            title=_camt_title(transfer.details) or entry_info,
            bank_reference=transfer.reference,
            is_credit=transfer.credit,
            is_reversal=reversal,
            is_booked=is_booked,
        )
        for transfer in _camt_transfers(ntry, number)
    ]


def _camt_transfers(ntry, number: int) -> list[_Transfer]:
    """The transactions of a batch entry when each has its own amount (their
    reference: their own, else the entry's with "/1", "/2"...), else the
    entry as one transfer."""
    amount, currency = _camt_amount(ntry.find("Amt"), number)
    credit = _text(ntry.find("CdtDbtInd")).upper() != "DBIT"
    reference = _text(ntry.find("AcctSvcrRef"))
    details = ntry.findall("NtryDtls/TxDtls")
    amounts = [_camt_tx_amount(tx, number) for tx in details]
    if len(details) < 2 or not all(amounts):
        if not reference and details:
            reference = _text(details[0].find("Refs/AcctSvcrRef"))
        return [_Transfer(details, amount, currency, credit, reference)]
    transfers = []
    for index, (tx, (tx_amount, tx_currency)) in enumerate(
        zip(details, amounts, strict=True), start=1
    ):
        tx_reference = _text(tx.find("Refs/AcctSvcrRef"))
        if not tx_reference and reference:
            tx_reference = f"{reference}/{index}"
        tx_credit = _text(tx.find("CdtDbtInd")).upper()
        transfers.append(
            _Transfer(
                [tx],
                tx_amount,
                tx_currency or currency,
                tx_credit == "CRDT" if tx_credit else credit,
                tx_reference,
            )
        )
    return transfers


def _camt_amount(element, number: int) -> tuple[Decimal, str]:
    if element is None:
        raise _camt_unreadable(number, "Amt", "")
    try:
        amount = Decimal(_text(element))
    except InvalidOperation as error:
        raise _camt_unreadable(number, "Amt", _text(element)) from error
    return abs(amount), element.get("Ccy", "").strip().upper()


def _camt_tx_amount(tx, number: int) -> tuple[Decimal, str] | None:
    """The transaction's own amount (TxDtls/Amt from v03, else AmtDtls/TxAmt)."""
    element = tx.find("Amt")
    if element is None:
        element = tx.find("AmtDtls/TxAmt/Amt")
    return None if element is None else _camt_amount(element, number)


def _camt_booked_on(ntry, number: int) -> date:
    for path in ("BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm"):
        value = _text(ntry.find(path))
        if value:
            try:
                return date.fromisoformat(value[:10])
            except ValueError as error:
                raise _camt_unreadable(number, path, value) from error
    raise _camt_unreadable(number, "BookgDt", "")


def _camt_status(ntry) -> str:
    # A plain code up to camt.053.001.05, Sts/Cd from .06 on.
    status = ntry.find("Sts")
    if status is None:
        return ""
    return (_text(status.find("Cd")) or _text(status)).upper()


def _camt_title(details: list) -> str:
    """Remittance information (every Ustrd, structured references), else the
    transactions' additional information."""
    remittance = []
    for tx in details:
        remittance += [e.text for e in tx.findall("RmtInf/Ustrd")]
        remittance += [e.text for e in tx.findall("RmtInf/Strd/CdtrRefInf/Ref")]
        remittance += [e.text for e in tx.findall("RmtInf/Strd/AddtlRmtInf")]
    if not remittance:
        remittance = [e.text for tx in details for e in tx.findall("AddtlTxInf")]
    return _lines(remittance)


def _camt_counterparty(details: list, credit: bool, reversal: bool) -> str:
    """The other party: the debtor of a credit, the creditor of a debit.

    A reversal undoes the opposite movement, so its other party is on the
    opposite side; banks are not consistent there, so both sides are tried.
    """
    sides = ["Dbtr", "Cdtr"] if credit != reversal else ["Cdtr", "Dbtr"]
    paths = [
        f"RltdPties/{prefix}{side}"
        for side in sides[: 2 if reversal else 1]
        for prefix in ("", "Ultmt")
    ]
    for tx in details:
        for path in paths:
            # Nm up to camt.053.001.07, Pty/Nm from .08 on.
            name = _text(tx.find(f"{path}/Nm")) or _text(tx.find(f"{path}/Pty/Nm"))
            if name:
                return _one_line(name)
    return ""


def _camt_unreadable(number: int, field_name: str, value: str):
    return _broken(
        _(
            "Entry %(number)s of this CAMT.053 file has no readable "
            "%(field)s (“%(value)s”)."
        )
        % {"number": number, "field": field_name, "value": value[:40]}
    )


def _text(element) -> str:
    return (element.text or "").strip() if element is not None else ""


# ---------------------------------------------------------------- MT940

MT940_START = re.compile(r"^\s*:20:", re.MULTILINE)
MT940_OPTIONS = mt940.Options(
    reversal_sign=True,  # RC (a returned credit) takes money out: negative
    case_insensitive_marks=True,
    strip_bom=True,
    unbounded_details=True,
    merge_keeps_values=True,
)
# Keep :86: raw; _mt940_details splits it (the package knows only the German ?).
MT940_PROCESSORS = {"post_transaction_details": []}
# German banks (DFÜ) mark sub-fields with ?NN, Polish banks with ~NN or ^NN.
STRUCTURED_DETAILS = re.compile(r"^\s*\d{0,3}\s*([?~^>])\d{2}")
NONREF = "NONREF"
# What mt-940 raises on text that does not fit a tag's pattern or type.
MT940_ERRORS = (
    RuntimeError,
    ValueError,
    LookupError,
    ArithmeticError,
    TypeError,
    AttributeError,
)


def _read_mt940(data: bytes) -> BankStatement:
    text = _decode_text(data) or ""
    try:
        blocks = mt940.parse_statements(
            io.StringIO(text), processors=MT940_PROCESSORS, options=MT940_OPTIONS
        )
    except MT940_ERRORS as error:
        raise _broken(
            _(
                "Part of this MT940 file cannot be read; it may be damaged or "
                "incomplete. Download the statement from your bank again."
            )
        ) from error
    accounts = [
        re.sub(r"\s", "", b.data.get("account_identification") or "").upper()
        for b in blocks
    ]
    _one_account(accounts)
    entries = []
    for block in blocks:
        currency = block.currency or ""
        # An MT942 interim report (:13D: time, :34F: floor limit) is not final.
        interim = bool(
            {"date_time_indication", "c_floor_limit", "d_floor_limit"}
            & block.data.keys()
        )
        entries += [
            _mt940_entry(transaction.data, currency, booked=not interim)
            for transaction in block
            if "amount" in transaction.data
        ]
    return BankStatement(
        format="mt940",
        iban=_compact_iban(accounts[0]) if accounts else "",
        currency=(blocks[0].currency or "") if blocks else "",
        entries=entries,
    )


def _mt940_entry(data: dict, currency: str, *, booked: bool) -> BankEntry:
    status = (data.get("status") or "").upper()
    booked_on = data.get("entry_date") or data["date"]
    title, counterparty = _mt940_details(data.get("transaction_details") or "")
    reference = (data.get("bank_reference") or "").strip()
    return BankEntry(
        booked_on=date(booked_on.year, booked_on.month, booked_on.day),
        amount=data["amount"].amount,
        currency=(data["amount"].currency or currency).upper(),
        counterparty=counterparty,
        title=title or _lines([data.get("extra_details")]),
        bank_reference="" if reference.upper() == NONREF else reference,
        is_credit=status in ("C", "RD"),
        is_reversal=status.startswith("R"),
        is_booked=booked,
    )


def _mt940_details(details: str) -> tuple[str, str]:
    """(title, counterparty) from an :86: field.

    Structured details are split into sub-fields: ?20..?29 (German) or
    ~20..~26 (Polish) are the title, ?32/?33 the name (Polish banks: ~32/~33,
    else ~27..~29).
    Free text stays the title, line by line, so a reference the bank wrapped
    onto the next line is still there once spaces and newlines are removed.
    """
    structured = STRUCTURED_DETAILS.match(details)
    if not structured:
        return _lines(details.splitlines()), _mt940_free_text_name(details)
    marker = structured.group(1)
    # Lines are wrapped at a fixed width, mid-word: join them back first.
    joined = "".join(details.splitlines())
    pieces = re.split(re.escape(marker) + r"(\d{2})", joined)
    subfields: dict[int, list[str]] = {}
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        subfields.setdefault(int(key), []).append(value)

    def take(keys: Iterable[int], separator: str) -> str:
        # Joined as they are: a name cut mid-word continues in the next field.
        return separator.join(v for k in keys for v in subfields.get(k, []))

    if marker in "~^":
        title = take([*range(20, 27), *range(60, 64)], "\n")
        name = take([32, 33], "") or take([27, 28, 29], " ")
    else:
        title = take([*range(20, 30), *range(60, 64)], "\n")
        name = take([32, 33], "")
    return _lines(title.splitlines()), _one_line(name)


def _mt940_free_text_name(details: str) -> str:
    # mBank's free text reads "...; OD: NAME ADDRESS; TYT.: title; ...".
    payer = re.search(r"(?:^|;)\s*OD:\s*([^;]*)", " ".join(details.splitlines()))
    return _one_line(payer.group(1)) if payer else ""


# ---------------------------------------------------------------- CSV

DELIMITERS = (";", ",", "\t", "|")
SNIFF_LINES = 200

# Header names by field, most specific first; compared after _fold().
HEADER_NAMES = {
    "date": [
        "data ksiegowania",
        "data operacji",
        "data transakcji",
        "completed date",
        "date completed (utc)",
        "booking date",
        "transaction date",
        "date",
        "started date",
        "date started (utc)",
        "data",
        "operacijos data",
        "value date",
        "дата проводки",
        "дата операции",
        "дата операції",
        "дата",
    ],
    "amount": [
        "kwota transakcji (waluta rachunku)",
        "kwota operacji",
        "kwota",
        "suma",
        "amount",
        "сумма",
        "сума",
    ],
    "title": [
        "tytul",
        "tytul operacji",
        "tytul przelewu",
        "opis operacji",
        "opis transakcji",
        "mokejimo paskirtis",
        "paskirtis",
        "paaiskinimai",
        # Revolut Business and Starling put the payer's text in Reference,
        # Wise its Description ("... with reference H88PMGW3").
        "reference",
        "description",
        "payment reference",
        "details",
        "назначение платежа",
        "назначение",
        "призначення платежу",
        "призначення",
        "описание",
        "опис",
        "opis",
    ],
    "counterparty": [
        "dane kontrahenta",
        "nazwa kontrahenta",
        "kontrahent",
        "nadawca",
        "nadawca / odbiorca",
        "moketojo arba gavejo pavadinimas",
        "moketojo pavadinimas",
        "moketojas",
        "gavejas",
        "payer name",
        "payer",
        "counterparty",
        "counter party",
        "name",
        "плательщик",
        "контрагент",
        "платник",
    ],
    "currency": ["waluta", "valiuta", "currency", "валюта"],
    "direction": [
        "d/k",
        "debetas/kreditas",
        "kreditas/debetas",
        "d/c",
        "debit/credit",
        "credit/debit",
    ],
    "reference": [
        "nr transakcji",
        "numer transakcji",
        "iraso id",
        "transferwise id",
        "transaction id",
    ],
}

DEBIT_MARKS = {"d", "db", "dbit", "debit", "debet", "debetas", "obciazenie", "-"}
CREDIT_MARKS = {"c", "k", "cr", "crdt", "credit", "kredit", "kreditas", "uznanie", "+"}


def _fold(text: str) -> str:
    """A header as compared: no accents, case, # marks, quotes or extra spaces."""
    text = text.replace("ł", "l").replace("Ł", "L")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().strip(" \t\ufeff#\"':").split())


def _clean_header(name: str) -> str:
    return " ".join(name.strip(" \t\ufeff").lstrip("#").split())


def _first_column(columns: list[str], candidates: list[str]) -> str:
    folded = {}
    for column in columns:
        folded.setdefault(_fold(column), column)
    return next((folded[_fold(c)] for c in candidates if _fold(c) in folded), "")


def _csv_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for cells in reader:
            rows.append((reader.line_num, cells))
    except csv.Error as error:
        raise _broken(
            _("Row %(row)s of this CSV file cannot be read; it may be damaged.")
            % {"row": reader.line_num}
        ) from error
    return rows


def _sniff_header(text: str) -> tuple[str, list[str]] | None:
    """(delimiter, header row) of a CSV table, or None for text that is none.

    The delimiter is the one that cuts most of the first lines into the same
    number of cells (a bank's preamble lines hold one value each); the header
    is the first row of that width without dates or amounts, followed by rows
    with dates or amounts, or made of headers Zbor knows.
    """
    sample = "\n".join(text.splitlines()[:SNIFF_LINES])
    best = None
    for delimiter in DELIMITERS:
        rows = [cells for _line, cells in _csv_rows(sample, delimiter)]
        widths = Counter(len(cells) for cells in rows if _filled(cells) > 1)
        if widths:
            width, count = widths.most_common(1)[0]
            if best is None or (count, width) > best[:2]:
                best = (count, width, delimiter, rows)
    if best is None:
        return None
    _count, width, delimiter, rows = best
    for index, cells in enumerate(rows):
        if len(cells) == width and _looks_like_header(cells):
            if _has_values(rows[index + 1 :]) or guess_csv_mapping(delimiter, cells):
                return delimiter, cells
            return None
    return None


def _has_values(rows: list[list[str]]) -> bool:
    return any(_date_text(c) or _parse_amount(c) is not None for r in rows for c in r)


def _filled(cells: list[str]) -> int:
    return sum(1 for c in cells if c.strip())


def _looks_like_header(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    return len(filled) >= 2 and not any(
        _parse_amount(c) is not None or _date_text(c) for c in filled
    )


def _read_csv(data: bytes, mapping: CsvMapping) -> BankStatement:
    text = _decode_text(data)
    if text is None:
        raise _not_a_statement()
    header, body = _mapped_table(text, mapping)
    folded = [_fold(c) for c in header]
    index = {
        name: folded.index(_fold(column)) if column else None
        for name, column in _mapping_columns(mapping).items()
    }
    rows = [_Row(line, cells, index, mapping) for line, cells in body]
    date_format = mapping.date_format or _detect_date_format(
        [row["date"] for row in rows if row["amount"]], mapping.date
    )
    entries = [entry for row in rows if (entry := _csv_entry(row, date_format))]
    if rows and not entries:
        raise StatementFileError(
            "csv_mapping",
            _(
                "No row of this CSV file has both a date in column “%(date)s” "
                "and an amount in column “%(amount)s”."
            )
            % {"date": mapping.date, "amount": mapping.amount},
        )
    return BankStatement(format="csv", iban="", currency="", entries=entries)


def _mapping_columns(mapping: CsvMapping) -> dict[str, str]:
    names = ("date", "amount", "title", "counterparty", "currency")
    names += ("direction", "reference")
    return {name: getattr(mapping, name) for name in names}


def _mapped_table(text: str, mapping: CsvMapping):
    """(header, data rows) of the table whose header names every mapped column.

    The data rows end at the first blank line after them: a footer follows.
    """
    wanted = [n for n in _mapping_columns(mapping).values() if n]
    rows = _csv_rows(text, mapping.delimiter or ",")
    for index, (_line, cells) in enumerate(rows):
        if {_fold(n) for n in wanted} <= {_fold(c) for c in cells}:
            body = []
            for line, row in rows[index + 1 :]:
                if any(c.strip() for c in row):
                    body.append((line, row))
                elif body:
                    break
            return cells, body
    sniffed = _sniff_header(text)
    found = [_clean_header(c) for c in sniffed[1]] if sniffed else []
    missing = [n for n in wanted if _fold(n) not in {_fold(c) for c in found}]
    raise StatementFileError(
        "csv_mapping",
        _("This CSV file has no column %(columns)s. Its columns are: %(found)s.")
        % {
            "columns": ", ".join(f"“{n}”" for n in missing or wanted),
            "found": ", ".join(f"“{c}”" for c in found if c) or "—",
        },
    )


@dataclass(frozen=True)
class _Row:
    """A data row of a CSV table; row["amount"] is its cell in the mapped column."""

    line: int  # in the file, for messages
    cells: list[str]
    index: dict[str, int | None]  # position of each mapped column
    mapping: CsvMapping

    def __getitem__(self, name: str) -> str:
        position = self.index[name]
        if position is None or position >= len(self.cells):
            return ""
        return self.cells[position].strip()

    def unreadable(self, message: str, name: str, **extra) -> StatementFileError:
        column = getattr(self.mapping, name)
        values = {"row": self.line, "column": column, "value": self[name][:40]}
        return StatementFileError("csv_mapping", message % {**values, **extra})


def _csv_entry(row: _Row, date_format: str) -> BankEntry | None:
    """The row's entry; None for a row without a date or an amount (a pending
    card payment, a balance line)."""
    if not row["date"] or not row["amount"]:
        return None
    booked_on = _parse_date(row["date"], date_format)
    if booked_on is None:
        raise row.unreadable(
            _(
                "Row %(row)s, column “%(column)s”: “%(value)s” is not a date "
                "in the form %(format)s."
            ),
            "date",
            format=_human_date_format(date_format),
        )
    amount = _csv_amount(row)
    return BankEntry(
        booked_on=booked_on,
        amount=amount,
        currency=_csv_currency(row),
        counterparty=_one_line(row["counterparty"]),
        title=_lines(row["title"].splitlines()),
        # ING writes ids as '202511030000101' so that Excel keeps the digits.
        bank_reference=row["reference"].strip("'"),
        is_credit=amount > 0,
        is_reversal=False,
        is_booked=True,
    )


def _csv_amount(row: _Row) -> Decimal:
    """The signed amount; a debit/credit column, if mapped, gives the sign."""
    amount = _parse_amount(row["amount"])
    if amount is None:
        raise row.unreadable(
            _("Row %(row)s, column “%(column)s”: “%(value)s” is not an amount."),
            "amount",
        )
    if not row.mapping.direction:
        return amount
    mark = _fold(row["direction"])
    if mark in DEBIT_MARKS:
        return -abs(amount)
    if mark in CREDIT_MARKS:
        return abs(amount)
    raise row.unreadable(
        _(
            "Row %(row)s, column “%(column)s”: “%(value)s” says neither debit "
            "nor credit."
        ),
        "direction",
    )


def _csv_currency(row: _Row) -> str:
    code = row["currency"]
    if not code:
        # "100,00 PLN": some banks write the currency into the amount.
        suffix = re.search(r"\b([A-Z]{3})\b", row["amount"])
        return suffix.group(1) if suffix else ""
    if not re.fullmatch(r"[A-Za-z]{3}", code):
        raise row.unreadable(
            _(
                "Row %(row)s, column “%(column)s”: “%(value)s” is not a "
                "currency code such as EUR or PLN."
            ),
            "currency",
        )
    return code.upper()


AMOUNT = re.compile(
    r"(?P<sign>[-+−–])?(?P<open>\()?(?P<number>\d[\d.,]*)(?(open)\))(?P<trailing>-)?"
)
CURRENCY_AROUND = re.compile(r"^(?:[A-Za-z]{3}|zł|[€$£₽₴])|(?:[A-Za-z]{3}|zł|[€$£₽₴])$")


def _parse_amount(text: str) -> Decimal | None:
    """A signed amount: decimal comma or point, thousands separated by spaces,
    non-breaking spaces, apostrophes or the other mark; minus in front,
    behind or as parentheses; a currency code or sign around it. A single
    mark is the decimal one (1,234 is 1.234). None if the text is no amount."""
    compact = re.sub(r"[\s\u00a0\u202f'’]", "", text)
    compact = CURRENCY_AROUND.sub("", compact)
    match = AMOUNT.fullmatch(compact)
    if not match:
        return None
    number = match.group("number")
    marks = [c for c in number if c in ".,"]
    if marks:
        decimal_mark = marks[-1]
        if len(set(marks)) == 1 and len(marks) > 1:
            decimal_mark = ""  # 1.234.567 or 1,234,567: thousands only
        whole, _mark, fraction = (
            number.rpartition(decimal_mark) if decimal_mark else (number, "", "")
        )
        number = re.sub(r"[.,]", "", whole) + ("." + fraction if fraction else "")
    try:
        amount = Decimal(number)
    except InvalidOperation:
        return None
    negative = match.group("sign") in ("-", "−", "–") or match.group("trailing")
    return -amount if negative or match.group("open") else amount


DATE_TEXT = re.compile(r"\s*(\d{1,4}[-./]\d{1,2}[-./]\d{1,4})(?:[ T,].*)?\s*$")


def _date_text(text: str) -> str:
    """The date part of a date or date-and-time cell, or ""."""
    match = DATE_TEXT.match(text)
    return match.group(1) if match else ""


@functools.lru_cache(maxsize=4096)  # a statement repeats few distinct dates
def _parse_date(text: str, date_format: str) -> date | None:
    try:
        return datetime.strptime(_date_text(text), date_format).date()
    except ValueError:
        return None


def _detect_date_format(values: list[str], column: str) -> str:
    """The first of DATE_FORMATS that reads every value of the column."""
    filled = [v for v in values if v]
    for date_format in DATE_FORMATS:
        if all(_parse_date(v, date_format) for v in filled):
            return date_format
    unreadable = next(
        (v for v in filled if not any(_parse_date(v, f) for f in DATE_FORMATS)),
        filled[0],
    )
    raise StatementFileError(
        "csv_mapping",
        _(
            "Column “%(column)s”: dates like “%(value)s” are in no form Zbor "
            "reads (%(formats)s)."
        )
        % {
            "column": column,
            "value": unreadable[:40],
            "formats": ", ".join(_human_date_format(f) for f in DATE_FORMATS),
        },
    )


def _human_date_format(date_format: str) -> str:
    return date_format.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
