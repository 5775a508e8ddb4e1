"""Statement files written in a test: a camt.053.001.08 document or a CSV
export holding the credits and debits a test needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

IBAN = "PL61109010140000071219812874"
OTHER_IBAN = "LT121000011101001000"


@dataclass(frozen=True)
class Transfer:
    amount: str
    title: str
    payer: str = "Anna Nowak"
    booked: date = date(2026, 11, 30)
    ref: str = ""  # the bank's own entry reference
    debit: bool = False
    reversal: bool = False
    currency: str = "EUR"


def _entry(n: int, transfer: Transfer) -> str:
    ref = transfer.ref or f"ZB{n:06d}"
    party = "Cdtr" if transfer.debit else "Dbtr"
    return f"""
      <Ntry>
        <NtryRef>{n}</NtryRef>
        <Amt Ccy="{transfer.currency}">{transfer.amount}</Amt>
        <CdtDbtInd>{"DBIT" if transfer.debit else "CRDT"}</CdtDbtInd>
        <RvslInd>{"true" if transfer.reversal else "false"}</RvslInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{transfer.booked.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{transfer.booked.isoformat()}</Dt></ValDt>
        <AcctSvcrRef>{ref}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>
        </Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <RltdPties><{party}><Pty><Nm>{escape(transfer.payer)}</Nm></Pty></{party}>
          </RltdPties>
          <RmtInf><Ustrd>{escape(transfer.title)}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def camt053(
    *transfers: Transfer, iban: str = IBAN, currency: str = "EUR", start: int = 1
) -> bytes:
    """A camt.053.001.08 statement of `iban` holding these transfers."""
    entries = "".join(_entry(start + n, t) for n, t in enumerate(transfers))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>ZBOR-TEST</MsgId><CreDtTm>2026-12-01T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>ZBOR-TEST-1</Id>
      <CreDtTm>2026-12-01T06:00:00</CreDtTm>
      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>
      {entries}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


POLISH_CSV_HEADER = "Data operacji;Kwota;Waluta;Nadawca;Tytuł"


def polish_csv(*transfers: Transfer) -> bytes:
    """A Polish bank's CSV export: `;`, decimal commas, a Polish header."""
    rows = [POLISH_CSV_HEADER]
    for t in transfers:
        amount = ("-" if t.debit else "") + t.amount.replace(".", ",")
        rows.append(f"{t.booked:%d.%m.%Y};{amount};{t.currency};{t.payer};{t.title}")
    return ("\n".join(rows) + "\n").encode("utf-8-sig")
