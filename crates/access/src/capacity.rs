//! Capacity against population: the two-step floating catchment area (2SFCA) ratio.
//!
//! Step 1: every facility `j` gets `R_j = S_j / Σ P_k` over the communities `k` within its
//! catchment (network distance ≤ d₀), where `S_j` is its capacity and `P_k` the demand of
//! community `k` for the facility's category. Step 2: every community `i` gets
//! `A_i = Σ R_j` over the facilities `j` of the category within its catchment. `A_i` is
//! capacity per person of demand; multiplied by 1000 it reads "slots per 1000 children".
//!
//! A facility with no demand in its catchment serves nobody and contributes nothing. A facility
//! whose capacity is unknown (`NaN` supply) is left out and counted separately by the caller.

/// Per-community 2SFCA results for each category.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoStep {
    /// Number of categories (the row width of the arrays below).
    pub n_categories: usize,
    /// `ratio[community * n_categories + category]`: capacity per person of demand.
    pub ratio: Vec<f64>,
    /// `supply[community * n_categories + category]`: total capacity within the catchment.
    pub supply: Vec<f64>,
    /// `facilities[community * n_categories + category]`: facilities with a known capacity
    /// within the catchment.
    pub facilities: Vec<u32>,
    /// `facility_ratio[f]`: step 1's `R_j` (0 for facilities with no demand or no capacity).
    pub facility_ratio: Vec<f64>,
}

/// Computes 2SFCA.
///
/// - `pairs[i]`: `(facility, distance)` for community `i`, already limited to the catchment.
/// - `facility_category[f]`, `capacity[f]` (`NaN` = unknown, skipped).
/// - `demand(i, category)`: the demand of community `i` for a category.
pub fn two_step_fca(
    pairs: &[Vec<(u32, f64)>],
    facility_category: &[u16],
    capacity: &[f64],
    n_categories: usize,
    demand: impl Fn(usize, u16) -> f64,
) -> TwoStep {
    let nf = facility_category.len();
    let mut demand_sum = vec![0f64; nf];
    for (i, list) in pairs.iter().enumerate() {
        for &(f, _) in list {
            let c = facility_category[f as usize];
            demand_sum[f as usize] += demand(i, c);
        }
    }
    let facility_ratio: Vec<f64> = (0..nf)
        .map(|f| {
            let s = capacity[f];
            if s.is_nan() || demand_sum[f] <= 0.0 {
                0.0
            } else {
                s / demand_sum[f]
            }
        })
        .collect();
    let n = pairs.len() * n_categories;
    let mut ratio = vec![0f64; n];
    let mut supply = vec![0f64; n];
    let mut facilities = vec![0u32; n];
    for (i, list) in pairs.iter().enumerate() {
        for &(f, _) in list {
            let f = f as usize;
            if capacity[f].is_nan() {
                continue;
            }
            let slot = i * n_categories + facility_category[f] as usize;
            ratio[slot] += facility_ratio[f];
            supply[slot] += capacity[f];
            facilities[slot] += 1;
        }
    }
    TwoStep {
        n_categories,
        ratio,
        supply,
        facilities,
        facility_ratio,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two communities (100 and 300 children) and two nurseries (40 and 20 slots).
    /// Nursery 0 reaches both communities, nursery 1 only the second.
    /// R₀ = 40 / 400 = 0.1; R₁ = 20 / 300 = 0.0667.
    /// A₀ = 0.1; A₁ = 0.1 + 0.0667 = 0.1667.
    #[test]
    fn worked_example() {
        let pairs = vec![vec![(0, 200.0)], vec![(0, 500.0), (1, 100.0)]];
        let demand = [100.0, 300.0];
        let r = two_step_fca(&pairs, &[0, 0], &[40.0, 20.0], 1, |i, _| demand[i]);
        assert!((r.facility_ratio[0] - 0.1).abs() < 1e-12);
        assert!((r.facility_ratio[1] - 20.0 / 300.0).abs() < 1e-12);
        assert!((r.ratio[0] - 0.1).abs() < 1e-12);
        assert!((r.ratio[1] - (0.1 + 20.0 / 300.0)).abs() < 1e-12);
        assert_eq!(r.supply, vec![40.0, 60.0]);
        assert_eq!(r.facilities, vec![1, 2]);
        // Total supply is conserved: Σ A_i · P_i = Σ S_j for facilities that reach demand.
        let conserved = r.ratio[0] * 100.0 + r.ratio[1] * 300.0;
        assert!((conserved - 60.0).abs() < 1e-9, "{conserved}");
    }

    #[test]
    fn unknown_capacity_and_categories_are_kept_apart() {
        // Facility 0: category 0, capacity unknown. Facility 1: category 1, 50 beds.
        let pairs = vec![vec![(0, 10.0), (1, 10.0)]];
        let r = two_step_fca(&pairs, &[0, 1], &[f64::NAN, 50.0], 2, |_, c| {
            if c == 1 {
                25.0
            } else {
                1000.0
            }
        });
        assert_eq!(r.ratio, vec![0.0, 2.0]);
        assert_eq!(r.facilities, vec![0, 1]);
    }
}
