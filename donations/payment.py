"""Payment instructions for a pledge, and the EPC ("GiroCode") QR code for EUR."""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno

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
    has_qr: bool

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


def payment_details(pledge: Pledge) -> PaymentDetails:
    campaign = pledge.campaign
    return PaymentDetails(
        account_holder=campaign.account_holder,
        iban=group_iban(campaign.iban),
        bic=campaign.bic.strip().upper(),
        bank_name=campaign.bank_name,
        other=campaign.payment_other,
        has_qr=has_epc_qr(campaign),
    )


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
