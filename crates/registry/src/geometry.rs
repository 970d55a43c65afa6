//! Community boundaries: a GeoJSON `Polygon` or `MultiPolygon` geometry in WGS-84, each ring
//! closed, with at least four positions, coordinates in range.

use serde_json::Value;

/// Checks a boundary geometry; the error is (Chinese, English).
pub fn check_boundary(v: &Value) -> Result<(), (String, String)> {
    let err = |zh: &str, en: &str| Err((zh.to_string(), en.to_string()));
    let ty = v.get("type").and_then(Value::as_str);
    let coords = v.get("coordinates");
    let polygons: Vec<&Value> = match (ty, coords) {
        (Some("Polygon"), Some(c)) => vec![c],
        (Some("MultiPolygon"), Some(Value::Array(ps))) if !ps.is_empty() => ps.iter().collect(),
        _ => {
            return err(
                "边界应为 GeoJSON Polygon 或 MultiPolygon 几何对象",
                "boundary must be a GeoJSON Polygon or MultiPolygon geometry",
            )
        }
    };
    for poly in polygons {
        let Some(rings) = poly.as_array().filter(|r| !r.is_empty()) else {
            return err("多边形没有环", "a polygon has no rings");
        };
        for ring in rings {
            let Some(pts) = ring.as_array() else {
                return err("环应为坐标数组", "a ring must be an array of positions");
            };
            if pts.len() < 4 {
                return err(
                    "每个环至少需要 4 个坐标点",
                    "every ring needs at least 4 positions",
                );
            }
            let mut parsed = Vec::with_capacity(pts.len());
            for p in pts {
                let xy = p
                    .as_array()
                    .and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?)));
                match xy {
                    Some((x, y))
                        if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) =>
                    {
                        parsed.push((x, y))
                    }
                    _ => {
                        return err(
                            "坐标应为 [经度, 纬度] 且在有效范围内",
                            "positions must be [lon, lat] within range",
                        )
                    }
                }
            }
            if parsed.first() != parsed.last() {
                return err(
                    "环未闭合（首尾坐标应相同）",
                    "a ring is not closed (first and last positions differ)",
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn polygons() {
        let sq = json!([[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]);
        assert!(check_boundary(&json!({"type": "Polygon", "coordinates": sq})).is_ok());
        assert!(check_boundary(&json!({"type": "MultiPolygon", "coordinates": [sq]})).is_ok());
        let open = json!([[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]]);
        assert!(check_boundary(&json!({"type": "Polygon", "coordinates": open})).is_err());
        assert!(check_boundary(&json!({"type": "Point", "coordinates": [0.0, 0.0]})).is_err());
        let far = json!([[[0.0, 0.0], [1.0, 0.0], [1.0, 100.0], [0.0, 0.0]]]);
        assert!(check_boundary(&json!({"type": "Polygon", "coordinates": far})).is_err());
    }
}
