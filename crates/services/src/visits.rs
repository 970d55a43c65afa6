//! Monthly visits (探访关爱) and the monthly visit rate (issue 11: in progress).
