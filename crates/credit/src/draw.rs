//! 双随机一公开: verifiable draws (being written).
