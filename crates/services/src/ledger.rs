//! The subsidy ledger in double entry (after OpenSPP/OpenG2P's entitlement cycles: a cycle is
//! a month; the entitlement of a beneficiary is granted once per cycle, then redeemed at
//! providers).
//!
//! Accounts ([`Account`]):
//! - `fund:{district}`: the district's subsidy fund (6-digit county code, or `fund:unassigned`
//!   for communities without a division code); it goes negative by what the district has
//!   granted, net of what came back;
//! - `person:{resident}:{service}`: a person's subsidy for one service type; **never negative**;
//! - `provider:{uscc}`: what the district owes a provider for subsidised services.
//!
//! Journals ([`Journal`]) hold two or more postings that **sum to zero**:
//! - grant: fund −x, person +x (once per person, month and service);
//! - debit for a completed service: person −x, provider +x, with x = [`debit_amount`]: the
//!   price, at most the balance and at most the rule's cap per service (once per booking);
//! - reversal of a debit: its postings negated (once per booking).
//!
//! A balance is the sum of the account's postings, nothing else. [`Ledger`] is the model of
//! these rules in memory (the server keeps the same journals in its database, with the same
//! helpers); its proptest runs any sequence of grants, debits and reversals against the
//! invariants (`check`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::money::MAX_AMOUNT_FEN;

/// An account of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Account {
    /// The district's subsidy fund (county code, or `unassigned`).
    Fund(String),
    /// A person's subsidy for one service type.
    Person { resident_id: i64, service: String },
    /// A provider's payable (USCC).
    Provider(String),
}

impl Account {
    /// The fund of a community's division code: its first 6 digits (the county), or
    /// `unassigned`.
    pub fn fund_of(division_code: Option<&str>) -> Account {
        match division_code {
            Some(d) if d.len() >= 6 && d.bytes().all(|b| b.is_ascii_digit()) => {
                Account::Fund(d[..6].to_string())
            }
            _ => Account::Fund("unassigned".into()),
        }
    }

    /// The stored key (`fund:110108`, `person:12:meal`, `provider:9131…`).
    pub fn key(&self) -> String {
        self.to_string()
    }

    /// The kind as stored (`fund`, `person`, `provider`).
    pub fn kind(&self) -> &'static str {
        match self {
            Account::Fund(_) => "fund",
            Account::Person { .. } => "person",
            Account::Provider(_) => "provider",
        }
    }

    /// Whether its balance may never go below zero.
    pub fn never_negative(&self) -> bool {
        matches!(self, Account::Person { .. })
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::Fund(d) => write!(f, "fund:{d}"),
            Account::Person {
                resident_id,
                service,
            } => write!(f, "person:{resident_id}:{service}"),
            Account::Provider(u) => write!(f, "provider:{u}"),
        }
    }
}

/// One posting: an amount (fen) to an account, positive or negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: Account,
    pub amount: i64,
}

/// What a journal records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JournalKind {
    Grant,
    Debit,
    Reversal,
}

impl JournalKind {
    /// As stored.
    pub fn key(self) -> &'static str {
        match self {
            JournalKind::Grant => "grant",
            JournalKind::Debit => "debit",
            JournalKind::Reversal => "reversal",
        }
    }
}

/// Why a journal or the ledger is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("分录借贷不平（合计 {0} 分）journal does not sum to zero (sum {0} fen)")]
    Unbalanced(i64),
    #[error("分录至少需要两笔记账 a journal needs at least two postings")]
    TooFew,
    #[error("金额超出范围 amount out of range: {0}")]
    Amount(i64),
    #[error("账户 {0} 余额为负（{1} 分）account {0} would be negative ({1} fen)")]
    Negative(String, i64),
    #[error("账户 {0} 余额 {1} 不等于记账合计 {2} account {0} balance {1} differs from its postings' sum {2}")]
    Drift(String, i64, i64),
}

/// A journal entry: postings that sum to zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    pub kind: JournalKind,
    pub postings: Vec<Posting>,
}

