"""Payment instructions for a pledge, and the code a banking app scans into a
transfer: the EPC ("GiroCode") QR code for EUR, the Polish banks' 2D code
(ZBP) for PLN into a Polish account."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import segno
from babel.numbers import get_decimal_symbol
from django.utils.translation import get_language, to_locale

from campaigns.models import Campaign
from donations.models import Pledge


def compact_iban(iban: str) -> str:
    return "".join(iban.split()).upper()


def group_iban(iban: str) -> str:
    """ "PL61109010140000071219812874" as "PL61 1090 1014 0000 0712 1981 2874"."""
    compact = compact_iban(iban)
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


@dataclass(frozen=True)
class PaymentDetails:
    account_holder: str
    iban: str  # grouped by four for reading
    bic: str
    bank_name: str
    other: str
    qr_kind: str  # "epc", "zbp" or "" (no code for this campaign or amount)
    # What the IBAN's copy button copies: the compact IBAN, or for zloty into
    # a Polish account the 26-digit domestic number Polish banking apps take.
    account_to_copy: str = ""

    @property
    def has_qr(self) -> bool:
        return bool(self.qr_kind)

    @property
    def has_bank_account(self) -> bool:
        return bool(self.iban)


def has_epc_qr(campaign: Campaign) -> bool:
    """EPC QR codes carry euros only, and need an account holder and an IBAN."""
    return (
        campaign.currency == "EUR"
        and bool(campaign.account_holder.strip())
        and len(compact_iban(campaign.iban)) > 4
    )


def has_zbp_code(pledge: Pledge) -> bool:
    """The Polish 2D code carries zloty into a Polish account (26 digits after
    "PL"), an amount of six digits of grosze at most, and a recipient's name."""
    campaign = pledge.campaign
    iban = compact_iban(campaign.iban)
    return (
        campaign.currency == "PLN"
        and bool(ZBP_ACCOUNT.fullmatch(iban))
        and bool(zbp_text(campaign.account_holder, 20))
        and Decimal(0) < pledge.amount.amount <= ZBP_MAX_AMOUNT
    )


def qr_kind(pledge: Pledge) -> str:
    if has_epc_qr(pledge.campaign):
        return "epc"
    if has_zbp_code(pledge):
        return "zbp"
    return ""


def payment_details(pledge: Pledge) -> PaymentDetails:
    campaign = pledge.campaign
    return PaymentDetails(
        account_holder=campaign.account_holder,
        iban=group_iban(campaign.iban),
        bic=campaign.bic.strip().upper(),
        bank_name=campaign.bank_name,
        other=campaign.payment_other,
        qr_kind=qr_kind(pledge),
        account_to_copy=account_to_copy(campaign),
    )


def account_to_copy(campaign: Campaign) -> str:
    iban = compact_iban(campaign.iban)
    if campaign.currency == "PLN" and ZBP_ACCOUNT.fullmatch(iban):
        return iban[2:]
    return iban


def pay_by(pledge: Pledge) -> datetime:
    """When a pending pledge expires (Pledge.expires_at: later once its donor
    said the transfer was sent)."""
    return pledge.expires_at


def amount_to_type(amount: Decimal, language: str | None = None) -> str:
    """The amount as a banking app's amount field takes it: no currency, no
    thousands separator, the reader's decimal mark, cents only when there are
    some ("1250", "12,50" in Polish)."""
    text = f"{amount:.2f}".removesuffix(".00")
    locale = to_locale(language or get_language() or "en")
    return text.replace(".", get_decimal_symbol(locale))


def epc_fields(pledge: Pledge) -> dict:
    """The EPC QR code's fields for a pledge.

    The reference goes in the unstructured remittance text: ours is not an
    ISO 11649 creditor reference.
    """
    campaign = pledge.campaign
    bic = campaign.bic.strip().upper()
    return {
        "name": campaign.account_holder.strip()[:70],
        "iban": compact_iban(campaign.iban),
        "amount": pledge.amount.amount,
        "text": pledge.reference,
        "bic": bic if len(bic) in (8, 11) else None,
    }


def epc_payload(pledge: Pledge) -> bytes:
    """The text inside epc_qr(): the European Payments Council's QR format
    (EPC069-12, version 002), one field a line, in UTF-8 (character set 1).

    The amount is "EUR" and at most two decimals; the reference is the
    unstructured remittance text (the creditor-reference line stays empty)."""
    fields = epc_fields(pledge)
    amount = f"{fields['amount']:.2f}".rstrip("0").rstrip(".")
    lines = [
        "BCD",  # service tag
        "002",  # version
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        fields["bic"] or "",
        fields["name"],
        fields["iban"],
        f"EUR{amount}",
        "",  # purpose
        "",  # ISO 11649 creditor reference
        fields["text"][:140],
    ]
    return "\n".join(lines).encode("utf-8")


def epc_qr(pledge: Pledge) -> segno.QRCode:
    """A QR code banking apps scan into a transfer with amount and reference set.

    Error correction level M, as the EPC guidelines ask."""
    return segno.make_qr(epc_payload(pledge), error="m")


def epc_qr_svg(pledge: Pledge) -> bytes:
    buffer = io.BytesIO()
    epc_qr(pledge).save(buffer, kind="svg", scale=4, border=4, title=pledge.reference)
    return buffer.getvalue()


# The Polish banks' 2D code ------------------------------------------------------
# Związek Banków Polskich, "Rekomendacja dotycząca kodu dwuwymiarowego" (2013):
# nine fields separated by "|": the recipient's NIP (empty: a private
# collection has none), the country "PL", the 26-digit account number, the
# amount in grosze as six digits, the recipient's name (20 characters at most),
# the transfer's title (32 at most), and three reserved fields, left empty.

ZBP_ACCOUNT = re.compile(r"PL[0-9]{26}")
ZBP_MAX_AMOUNT = Decimal("9999.99")  # six digits of grosze
# Letters (Polish ones included), digits, spaces and a few marks; never "|".
ZBP_UNSAFE = re.compile(r"[^0-9A-Za-zĄĆĘŁŃÓŚŹŻąćęłńóśźż ,./\\\-@#&*_]")


def zbp_text(text: str, length: int) -> str:
    """`text` with what the code cannot carry dropped, cut to `length`."""
    return " ".join(ZBP_UNSAFE.sub("", text).split())[:length].strip()


def zbp_fields(pledge: Pledge) -> list[str]:
    campaign = pledge.campaign
    grosze = int(pledge.amount.amount * 100)
    return [
        "",  # NIP
        "PL",
        compact_iban(campaign.iban)[2:],
        f"{grosze:06d}",
        zbp_text(campaign.account_holder, 20),
        zbp_text(pledge.reference, 32),
        "",
        "",
        "",
    ]


def zbp_payload(pledge: Pledge) -> bytes:
    """The text inside the Polish 2D code, in UTF-8."""
    return "|".join(zbp_fields(pledge)).encode("utf-8")


def payment_qr_svg(pledge: Pledge) -> bytes | None:
    """The code a banking app scans for this pledge (EPC for EUR, ZBP for PLN),
    as SVG, or None when the campaign or the amount has none."""
    kind = qr_kind(pledge)
    if not kind:
        return None
    payload = epc_payload(pledge) if kind == "epc" else zbp_payload(pledge)
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(
        buffer, kind="svg", scale=4, border=4, title=pledge.reference
    )
    return buffer.getvalue()
