//! Currencies and non-negative amounts of money, in integer minor units (never floats).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{FlameError, Result};

/// An ISO 4217 currency with a defined number of minor units (`USD`, `JPY`, `KWD`, …).
///
/// Codes without minor units (`XAU`, `XXX`, …) are refused. Serialized as the code string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// Parses an ISO 4217 alphabetic code, trimmed and in any case (`"usd"`, `" EUR "`).
    pub fn parse(code: &str) -> Result<Currency> {
        let code = code.trim().to_ascii_uppercase();
        let currency = iso_currency::Currency::from_code(&code).ok_or_else(|| {
            FlameError::validation("currency", "is not an ISO 4217 currency code")
        })?;
        Currency::try_from(currency)
    }

    /// The ISO 4217 alphabetic code, uppercase (`"USD"`).
    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// How many decimal places the currency has (USD 2, JPY 0, KWD 3).
    pub fn minor_units(&self) -> u8 {
        self.0.exponent().and_then(|e| u8::try_from(e).ok()).unwrap_or(0)
    }

    /// The underlying [`iso_currency::Currency`].
    pub fn iso(&self) -> iso_currency::Currency {
        self.0
    }

    /// How many minor units make one major unit (USD 100, JPY 1, KWD 1000).
    fn scale(&self) -> i64 {
        10_i64.pow(u32::from(self.minor_units()))
    }
}

/// The largest number of minor units a [`Currency`] may have (so that its scale fits in `i64`).
const MAX_MINOR_UNITS: u16 = 18;

impl TryFrom<iso_currency::Currency> for Currency {
    type Error = FlameError;

    /// Accepts the currencies that have a defined number of minor units.
    fn try_from(currency: iso_currency::Currency) -> Result<Self> {
        match currency.exponent() {
            Some(e) if e <= MAX_MINOR_UNITS => Ok(Currency(currency)),
            _ => Err(FlameError::validation("currency", "has no defined number of minor units")),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = FlameError;

    fn from_str(s: &str) -> Result<Self> {
        Currency::parse(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = FlameError;

    fn try_from(value: String) -> Result<Self> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> Self {
        currency.code().to_owned()
    }
}

/// A non-negative amount of money: an integer count of the currency's minor units (cents).
///
/// Serialized as `{"amount_minor": 123450, "currency": "USD"}`; deserialization validates it
/// again.
#[derive(PartialEq, Eq, Hash, Clone, Copy, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(try_from = "MoneyRepr", into = "MoneyRepr")]
pub struct Money {
    amount_minor: i64,
    currency: Currency,
}

/// The serialized form of [`Money`].
#[derive(Serialize, Deserialize)]
struct MoneyRepr {
    amount_minor: i64,
    currency: Currency,
}

impl TryFrom<MoneyRepr> for Money {
    type Error = FlameError;

    fn try_from(repr: MoneyRepr) -> Result<Self> {
        Money::from_minor(repr.amount_minor, repr.currency)
    }
}

impl From<Money> for MoneyRepr {
    fn from(money: Money) -> Self {
        MoneyRepr { amount_minor: money.amount_minor, currency: money.currency }
    }
}

fn amount_error(reason: impl Into<String>) -> FlameError {
    FlameError::validation("amount", reason)
}

fn too_large() -> FlameError {
    amount_error("is larger than the maximum of 10^15 minor units")
}

impl Money {
    /// The largest amount, in minor units, that a single amount of money may have: 10^15
    /// (10 trillion USD, 10^15 JPY). Larger amounts are a [`FlameError::Validation`] on
    /// `amount`, so that sums of many amounts (stage totals, reports) stay far from overflow.
    pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;

    /// `amount_minor` minor units of `currency` (12345 USD cents is 123.45 USD); refuses
    /// negative amounts and amounts above [`Money::MAX_AMOUNT_MINOR`].
    pub fn from_minor(amount_minor: i64, currency: Currency) -> Result<Money> {
        if amount_minor < 0 {
            return Err(amount_error("must not be negative"));
        }
        if amount_minor > Money::MAX_AMOUNT_MINOR {
            return Err(too_large());
        }
        Ok(Money { amount_minor, currency })
    }

    /// A total of bounded amounts (a stage total, a report sum) as computed without overflow
    /// in `i128`; it may exceed [`Money::MAX_AMOUNT_MINOR`]. Errors only when the total is
    /// negative or does not fit in `i64` (more than 9,223 amounts at the maximum).
    pub fn from_total(total_minor: i128, currency: Currency) -> Result<Money> {
        if total_minor < 0 {
            return Err(amount_error("must not be negative"));
        }
        let amount_minor =
            i64::try_from(total_minor).map_err(|_| amount_error("is too large to add up"))?;
        Ok(Money { amount_minor, currency })
    }

    /// No money in `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money { amount_minor: 0, currency }
    }

    /// Parses a decimal `amount` (`"1234.5"`, `"0.07"`, `"1000"`) in the currency whose code is
    /// `currency`, with integer arithmetic only. The amount may have at most as many decimal
    /// places as the currency has minor units.
    pub fn parse(amount: &str, currency: &str) -> Result<Money> {
        let currency = Currency::parse(currency)?;
        let amount = amount.trim();
        if amount.starts_with('-') {
            return Err(amount_error("must not be negative"));
        }
        let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || (amount.contains('.') && !all_digits(fraction)) {
            return Err(amount_error("is not a decimal number"));
        }
        let units = usize::from(currency.minor_units());
        if fraction.len() > units {
            return Err(amount_error(format!(
                "has more than {units} decimal places for {}",
                currency.code()
            )));
        }
        let mut minor: i64 = 0;
        let padding = std::iter::repeat_n(b'0', units - fraction.len());
        for digit in whole.bytes().chain(fraction.bytes()).chain(padding) {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(digit - b'0')))
                .filter(|m| *m <= Money::MAX_AMOUNT_MINOR)
                .ok_or_else(too_large)?;
        }
        Ok(Money { amount_minor: minor, currency })
    }

    /// The amount in minor units (cents).
    pub fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount_minor == 0
    }