impl Journal {
    /// A journal, checked: at least two postings, each amount non-zero and within
    /// ±[`MAX_AMOUNT_FEN`], summing to zero.
    pub fn new(kind: JournalKind, postings: Vec<Posting>) -> Result<Journal, LedgerError> {
        if postings.len() < 2 {
            return Err(LedgerError::TooFew);
        }
        let mut sum = 0i64;
        for p in &postings {
            if p.amount == 0 || p.amount.abs() > MAX_AMOUNT_FEN {
                return Err(LedgerError::Amount(p.amount));
            }
            sum += p.amount; // at most a few postings of ≤ 1e8 each: no overflow
        }
        if sum != 0 {
            return Err(LedgerError::Unbalanced(sum));
        }
        Ok(Journal { kind, postings })
    }

    /// A month's grant: fund −x, person +x.
    pub fn grant(fund: Account, person: Account, amount: i64) -> Result<Journal, LedgerError> {
        Journal::new(
            JournalKind::Grant,
            vec![
                Posting {
                    account: fund,
                    amount: -amount,
                },
                Posting {
                    account: person,
                    amount,
                },
            ],
        )
    }

    /// A service paid from a subsidy: person −x, provider +x.
    pub fn debit(person: Account, provider: Account, amount: i64) -> Result<Journal, LedgerError> {
        Journal::new(
            JournalKind::Debit,
            vec![
                Posting {
                    account: person,
                    amount: -amount,
                },
                Posting {
                    account: provider,
                    amount,
                },
            ],
        )
    }

    /// The reversal of a journal: its postings negated.
    pub fn reversal(of: &Journal) -> Result<Journal, LedgerError> {
        Journal::new(
            JournalKind::Reversal,
            of.postings
                .iter()
                .map(|p| Posting {
                    account: p.account.clone(),
                    amount: -p.amount,
                })
                .collect(),
        )
    }

    /// The amount it moves (the sum of its positive postings).
    pub fn amount(&self) -> i64 {
        self.postings.iter().map(|p| p.amount.max(0)).sum()
    }
}

/// How much of a service's price the subsidy pays: the price, at most the available balance
/// (never below zero) and at most the cap per service.
pub fn debit_amount(price: i64, available: i64, cap: Option<i64>) -> i64 {
    price
        .min(available)
        .min(cap.unwrap_or(i64::MAX))
        .clamp(0, MAX_AMOUNT_FEN)
}

/// A booking's debit as remembered: its journal (if anything was debited), and whether it was
/// reversed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BookingDebit {
    journal: Option<usize>,
    amount: i64,
    reversed: bool,
}

