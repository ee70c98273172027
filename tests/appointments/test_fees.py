from decimal import Decimal

import pytest

from appointments.fees import fees_for
from common.money import quantize_money


@pytest.mark.parametrize(
    ("fee", "percent", "fixed", "expected"),
    [
        ("100.00", "3.00", "0.50", ("3.50", "103.50")),
        # 0.15% of 3.00 = 0.0045 + 0.0005 = 0.005 -> half-up to 0.01
        ("3.00", "0.15", "0.0005", ("0.01", "3.01")),
        ("0.00", "3.00", "0.50", ("0.00", "0.00")),
        ("99999999.99", "3.00", "0.50", ("3000000.50", "103000000.49")),
        ("10.10", "2.50", "0.00", ("0.25", "10.35")),
        ("33.33", "3.00", "0.00", ("1.00", "34.33")),
    ],
)
def test_fee_arithmetic(settings, fee, percent, fixed, expected):
    settings.TRANSACTION_FEE_PERCENT = Decimal(percent)
    settings.TRANSACTION_FEE_FIXED = Decimal(fixed)
    fees = fees_for(Decimal(fee))
    assert (str(fees.transaction_fee), str(fees.total_amount)) == expected
    assert fees.total_amount == fees.consultation_fee + fees.transaction_fee
    assert isinstance(fees.total_amount, Decimal)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"), ("-0.005", "-0.01"), (1, "1.00")],
)
def test_money_rounds_half_up_to_cents(value, expected):
    assert str(quantize_money(value)) == expected


def test_currency_comes_from_settings(settings):
    settings.CURRENCY = "CHF"
    assert fees_for(Decimal("10")).currency == "CHF"
