"""ISO 4217 currency codes and their minor-unit exponents.

Gateway amounts are integers in the currency's minor unit; the number of decimals comes from
this table, never from dividing by 100. Precious metals and testing codes (XAU, XXX, ...) have no
minor unit and are not accepted as money currencies.
"""

from __future__ import annotations

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR "
    "FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW "
    "KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN "
    "NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD "
    "SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU "
    "UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
)
# Withdrawn codes that still appear in the ECB history file (and in old ledgers).
_HISTORIC_TWO = "CYP EEK HRK LTL LVL MTL ROL SIT SKK"
_HISTORIC_ZERO = "TRL"


def _table() -> dict[str, int]:
    table: dict[str, int] = {}
    for codes, exponent in (
        (_TWO, 2),
        (_ZERO, 0),
        (_THREE, 3),
        (_FOUR, 4),
        (_HISTORIC_TWO, 2),
        (_HISTORIC_ZERO, 0),
    ):
        table.update(dict.fromkeys(codes.split(), exponent))
    return table


#: ISO code (upper case) -> number of decimals of its minor unit.
CURRENCY_EXPONENTS: dict[str, int] = _table()
#: Codes withdrawn from ISO 4217 but still found in historic rate files.
HISTORIC_CURRENCIES: frozenset[str] = frozenset((_HISTORIC_TWO + " " + _HISTORIC_ZERO).split())
#: Every accepted code, upper case.
CURRENCY_CODES: frozenset[str] = frozenset(CURRENCY_EXPONENTS)


def is_currency(code: object) -> bool:
    """True for a known ISO 4217 code, in either case (Stripe writes ``"usd"``)."""
    return isinstance(code, str) and code.upper() in CURRENCY_EXPONENTS


def exponent(code: str) -> int:
    """Decimals of the currency's minor unit (``JPY`` 0, ``USD`` 2, ``KWD`` 3)."""
    try:
        return CURRENCY_EXPONENTS[code.upper()]
    except KeyError:
        raise ValueError(f"unknown ISO 4217 currency code: {code!r}") from None
