//! Amount arithmetic of §4: the line formula, exact UOM factors, one rounding per line with the
//! partner's strategy and order, tolerance and `pay_basis`. All arithmetic is checked: an
//! overflow is an [`AmountError`] that the pipeline reports as V0 `DATA_INVALID`, never a panic.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::settings::{EngineSettings, PayBasis, RoundingOrder, RoundingStrategy};

/// Arithmetic that cannot be carried out exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// A product or sum left the range of `Decimal`.
    #[error("amount arithmetic overflowed")]
    Overflow,
    /// A UOM factor had a zero denominator.
    #[error("unit of measure factor has a zero denominator")]
    ZeroDenominator,
}

/// Exact factor converting a sale quantity into contract units: `num / den`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UomFactor {
    /// Numerator.
    pub num: u32,
    /// Denominator.
    pub den: u32,
}

impl UomFactor {
    /// Sale and contract units are the same.
    pub const IDENTITY: Self = Self { num: 1, den: 1 };

    /// [`Self::IDENTITY`], for serde's `default`.
    pub fn identity() -> Self {
        Self::IDENTITY
    }

    /// Whether sale and contract units are the same (a stored snapshot leaves it out).
    pub fn is_identity(&self) -> bool {
        *self == Self::IDENTITY
    }

    /// `quantity × num / den`, exact (multiply before dividing).
    pub fn to_contract_units(self, quantity: Decimal) -> Result<Decimal, AmountError> {
        if self == Self::IDENTITY {
            return Ok(quantity);
        }
        if self.den == 0 {
            return Err(AmountError::ZeroDenominator);
        }
        quantity
            .checked_mul(Decimal::from(self.num))
            .ok_or(AmountError::Overflow)?
            .checked_div(Decimal::from(self.den))
            .ok_or(AmountError::Overflow)
    }

    /// A unit price per contract unit expressed per sale unit: `price × num / den`.
    pub fn price_per_sale_unit(self, price: Decimal) -> Result<Decimal, AmountError> {
        self.to_contract_units(price)
    }
}

/// A price per contract unit taken from a price per another unit `U` (a supplier's list row
/// in another unit: `ref(d)` of §4.1 is per contract unit), kept exact as the price per `U` and
/// the engine's exact factor from `U` to the contract unit. `factor` reads as a sale quantity's
/// does: `num / den` contract units per `U` (EA against a 12-EA case: 1/12), so the price per
/// contract unit is `price × den / num` (10.00 per EA is 120.00 per CA; 120.00 per CA is 10.00
/// per EA with the factor 12/1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConvertedPrice {
    /// Price per `U`.
    pub price: Decimal,
    /// `U` → contract unit.
    pub factor: UomFactor,
}

impl ConvertedPrice {
    /// The price per contract unit, `price × den / num`: multiplied first, divided once, never
    /// rounded. A division that does not end keeps rust_decimal's full precision (100.00 per
    /// 12-EA case is 8.333333333333333333333333333 per EA); amounts are not computed from
    /// that figure but from [`line_amount_from`], whose one division is the last step.
    pub fn per_contract_unit(self) -> Result<Decimal, AmountError> {
        self.per_sale_unit(UomFactor::IDENTITY)
    }

    /// The price per sale unit, where `sale` converts a sale quantity into contract units:
    /// `price × den × sale.num / (num × sale.den)`, one division (a list per EA prices a
    /// sale per EA at its own figure whatever the contract unit).
    pub fn per_sale_unit(self, sale: UomFactor) -> Result<Decimal, AmountError> {
        if self.factor.num == 0 || sale.den == 0 {
            return Err(AmountError::ZeroDenominator);
        }
        let num = u64::from(self.factor.den) * u64::from(sale.num);
        let den = u64::from(self.factor.num) * u64::from(sale.den);
        if num == den {
            return Ok(self.price);
        }
        self.price
            .checked_mul(Decimal::from(num))
            .ok_or(AmountError::Overflow)?
            .checked_div(Decimal::from(den))
            .ok_or(AmountError::Overflow)
    }

