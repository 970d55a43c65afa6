//! Portable trigonometry for the generator, so that lengths are bit-identical on every platform.
//!
//! `f64::sin`, `cos` and `asin` call the platform's maths library, whose last bit may differ
//! between systems. These versions use only `+ - * /` and `sqrt`, which IEEE 754 rounds
//! exactly, evaluated in a fixed order (Rust never fuses multiply-adds on its own). They are
//! accurate to a few units in the last place over the ranges the generator uses.

use std::f64::consts::{FRAC_PI_2, PI};

/// Mean Earth radius in metres, the same as `lc_model::LonLat::haversine_m`.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Metres per degree of latitude on the sphere of [`EARTH_RADIUS_M`].
pub const M_PER_DEG: f64 = EARTH_RADIUS_M * PI / 180.0;

/// Sine, by reduction to `[-pi/2, pi/2]` and a Taylor series to the 25th power.
pub fn sin(x: f64) -> f64 {
    let two_pi = 2.0 * PI;
    let mut r = x - (x / two_pi).round() * two_pi;
    if r > FRAC_PI_2 {
        r = PI - r;
    } else if r < -FRAC_PI_2 {
        r = -PI - r;
    }
    let r2 = r * r;
    let mut term = r;
    let mut sum = r;
    for n in 1..=12u32 {
        let k = (2 * n) as f64;
        term *= -r2 / (k * (k + 1.0));
        sum += term;
    }
    sum
}

/// Cosine, as the sine of the complementary angle.
pub fn cos(x: f64) -> f64 {
    sin(FRAC_PI_2 - x)
}

/// Arcsine on `[-1, 1]`: a power series for `|x| <= 0.5`, the half-angle identity above.
pub fn asin(x: f64) -> f64 {
    let x = x.clamp(-1.0, 1.0);
    if x < 0.0 {
        return -asin(-x);
    }
    if x > 0.5 {
        return FRAC_PI_2 - 2.0 * asin(((1.0 - x) / 2.0).sqrt());
    }
    // asin x = sum_n a_n x^(2n+1) / (2n+1), a_0 = 1, a_n = a_(n-1) (2n-1) / (2n).
    let x2 = x * x;
    let mut a = 1.0;
    let mut pow = x;
    let mut sum = x;
    for n in 1..=40u32 {
        let k = n as f64;
        a *= (2.0 * k - 1.0) / (2.0 * k);
        pow *= x2;
        sum += a * pow / (2.0 * k + 1.0);
    }
    sum
}

/// Great-circle distance in metres between two (lon, lat) positions in degrees (haversine).
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let deg = PI / 180.0;
    let (p1, p2) = (lat1 * deg, lat2 * deg);
    let dp = p2 - p1;
    let dl = (lon2 - lon1) * deg;
    let s1 = sin(dp / 2.0);
    let s2 = sin(dl / 2.0);
    let a = s1 * s1 + cos(p1) * cos(p2) * s2 * s2;
    2.0 * EARTH_RADIUS_M * asin(a.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lc_model::LonLat;

    #[test]
    fn agrees_with_the_platform_library() {
        let mut x = -7.0;
        while x < 7.0 {
            assert!((sin(x) - x.sin()).abs() < 1e-15, "sin {x}");
            assert!((cos(x) - x.cos()).abs() < 1e-15, "cos {x}");
            x += 0.001;
        }
        let mut y = -1.0;
        while y <= 1.0 {
            assert!((asin(y) - y.asin()).abs() < 1e-14, "asin {y}");
            y += 0.0005;
        }
    }

    #[test]
    fn haversine_matches_the_model() {
        let pairs = [
            (103.834, 36.061, 103.835, 36.0615),
            (103.834, 36.061, 104.5, 36.4),
            (116.0, 39.0, 116.0, 40.0),
            (0.0, 0.0, 179.0, 0.5),
        ];
        for (a, b, c, d) in pairs {
            let ours = haversine_m(a, b, c, d);
            let model = LonLat::new(a, b).haversine_m(LonLat::new(c, d));
            assert!(
                (ours - model).abs() <= 1e-9 * model.max(1.0),
                "{ours} {model}"
            );
        }
    }
}