    /// The amount as a decimal string with exactly the currency's number of decimal places
    /// (`"1234.50"`, JPY `"1234"`).
    pub fn to_decimal_string(&self) -> String {
        let units = usize::from(self.currency.minor_units());
        if units == 0 {
            return self.amount_minor.to_string();
        }
        let scale = self.currency.scale();
        let whole = self.amount_minor / scale;
        let fraction = self.amount_minor % scale;
        format!("{whole}.{fraction:0units$}")
    }

    /// The sum of two amounts of the same currency (a total, which may exceed
    /// [`Money::MAX_AMOUNT_MINOR`]); errors on a currency mismatch or an `i64` overflow.
    pub fn checked_add(&self, other: &Money) -> Result<Money> {
        if self.currency != other.currency {
            return Err(FlameError::validation(
                "currency",
                format!("mixes {} and {}", self.currency, other.currency),
            ));
        }
        let amount_minor = self
            .amount_minor
            .checked_add(other.amount_minor)
            .ok_or_else(|| amount_error("is too large to add up"))?;
        Ok(Money { amount_minor, currency: self.currency })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn error_of(result: Result<impl fmt::Debug>) -> (String, String) {
        match result.unwrap_err() {
            FlameError::Validation { field, reason } => (field, reason),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn amount_reason(amount: &str, currency: &str) -> String {
        let (field, reason) = error_of(Money::parse(amount, currency));
        assert_eq!(field, "amount", "{amount} {currency}");
        reason
    }

    #[test]
    fn currency_parse_normalizes() {
        for input in ["USD", "usd", " Usd \t"] {
            let c = Currency::parse(input).unwrap();
            assert_eq!(c.code(), "USD");
            assert_eq!(c.to_string(), "USD");
            assert_eq!(c, usd());
        }
        assert_eq!("eur".parse::<Currency>().unwrap().code(), "EUR");
        assert_eq!(usd().iso(), iso_currency::Currency::USD);
    }

    #[test]
    fn currency_minor_units() {
        assert_eq!(usd().minor_units(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().minor_units(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().minor_units(), 3);
        assert_eq!(Currency::parse("RUB").unwrap().minor_units(), 2);
        assert_eq!(Currency::parse("CLF").unwrap().minor_units(), 4);
    }

    #[test]
    fn currency_rejects_unknown() {
        for input in ["", "US", "USDX", "ABC", "dollar", "€", "ÜSD"] {
            let (field, reason) = error_of(Currency::parse(input));
            assert_eq!(field, "currency");
            assert_eq!(reason, "is not an ISO 4217 currency code", "{input}");
        }
    }

    #[test]
    fn currency_rejects_codes_without_minor_units() {
        for input in ["XAU", "XXX", "xts", "XDR"] {
            let (field, reason) = error_of(Currency::parse(input));
            assert_eq!(field, "currency");
            assert_eq!(reason, "has no defined number of minor units", "{input}");
        }
        assert!(Currency::try_from(iso_currency::Currency::XAU).is_err());
        assert!(Currency::try_from(iso_currency::Currency::EUR).is_ok());
    }

    #[test]
    fn currency_serde() {
        let json = serde_json::to_string(&usd()).unwrap();
        assert_eq!(json, "\"USD\"");
        assert_eq!(serde_json::from_str::<Currency>(&json).unwrap(), usd());
        assert_eq!(serde_json::from_str::<Currency>("\"usd\"").unwrap(), usd());
        let err = serde_json::from_str::<Currency>("\"XAU\"").unwrap_err();
        assert!(err.to_string().contains("invalid currency"));
        assert!(serde_json::from_str::<Currency>("\"NOPE\"").is_err());
    }

    #[test]
    fn from_minor_and_zero() {
        let m = Money::from_minor(123_450, usd()).unwrap();
        assert_eq!(m.amount_minor(), 123_450);
        assert_eq!(m.currency(), usd());
        assert!(!m.is_zero());
        let max = Money::MAX_AMOUNT_MINOR;
        assert_eq!(Money::from_minor(max, usd()).unwrap().amount_minor(), max);
        let (field, reason) = error_of(Money::from_minor(max + 1, usd()));
        assert_eq!(field, "amount");
        assert_eq!(reason, "is larger than the maximum of 10^15 minor units");
        assert!(Money::from_minor(i64::MAX, usd()).is_err());
        let (field, reason) = error_of(Money::from_minor(-1, usd()));
        assert_eq!((field.as_str(), reason.as_str()), ("amount", "must not be negative"));
        let zero = Money::zero(usd());
        assert_eq!(zero.amount_minor(), 0);
        assert!(zero.is_zero());
        assert_eq!(zero.to_string(), "0.00 USD");
    }

    #[test]
    fn parse_decimals() {
        let cases = [
            ("1234.5", "USD", 123_450),
            ("1234.50", "USD", 123_450),
            ("0.07", "USD", 7),
            ("1000", "USD", 100_000),
            ("0", "USD", 0),
            ("0.0", "USD", 0),
            ("007.10", "usd", 710),
            (" 12.34 ", "USD", 1234),
            ("1234", "JPY", 1234),
            ("1.234", "KWD", 1234),
            ("1.2", "KWD", 1200),
            ("5", "KWD", 5000),
        ];
        for (amount, currency, minor) in cases {
            let m = Money::parse(amount, currency).unwrap();
            assert_eq!(m.amount_minor(), minor, "{amount} {currency}");
            assert_eq!(m.currency(), Currency::parse(currency).unwrap());
        }
    }

    #[test]
    fn parse_rejects_too_many_decimals() {
        assert_eq!(amount_reason("1.999", "USD"), "has more than 2 decimal places for USD");
        assert_eq!(amount_reason("1.990", "USD"), "has more than 2 decimal places for USD");
        assert_eq!(amount_reason("1.5", "JPY"), "has more than 0 decimal places for JPY");
        assert_eq!(amount_reason("1.0", "JPY"), "has more than 0 decimal places for JPY");
        assert_eq!(amount_reason("1.2345", "KWD"), "has more than 3 decimal places for KWD");
    }

    #[test]
    fn parse_rejects_negative() {
        assert_eq!(amount_reason("-1", "USD"), "must not be negative");
        assert_eq!(amount_reason("-0.01", "USD"), "must not be negative");
        assert_eq!(amount_reason(" -5", "USD"), "must not be negative");
    }

    #[test]
    fn parse_rejects_non_decimals() {
        for amount in [
            "", " ", "abc", "1,000", "1,5", "1.2.3", ".5", "5.", ".", "+5", "1e3", "1 000", "0x10",
            "NaN", "١٢٣", "1_000", "12.3a",
        ] {
            assert_eq!(amount_reason(amount, "USD"), "is not a decimal number", "{amount:?}");
        }
    }

    #[test]
    fn parse_checks_currency_first() {
        let (field, reason) = error_of(Money::parse("1.00", "XYZ"));
        assert_eq!(
            (field.as_str(), reason.as_str()),
            ("currency", "is not an ISO 4217 currency code")
        );
        let (field, _) = error_of(Money::parse("1.00", "XAU"));
        assert_eq!(field, "currency");
    }

    #[test]
    fn parse_overflow_boundaries() {
        let too_large = "is larger than the maximum of 10^15 minor units";
        let max = Money::parse("10000000000000.00", "USD").unwrap();
        assert_eq!(max.amount_minor(), Money::MAX_AMOUNT_MINOR);
        assert_eq!(amount_reason("10000000000000.01", "USD"), too_large);
        assert_eq!(amount_reason("92233720368547758.08", "USD"), too_large);
        assert_eq!(amount_reason("92233720368547759", "USD"), too_large);
        assert_eq!(Money::parse("1000000000000000", "JPY").unwrap().amount_minor(), 10_i64.pow(15));
        assert_eq!(amount_reason("1000000000000001", "JPY"), too_large);
        assert_eq!(amount_reason("9223372036854775808", "JPY"), too_large);
        assert_eq!(amount_reason(&"9".repeat(40), "JPY"), too_large);
        // Leading zeros do not overflow.
        let padded = format!("{}1.00", "0".repeat(40));
        assert_eq!(Money::parse(&padded, "USD").unwrap().amount_minor(), 100);
    }

    #[test]
    fn decimal_string_and_display() {
        let m = Money::parse("1234.5", "USD").unwrap();
        assert_eq!(m.to_decimal_string(), "1234.50");
        assert_eq!(m.to_string(), "1234.50 USD");
        assert_eq!(Money::parse("0.07", "USD").unwrap().to_decimal_string(), "0.07");
        assert_eq!(Money::parse("1234", "JPY").unwrap().to_string(), "1234 JPY");
        assert_eq!(Money::parse("1.05", "KWD").unwrap().to_string(), "1.050 KWD");
        assert_eq!(Money::parse("0.0001", "CLF").unwrap().to_decimal_string(), "0.0001");
        let max = Money::from_minor(Money::MAX_AMOUNT_MINOR, usd()).unwrap();
        assert_eq!(max.to_decimal_string(), "10000000000000.00");
        let total = Money::from_total(i128::from(i64::MAX), usd()).unwrap();
        assert_eq!(total.to_decimal_string(), "92233720368547758.07");
    }

    #[test]
    fn decimal_string_round_trips() {
        for (amount, currency) in [("0.00", "USD"), ("1.01", "USD"), ("5", "JPY"), ("0.500", "KWD")]
        {
            let m = Money::parse(amount, currency).unwrap();
            assert_eq!(m.to_decimal_string(), amount);
            assert_eq!(Money::parse(&m.to_decimal_string(), currency).unwrap(), m);
        }
    }

    #[test]
    fn checked_add() {
        let a = Money::parse("1.50", "USD").unwrap();
        let b = Money::parse("2.75", "USD").unwrap();
        assert_eq!(a.checked_add(&b).unwrap(), Money::parse("4.25", "USD").unwrap());
        assert_eq!(a.checked_add(&Money::zero(usd())).unwrap(), a);
    }

    #[test]
    fn checked_add_rejects_mixed_currencies() {
        let a = Money::parse("1", "USD").unwrap();
        let b = Money::parse("1", "EUR").unwrap();
        let (field, reason) = error_of(a.checked_add(&b));
        assert_eq!((field.as_str(), reason.as_str()), ("currency", "mixes USD and EUR"));
    }

    #[test]
    fn checked_add_rejects_overflow() {
        let max = Money::from_total(i128::from(i64::MAX), usd()).unwrap();
        let cent = Money::from_minor(1, usd()).unwrap();
        let (field, reason) = error_of(max.checked_add(&cent));
        assert_eq!((field.as_str(), reason.as_str()), ("amount", "is too large to add up"));
        assert_eq!(max.checked_add(&Money::zero(usd())).unwrap(), max);
        let bound = Money::from_minor(Money::MAX_AMOUNT_MINOR, usd()).unwrap();
        let sum = bound.checked_add(&bound).unwrap();
        assert_eq!(sum.amount_minor(), 2 * Money::MAX_AMOUNT_MINOR);
        assert!(Money::from_total(i128::from(i64::MAX) + 1, usd()).is_err());
        assert!(Money::from_total(-1, usd()).is_err());
    }

    #[test]
    fn money_serde_round_trip() {
        let m = Money::parse("1234.50", "USD").unwrap();
        let json = serde_json::to_value(m).unwrap();
        assert_eq!(json, serde_json::json!({"amount_minor": 123_450, "currency": "USD"}));
        let back: Money = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Money>(&text).unwrap(), m);
    }

    #[test]
    fn money_serde_validates() {
        let err = serde_json::from_str::<Money>(r#"{"amount_minor": -1, "currency": "USD"}"#)
            .unwrap_err();
        assert!(err.to_string().contains("must not be negative"));
        assert!(
            serde_json::from_str::<Money>(r#"{"amount_minor": 1, "currency": "XAU"}"#).is_err()
        );
        assert!(
            serde_json::from_str::<Money>(r#"{"amount_minor": 1.5, "currency": "USD"}"#).is_err()
        );
        assert!(serde_json::from_str::<Money>(r#"{"amount_minor": 1}"#).is_err());
        let m: Money = serde_json::from_str(r#"{"amount_minor": 7, "currency": "jpy"}"#).unwrap();
        assert_eq!(m.to_string(), "7 JPY");
    }
}