    /// `ref − ctr` per contract unit as a fraction: `(price × den − ctr × num) / num`.
    fn unit_chargeback(self, contract_price: Decimal) -> Result<(Decimal, u32), AmountError> {
        if self.factor.num == 0 {
            return Err(AmountError::ZeroDenominator);
        }
        let reference = self
            .price
            .checked_mul(Decimal::from(self.factor.den))
            .ok_or(AmountError::Overflow)?;
        let contract = contract_price
            .checked_mul(Decimal::from(self.factor.num))
            .ok_or(AmountError::Overflow)?;
        let numerator = reference
            .checked_sub(contract)
            .ok_or(AmountError::Overflow)?;
        Ok((numerator, self.factor.num))
    }
}

/// Rounding parameters frozen into a pricing snapshot, so a recomputation gives the same cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rounding {
    /// Decimals of the result.
    pub scale: u32,
    /// Strategy at the midpoint.
    pub strategy: RoundingStrategy,
    /// Where the single rounding happens.
    pub order: RoundingOrder,
}

impl Rounding {
    /// The rounding of the default settings (chargeback-rules 2.1): 2 places, half away from
    /// zero, extend then round.
    pub const STANDARD: Self = Self {
        scale: 2,
        strategy: RoundingStrategy::HalfAwayFromZero,
        order: RoundingOrder::ExtendThenRound,
    };

    /// [`Self::STANDARD`], for serde's `default`.
    pub fn standard() -> Self {
        Self::STANDARD
    }

    /// Whether this is the standard rounding (a stored snapshot leaves it out).
    pub fn is_standard(&self) -> bool {
        *self == Self::STANDARD
    }

    /// The rounding of a settings set.
    pub fn of(settings: &EngineSettings) -> Self {
        Self {
            scale: settings.amount_scale,
            strategy: settings.rounding_strategy,
            order: settings.rounding_order,
        }
    }

    /// Rounds to `scale` with `strategy`; the only rounding call of the engine. The result
    /// has exactly `scale` places (`545.00`, not `545.0`: what the 849 writes), up to
    /// [`MAX_SCALE`] places; past that (an unrounded intermediate) it keeps its own.
    pub fn round(self, value: Decimal) -> Decimal {
        let mut rounded = value.round_dp_with_strategy(self.scale, self.strategy.to_decimal());
        if rounded.scale() < self.scale && self.scale <= MAX_SCALE {
            rounded.rescale(self.scale);
        }
        rounded
    }
}

/// The most decimal places an amount or price is rounded to (a profile's `money.scale` is
/// at most this).
pub const MAX_SCALE: u32 = 6;

/// The places a price resolved for a claimed one is compared or answered in: the claimed
/// price's, at least the currency's (`amount_scale`), at most [`MAX_SCALE`].
pub fn price_places(claimed: Decimal, amount_scale: u32) -> u32 {
    claimed.scale().clamp(amount_scale, MAX_SCALE)
}

/// `line_amount` of §4.1: `round(unit_cb × qty × num / den)` or, with round-unit-then-extend,
/// `round(round(unit_cb) × qty × num / den)`.
pub fn line_amount(
    unit_chargeback: Decimal,
    quantity: Decimal,
    factor: UomFactor,
    rounding: Rounding,
) -> Result<Decimal, AmountError> {
    if factor.den == 0 {
        return Err(AmountError::ZeroDenominator);
    }
    let unit = match rounding.order {
        RoundingOrder::ExtendThenRound => unit_chargeback,
        RoundingOrder::RoundUnitThenExtend => rounding.round(unit_chargeback),
    };
    let product = unit.checked_mul(quantity).ok_or(AmountError::Overflow)?;
    let extended = if factor == UomFactor::IDENTITY {
        product
    } else {
        product
            .checked_mul(Decimal::from(factor.num))
            .ok_or(AmountError::Overflow)?
            .checked_div(Decimal::from(factor.den))
            .ok_or(AmountError::Overflow)?
    };
    Ok(rounding.round(extended))
}