/// The ledger in memory: journals, balances kept as they are posted (checked against the sums),
/// and the uniqueness keys that make grants and booking debits idempotent.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    journals: Vec<Journal>,
    balances: BTreeMap<Account, i64>,
    granted: BTreeSet<(String, i64, String)>,
    bookings: BTreeMap<i64, BookingDebit>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Posts a checked journal; refused (nothing posted) if a never-negative account would go
    /// below zero.
    pub fn post(&mut self, j: Journal) -> Result<(), LedgerError> {
        for p in &j.postings {
            let after = self.balance(&p.account) + p.amount;
            if p.account.never_negative() && after < 0 {
                return Err(LedgerError::Negative(p.account.key(), after));
            }
        }
        for p in &j.postings {
            *self.balances.entry(p.account.clone()).or_insert(0) += p.amount;
        }
        self.journals.push(j);
        Ok(())
    }

    /// An account's balance.
    pub fn balance(&self, a: &Account) -> i64 {
        self.balances.get(a).copied().unwrap_or(0)
    }

    /// The journals so far.
    pub fn journals(&self) -> &[Journal] {
        &self.journals
    }

    /// Grants `amount` for `month` to a person's service once; whether it was granted now
    /// (false: granted before, or nothing to grant).
    pub fn grant(
        &mut self,
        month: &str,
        fund: Account,
        resident_id: i64,
        service: &str,
        amount: i64,
    ) -> Result<bool, LedgerError> {
        let key = (month.to_string(), resident_id, service.to_string());
        if amount <= 0 || self.granted.contains(&key) {
            return Ok(false);
        }
        let person = Account::Person {
            resident_id,
            service: service.into(),
        };
        self.post(Journal::grant(fund, person, amount)?)?;
        self.granted.insert(key);
        Ok(true)
    }

    /// Debits a booking's service once: the amount debited (the first call's on a repeat).
    pub fn debit_for_booking(
        &mut self,
        booking_id: i64,
        person: Account,
        provider: Account,
        price: i64,
        cap: Option<i64>,
    ) -> Result<i64, LedgerError> {
        if let Some(b) = self.bookings.get(&booking_id) {
            return Ok(b.amount);
        }
        let amount = debit_amount(price, self.balance(&person), cap);
        let journal = if amount > 0 {
            self.post(Journal::debit(person, provider, amount)?)?;
            Some(self.journals.len() - 1)
        } else {
            None
        };
        self.bookings.insert(
            booking_id,
            BookingDebit {
                journal,
                amount,
                reversed: false,
            },
        );
        Ok(amount)
    }

    /// Reverses a booking's debit once: the amount given back (the first call's on a repeat;
    /// 0 when nothing was debited).
    pub fn reverse_for_booking(&mut self, booking_id: i64) -> Result<i64, LedgerError> {
        let Some(b) = self.bookings.get(&booking_id).cloned() else {
            return Ok(0);
        };
        if b.reversed {
            return Ok(b.amount);
        }
        if let Some(i) = b.journal {
            let r = Journal::reversal(&self.journals[i])?;
            self.post(r)?;
        }
        if let Some(x) = self.bookings.get_mut(&booking_id) {
            x.reversed = true;
        }
        Ok(b.amount)
    }

    /// The invariants: every journal sums to zero, every balance equals the sum of its
    /// account's postings, and no person's balance is negative.
    pub fn check(&self) -> Result<(), LedgerError> {
        let mut sums: BTreeMap<&Account, i64> = BTreeMap::new();
        for j in &self.journals {
            let s: i64 = j.postings.iter().map(|p| p.amount).sum();
            if s != 0 {
                return Err(LedgerError::Unbalanced(s));
            }
            for p in &j.postings {
                *sums.entry(&p.account).or_insert(0) += p.amount;
            }
        }
        for (a, b) in &self.balances {
            let s = sums.get(a).copied().unwrap_or(0);
            if *b != s {
                return Err(LedgerError::Drift(a.key(), *b, s));
            }
            if a.never_negative() && *b < 0 {
                return Err(LedgerError::Negative(a.key(), *b));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn person(r: i64, s: &str) -> Account {
        Account::Person {
            resident_id: r,
            service: s.into(),
        }
    }

    #[test]
    fn journals_must_balance() {
        let f = Account::fund_of(Some("110108010031"));
        assert_eq!(f.key(), "fund:110108");
        assert_eq!(Account::fund_of(None).key(), "fund:unassigned");
        assert_eq!(person(3, "meal").key(), "person:3:meal");
        assert!(Journal::grant(f.clone(), person(1, "meal"), 100).is_ok());
        let bad = Journal::new(
            JournalKind::Grant,
            vec![
                Posting {
                    account: f.clone(),
                    amount: -100,
                },
                Posting {
                    account: person(1, "meal"),
                    amount: 99,
                },
            ],
        );
        assert_eq!(bad, Err(LedgerError::Unbalanced(-1)));
        assert_eq!(
            Journal::grant(f.clone(), person(1, "meal"), 0),
            Err(LedgerError::Amount(0))
        );
        assert_eq!(
            Journal::grant(f, person(1, "meal"), MAX_AMOUNT_FEN + 1),
            Err(LedgerError::Amount(-MAX_AMOUNT_FEN - 1))
        );
        assert_eq!(debit_amount(1500, 1000, None), 1000);
        assert_eq!(debit_amount(1500, 5000, Some(800)), 800);
        assert_eq!(debit_amount(1500, -3, None), 0);
        assert_eq!(debit_amount(-1, 100, None), 0);
    }

    #[test]
    fn a_month_of_one_person_by_hand() {
        let mut l = Ledger::new();
        let fund = Account::Fund("110108".into());
        let p = person(7, "meal");
        let shop = Account::Provider("91310110666007217T".into());
        assert!(l.grant("2026-11", fund.clone(), 7, "meal", 20_000).unwrap());
        assert!(
            !l.grant("2026-11", fund.clone(), 7, "meal", 20_000).unwrap(),
            "once a month"
        );
        assert_eq!(
            l.debit_for_booking(1, p.clone(), shop.clone(), 1_500, Some(1_000))
                .unwrap(),
            1_000
        );
        assert_eq!(
            l.debit_for_booking(1, p.clone(), shop.clone(), 1_500, Some(1_000))
                .unwrap(),
            1_000
        );
        assert_eq!(l.balance(&p), 19_000);
        assert_eq!(l.reverse_for_booking(1).unwrap(), 1_000);
        assert_eq!(l.reverse_for_booking(1).unwrap(), 1_000);
        assert_eq!(l.balance(&p), 20_000);
        assert_eq!(l.balance(&shop), 0);
        assert_eq!(
            l.debit_for_booking(2, p.clone(), shop.clone(), 30_000, None)
                .unwrap(),
            20_000
        );
        assert_eq!(
            l.debit_for_booking(3, p.clone(), shop.clone(), 30_000, None)
                .unwrap(),
            0,
            "nothing left"
        );
        assert_eq!(l.balance(&p), 0);
        assert_eq!(l.balance(&fund), -20_000);
        assert_eq!(l.journals().len(), 4);
        l.check().unwrap();
        // Posting directly past zero is refused and leaves nothing behind.
        let over = Journal::debit(p.clone(), shop, 1).unwrap();
        assert!(matches!(l.post(over), Err(LedgerError::Negative(..))));
        assert_eq!(l.journals().len(), 4);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Grant {
            month: u8,
            person: i64,
            service: u8,
            amount: i64,
        },
        Debit {
            booking: i64,
            person: i64,
            service: u8,
            provider: u8,
            price: i64,
            cap: Option<i64>,
        },
        Reverse {
            booking: i64,
        },
    }

    const SERVICES: [&str; 3] = ["meal", "bathing", "cleaning"];

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..3, 1i64..4, 0u8..3, 0i64..50_000).prop_map(|(month, person, service, amount)| {
                Op::Grant {
                    month,
                    person,
                    service,
                    amount,
                }
            }),
            (
                1i64..12,
                1i64..4,
                0u8..3,
                0u8..2,
                0i64..30_000,
                proptest::option::of(1i64..5_000)
            )
                .prop_map(|(booking, person, service, provider, price, cap)| {
                    Op::Debit {
                        booking,
                        person,
                        service,
                        provider,
                        price,
                        cap,
                    }
                }),
            (1i64..12).prop_map(|booking| Op::Reverse { booking }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn any_sequence_keeps_the_ledger_sound(ops in proptest::collection::vec(op(), 0..80)) {
            let mut l = Ledger::new();
            let mut first_debit: BTreeMap<i64, i64> = BTreeMap::new();
            let mut granted_total = 0i64;
            for op in ops {
                match op {
                    Op::Grant { month, person, service, amount } => {
                        let fund = Account::Fund(format!("11010{}", person % 2));
                        if l.grant(&format!("2026-0{}", month + 1), fund, person, SERVICES[service as usize], amount).unwrap() {
                            granted_total += amount;
                        }
                    }
                    Op::Debit { booking, person, service, provider, price, cap } => {
                        let p = Account::Person { resident_id: person, service: SERVICES[service as usize].into() };
                        let before = l.balance(&p);
                        let got = l.debit_for_booking(booking, p.clone(), Account::Provider(format!("P{provider}")), price, cap).unwrap();
                        match first_debit.get(&booking) {
                            // A repeat answers the first call's amount and moves nothing.
                            Some(&x) => { prop_assert_eq!(got, x); prop_assert_eq!(l.balance(&p), before); }
                            None => {
                                prop_assert!(got >= 0 && got <= price.max(0) && got <= before);
                                if let Some(c) = cap { prop_assert!(got <= c); }
                                prop_assert_eq!(l.balance(&p), before - got);
                                first_debit.insert(booking, got);
                            }
                        }
                    }
                    Op::Reverse { booking } => {
                        let got = l.reverse_for_booking(booking).unwrap();
                        prop_assert_eq!(got, first_debit.get(&booking).copied().unwrap_or(0));
                    }
                }
                prop_assert_eq!(l.check(), Ok(()));
            }
            // Money is neither made nor lost: persons and providers hold what the funds granted.
            let held: i64 = l.balances.iter().filter(|(a, _)| !matches!(a, Account::Fund(_))).map(|(_, b)| b).sum();
            let funds: i64 = l.balances.iter().filter(|(a, _)| matches!(a, Account::Fund(_))).map(|(_, b)| b).sum();
            prop_assert_eq!(held, granted_total);
            prop_assert_eq!(funds, -granted_total);
            for j in l.journals() {
                prop_assert_eq!(j.postings.iter().map(|p| p.amount).sum::<i64>(), 0);
            }
        }
    }
}
