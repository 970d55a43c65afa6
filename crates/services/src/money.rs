//! Amounts of money in fen (分, 0.01 yuan) as whole numbers, so that sums are exact. Clients
//! send and read fen; [`yuan`] shows an amount as yuan for people.

/// Shows an amount in fen as yuan with two decimals, e.g. `1250` → `12.50`, `-5` → `-0.05`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The largest amount a single price, grant or entry may carry: 1,000,000 yuan, far above any
/// service price or monthly subsidy, so that sums of many entries cannot overflow.
pub const MAX_AMOUNT_FEN: i64 = 100_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_yuan() {
        assert_eq!(yuan(1250), "12.50");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(i64::MIN), "-92233720368547758.08");
    }
}