/// `line_amount` of §4.1 when `ref(d)` was converted from a price per another unit:
/// `round((reference.price × r.den / r.num − contract_price) × qty × num / den)`, computed as
/// `round((reference.price × r.den − contract_price × r.num) × qty × num / (r.num × den))`, so
/// the only division is the last step and a result that is a whole number of cents (or half
/// of one) is exact: no cent is lost to a price per contract unit that does not end
/// (100.06 per 12-EA case less 8.00 per EA, 3 EA: 1.015, 1.02 half away from zero, where
/// 8.33833…33 − 8.00 extended gives 1.01499…99). With round-unit-then-extend the unit
/// chargeback is rounded first, as [`line_amount`] does.
pub fn line_amount_from(
    reference: ConvertedPrice,
    contract_price: Decimal,
    quantity: Decimal,
    factor: UomFactor,
    rounding: Rounding,
) -> Result<Decimal, AmountError> {
    if factor.den == 0 {
        return Err(AmountError::ZeroDenominator);
    }
    let (unit_num, unit_den) = reference.unit_chargeback(contract_price)?;
    if rounding.order == RoundingOrder::RoundUnitThenExtend {
        let unit = unit_num
            .checked_div(Decimal::from(unit_den))
            .ok_or(AmountError::Overflow)?;
        return line_amount(unit, quantity, factor, rounding);
    }
    let extended = unit_num
        .checked_mul(quantity)
        .ok_or(AmountError::Overflow)?
        .checked_mul(Decimal::from(factor.num))
        .ok_or(AmountError::Overflow)?
        .checked_div(Decimal::from(u64::from(unit_den) * u64::from(factor.den)))
        .ok_or(AmountError::Overflow)?;
    Ok(rounding.round(extended))
}

/// A line amount in another claim currency (§4.1): the unrounded line amount converted at the
/// rate for *d*, then rounded once. Returns (transaction amount, functional amount).
pub fn line_amount_converted(
    unit_chargeback: Decimal,
    quantity: Decimal,
    factor: UomFactor,
    rate: Decimal,
    rounding: Rounding,
) -> Result<(Decimal, Decimal), AmountError> {
    let unrounded = Rounding {
        scale: 28,
        ..rounding
    };
    let functional_unrounded = line_amount(unit_chargeback, quantity, factor, unrounded)?;
    let functional = rounding.round(functional_unrounded);
    let transaction = rounding.round(
        functional_unrounded
            .checked_mul(rate)
            .ok_or(AmountError::Overflow)?,
    );
    Ok((transaction, functional))
}

/// `Σ line_amount`, never re-rounded.
pub fn total<'a>(amounts: impl IntoIterator<Item = &'a Decimal>) -> Result<Decimal, AmountError> {
    amounts
        .into_iter()
        .try_fold(Decimal::ZERO, |acc, v| acc.checked_add(*v))
        .ok_or(AmountError::Overflow)
}

/// `amount` shown to the cent at least (`0` is `0.00`, `0.1` is `0.10`); more places are
/// kept, never rounded away. For sums and differences that can lose the scale of their parts
/// (the sum of no instruments is a bare `0`).
pub fn to_cents(amount: Decimal) -> Decimal {
    let mut a = amount;
    if a.scale() < 2 {
        a.rescale(2);
    }
    a
}

/// `tolerance = max(abs_tol, pct_tol × |calculated|)` (§4.3).
pub fn tolerance(settings: &EngineSettings, calculated: Decimal) -> Decimal {
    let pct = settings
        .pct_tol
        .checked_mul(calculated.abs())
        .unwrap_or(Decimal::MAX);
    settings.abs_tol.max(pct)
}

