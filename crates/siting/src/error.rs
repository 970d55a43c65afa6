//! Why an instance could not be built or solved.

/// Errors of this crate; each names the offending index and value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SitingError {
    /// A community's demand is negative, infinite or not a number.
    #[error(
        "社区 {community}：需求 {value} 不是不小于 0 的有限数 community {community}: demand {value} is not a finite number ≥ 0"
    )]
    BadWeight {
        /// Community index.
        community: usize,
        /// The value.
        value: f64,
    },
    /// A capacity is negative or not a number.
    #[error("{what} {index}: 容量 {value} 不是不小于 0 的数 capacity {value} is not a number ≥ 0")]
    BadCapacity {
        /// `candidate` or `existing facility`.
        what: &'static str,
        /// Its index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A candidate's cost is negative, infinite or not a number.
    #[error(
        "候选 candidate {candidate}: 费用 {value} 不是不小于 0 的有限数 cost {value} is not a finite number ≥ 0"
    )]
    BadCost {
        /// Candidate index.
        candidate: usize,
        /// The value.
        value: f64,
    },
    /// A budget problem needs every candidate's cost, and this one has none.
    #[error(
        "候选 candidate {candidate} 没有费用（预算问题需要每个候选的费用）has no cost (a budget problem needs every candidate's cost)"
    )]
    MissingCost {
        /// Candidate index.
        candidate: usize,
    },
    /// A distance pair is out of range or not a finite distance.
    #[error("社区 community {community}, {what} {index}: {why}")]
    BadPair {
        /// `candidate` or `existing facility`.
        what: &'static str,
        /// Community index.
        community: usize,
        /// Candidate or facility index.
        index: usize,
        /// What is wrong.
        why: String,
    },
    /// The parts of an instance do not fit together.
    #[error("问题实例不一致 inconsistent instance: {0}")]
    Shape(String),
    /// A problem parameter is out of range.
    #[error("{0}")]
    BadParameter(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chinese first, then English (issue 19 item 5).
    #[test]
    fn messages_are_in_chinese_and_english() {
        assert_eq!(
            SitingError::BadWeight {
                community: 3,
                value: f64::INFINITY
            }
            .to_string(),
            "社区 3：需求 inf 不是不小于 0 的有限数 community 3: demand inf is not a finite number ≥ 0"
        );
        assert_eq!(
            SitingError::MissingCost { candidate: 2 }.to_string(),
            "候选 candidate 2 没有费用（预算问题需要每个候选的费用）has no cost (a budget problem needs every candidate's cost)"
        );
        let e = crate::Problem::Mclp {
            p: 1,
            radius: f64::NAN,
        }
        .check()
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "半径须为不小于 0 的有限米数 the radius must be a finite number of metres ≥ 0, got NaN"
        );
    }
}
