"""The platform's fee rule (docs/payments.md), in one place."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from common.money import quantize_money


@dataclass(frozen=True)
class Fees:
    consultation_fee: Decimal
    transaction_fee: Decimal
    total_amount: Decimal
    currency: str


def fees_for(consultation_fee: Decimal) -> Fees:
    """`TRANSACTION_FEE_PERCENT` of the consultation fee plus `TRANSACTION_FEE_FIXED`, rounded
    half-up to cents. A free consultation carries no transaction fee."""
    consultation = quantize_money(consultation_fee)
    if consultation == 0:
        transaction = quantize_money(0)
    else:
        percent = Decimal(settings.TRANSACTION_FEE_PERCENT) / Decimal(100)
        transaction = quantize_money(
            consultation * percent + Decimal(settings.TRANSACTION_FEE_FIXED)
        )
    return Fees(consultation, transaction, consultation + transaction, settings.CURRENCY)