/// How V9 judged a claimed amount against the calculated one (§4.3, §13.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountCheck {
    /// No variance.
    Exact,
    /// Variance in the claimant's favour within tolerance: passes, counts toward `header_tol`.
    WithinTolerance,
    /// Variance in the supplier's favour: never fails, flagged `UNDER_CLAIMED`.
    UnderClaimed,
    /// Variance in the claimant's favour beyond tolerance: `AMOUNT_MISMATCH`.
    OverClaimed,
}

/// Classifies `variance = claimed − calculated` against the tolerance.
pub fn check_amount(
    settings: &EngineSettings,
    claimed: Decimal,
    calculated: Decimal,
) -> AmountCheck {
    let Some(variance) = claimed.checked_sub(calculated) else {
        return AmountCheck::OverClaimed;
    };
    if variance.is_zero() {
        AmountCheck::Exact
    } else if variance.is_sign_negative() {
        AmountCheck::UnderClaimed
    } else if variance <= tolerance(settings, calculated) {
        AmountCheck::WithinTolerance
    } else {
        AmountCheck::OverClaimed
    }
}

/// The amount an accepted line is paid at within tolerance, per `pay_basis`.
pub fn pay_amount(basis: PayBasis, claimed: Decimal, calculated: Decimal) -> Decimal {
    match basis {
        PayBasis::Lower => claimed.min(calculated),
        PayBasis::Claimed => claimed,
        PayBasis::Calculated => calculated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::RoundingOrder::{ExtendThenRound, RoundUnitThenExtend};
    use crate::settings::RoundingStrategy::{HalfAwayFromZero, HalfEven};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn amounts_show_to_the_cent_without_rounding() {
        let shown = |s: &str| to_cents(d(s)).to_string();
        assert_eq!(
            [
                shown("0"),
                shown("0.1"),
                shown("12.40"),
                shown("0.8835"),
                shown("-3")
            ],
            ["0.00", "0.10", "12.40", "0.8835", "-3.00"]
        );
        let none: [Decimal; 0] = [];
        assert_eq!(to_cents(none.iter().sum()).to_string(), "0.00");
    }

    fn amount(
        unit: &str,
        qty: &str,
        num: u32,
        den: u32,
        strategy: RoundingStrategy,
        order: RoundingOrder,
    ) -> String {
        let rounding = Rounding {
            scale: 2,
            strategy,
            order,
        };
        match line_amount(d(unit), d(qty), UomFactor { num, den }, rounding) {
            Ok(v) => v.to_string(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_line_amount_has_the_currencys_places_even_when_its_factors_have_fewer() {
        // 5.45 × 100 is 545.00, as the 849 writes it, not 545.0 or 545.
        assert_eq!(
            amount("5.45", "100", 1, 1, HalfAwayFromZero, ExtendThenRound),
            "545.00"
        );
        assert_eq!(
            amount("5.4", "-20", 1, 1, HalfAwayFromZero, ExtendThenRound),
            "-108.00"
        );
        assert_eq!(
            amount("3", "7", 1, 1, HalfEven, RoundUnitThenExtend),
            "21.00"
        );
    }

    /// Golden cases of §4.2, one line each.
    #[test]
    fn rounding_golden_cases_4_2() {
        assert_eq!(
            amount("0.1125", "10", 1, 1, HalfAwayFromZero, ExtendThenRound),
            "1.13"
        );
        assert_eq!(
            amount("0.1125", "10", 1, 1, HalfEven, ExtendThenRound),
            "1.12"
        );
        assert_eq!(
            amount("0.62345", "37", 1, 1, HalfAwayFromZero, ExtendThenRound),
            "23.07"
        );
        assert_eq!(
            amount("0.62345", "37", 1, 1, HalfAwayFromZero, RoundUnitThenExtend),
            "22.94"
        );
        assert_eq!(
            amount("30.00", "5", 1, 12, HalfAwayFromZero, ExtendThenRound),
            "12.50"
        );
        // Reference 10.12345 − contract 9.50 as the formula takes it.
        assert_eq!((d("10.12345") - d("9.50")).to_string(), "0.62345");
    }

    fn converted(price: &str, num: u32, den: u32) -> ConvertedPrice {
        ConvertedPrice {
            price: d(price),
            factor: UomFactor { num, den },
        }
    }

    /// §4.2: reference 120.00/CA, 12 EA per CA. An EA list price of 10.00 is 120.00 per CA
    /// (EA → CA 1/12); a CA list price of 120.00 is 10.00 per EA (CA → EA 12/1); either way
    /// 5 EA at a contract price of 90.00/CA (7.50/EA) are 12.50.
    #[test]
    fn a_price_per_another_unit_converts_exactly_4_2() {
        let shown = |r: Result<Decimal, AmountError>| r.map(|v| v.to_string());
        let each = converted("10.00", 1, 12);
        let case = converted("120.00", 12, 1);
        assert_eq!(shown(each.per_contract_unit()), Ok("120.00".into()));
        assert_eq!(shown(case.per_contract_unit()), Ok("10.00".into()));
        // Per sale unit: an EA list sells an EA at its own price, whatever the contract unit.
        assert_eq!(
            shown(each.per_sale_unit(UomFactor { num: 1, den: 12 })),
            Ok("10.00".into())
        );
        assert_eq!(
            shown(case.per_sale_unit(UomFactor { num: 12, den: 1 })),
            Ok("120.00".into())
        );
        let standard = Rounding::STANDARD;
        let each_sale_to_case = UomFactor { num: 1, den: 12 };
        assert_eq!(
            shown(line_amount_from(
                each,
                d("90.00"),
                d("5"),
                each_sale_to_case,
                standard
            )),
            Ok("12.50".into())
        );
        assert_eq!(
            shown(line_amount_from(
                case,
                d("7.50"),
                d("5"),
                UomFactor::IDENTITY,
                standard
            )),
            Ok("12.50".into())
        );
        // An identity factor is the plain formula: (18.75 − 12.50) × 10.
        assert_eq!(
            shown(line_amount_from(
                converted("18.75", 1, 1),
                d("12.50"),
                d("10"),
                UomFactor::IDENTITY,
                standard
            )),
            Ok("62.50".into())
        );
    }

    /// 100.06 per 12-EA case is 8.338333… per EA, a division that does not end: the price
    /// keeps 28 digits, and the amount is computed with one division at the end, so 3 EA at
    /// 8.00 are 1.015 → 1.02 (half away from zero), 1.02 (half to even), not 1.01.
    #[test]
    fn an_inexact_conversion_keeps_its_cents() {
        let shown = |r: Result<Decimal, AmountError>| r.map(|v| v.to_string());
        let case = converted("100.06", 12, 1);
        assert_eq!(
            shown(case.per_contract_unit()),
            Ok("8.338333333333333333333333333".into())
        );
        let at = |strategy, order, price: &str| {
            shown(line_amount_from(
                converted(price, 12, 1),
                d("8.00"),
                d("3"),
                UomFactor::IDENTITY,
                Rounding {
                    scale: 2,
                    strategy,
                    order,
                },
            ))
        };
        assert_eq!(
            at(HalfAwayFromZero, ExtendThenRound, "100.06"),
            Ok("1.02".into())
        );
        assert_eq!(at(HalfEven, ExtendThenRound, "100.06"), Ok("1.02".into()));
        // 100.10: 1.025 → 1.03 half away from zero, 1.02 half to even.
        assert_eq!(
            at(HalfAwayFromZero, ExtendThenRound, "100.10"),
            Ok("1.03".into())
        );
        assert_eq!(at(HalfEven, ExtendThenRound, "100.10"), Ok("1.02".into()));
        // Round unit then extend: 0.338333… → 0.34, × 3 = 1.02.
        assert_eq!(
            at(HalfAwayFromZero, RoundUnitThenExtend, "100.06"),
            Ok("1.02".into())
        );
        // The price per contract unit extended would have lost the cent.
        let naive = line_amount(
            d("8.338333333333333333333333333") - d("8.00"),
            d("3"),
            UomFactor::IDENTITY,
            Rounding::STANDARD,
        );
        assert_eq!(shown(naive), Ok("1.01".into()));
        // A zero factor is an error, never a panic.
        assert_eq!(
            converted("1", 0, 1).per_contract_unit(),
            Err(AmountError::ZeroDenominator)
        );
    }

    #[test]
    fn another_currency_converts_then_rounds_4_1() {
        let rounding = Rounding {
            scale: 2,
            strategy: HalfAwayFromZero,
            order: ExtendThenRound,
        };
        // 23.06765 × 0.9 = 20.760885 → 20.76; 1.125 × 1.1 = 1.2375 → 1.24.
        let converted = line_amount_converted(
            d("0.62345"),
            d("37"),
            UomFactor::IDENTITY,
            d("0.9"),
            rounding,
        );
        assert_eq!(
            converted.map(|(t, f)| (t.to_string(), f.to_string())),
            Ok(("20.76".into(), "23.07".into()))
        );
        let converted = line_amount_converted(
            d("0.1125"),
            d("10"),
            UomFactor::IDENTITY,
            d("1.1"),
            rounding,
        );
        assert_eq!(
            converted.map(|(t, f)| (t.to_string(), f.to_string())),
            Ok(("1.24".into(), "1.13".into()))
        );
        let converted =
            line_amount_converted(d("0.125"), d("1"), UomFactor::IDENTITY, d("2.02"), rounding);
        // 0.2525 → 0.25 converting first; 0.13 × 2.02 = 0.2626 → 0.26 would round twice.
        assert_eq!(converted.map(|(t, _)| t.to_string()), Ok("0.25".into()));
    }

    #[test]
    fn returns_round_symmetrically() {
        assert_eq!(
            amount("0.1125", "-10", 1, 1, HalfAwayFromZero, ExtendThenRound),
            "-1.13"
        );
        assert_eq!(
            amount("6.25", "-1", 1, 1, HalfAwayFromZero, ExtendThenRound),
            "-6.25"
        );
    }

    #[test]
    fn overflow_and_zero_denominator_are_errors() {
        assert_eq!(
            amount(
                "79228162514264337593543950335",
                "2",
                1,
                1,
                HalfEven,
                ExtendThenRound
            ),
            "amount arithmetic overflowed"
        );
        assert_eq!(
            amount("1", "1", 1, 0, HalfEven, ExtendThenRound),
            "unit of measure factor has a zero denominator"
        );
    }

    #[test]
    fn tolerance_and_variance_direction_4_3_and_13_3() {
        let mut s = EngineSettings::default();
        let check =
            |s: &EngineSettings, c: &str, k: &str| format!("{:?}", check_amount(s, d(c), d(k)));
        assert_eq!(check(&s, "62.50", "62.50"), "Exact");
        assert_eq!(check(&s, "62.51", "62.50"), "WithinTolerance");
        assert_eq!(check(&s, "62.52", "62.50"), "OverClaimed");
        assert_eq!(check(&s, "60.00", "62.50"), "UnderClaimed");
        // A return: claiming a smaller credit is in the claimant's favour.
        assert_eq!(check(&s, "-6.00", "-6.25"), "OverClaimed");
        assert_eq!(check(&s, "-6.50", "-6.25"), "UnderClaimed");
        s.pct_tol = d("0.01");
        assert_eq!(tolerance(&s, d("500.00")).to_string(), "5.0000");
        assert_eq!(check(&s, "504.00", "500.00"), "WithinTolerance");
        assert_eq!(
            pay_amount(PayBasis::Lower, d("504.00"), d("500.00")).to_string(),
            "500.00"
        );
        assert_eq!(
            pay_amount(PayBasis::Claimed, d("504.00"), d("500.00")).to_string(),
            "504.00"
        );
        assert_eq!(
            pay_amount(PayBasis::Calculated, d("499.00"), d("500.00")).to_string(),
            "500.00"
        );
    }
}
