//! The credit certificate QR token: round trip, a golden token made outside this crate,
//! tampering, keys, expiry, clock skew, personal data, revocation and the error messages.

use std::collections::HashSet;

use lc_credit::housekeeping::Colour;
use lc_credit::token::{
    check_revoked, issue, verify, verifying_key, Claims, SubjectKind, TokenError,
    MAX_CLOCK_SKEW_MS, MAX_KEY_ID_LEN, MAX_SUBJECT_LEN, TIME_LIMIT_MS,
};
use proptest::prelude::*;

/// The secret key of RFC 8032 §7.1, TEST 1.
const RFC_SECRET: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
];
/// Its public key, as the RFC prints it.
const RFC_PUBLIC: [u8; 32] = [
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
];

/// 2026-05-28T20:26:40Z.
const T0: i64 = 1_780_000_000_000;
const TEN_MINUTES: i64 = 10 * 60 * 1000;

fn claims() -> Claims {
    Claims {
        subject: "pQ7vX2mK9aLw3sRt".into(),
        kind: SubjectKind::Practitioner,
        colour: Colour::Green,
        issued_at_ms: T0,
        expires_at_ms: T0 + TEN_MINUTES,
        token_id: std::array::from_fn(|i| i as u8),
    }
}

fn keys() -> Vec<(&'static str, [u8; 32])> {
    vec![("k1", RFC_PUBLIC)]
}

fn token() -> String {
    issue(&RFC_SECRET, "k1", &claims()).unwrap()
}

/// Replaces the character at `at` (ASCII) with `with`.
fn replace(text: &str, at: usize, with: char) -> String {
    let mut s = text.to_string();
    s.replace_range(at..at + 1, &with.to_string());
    s
}

/// A base64url character other than `c`.
fn other_b64(c: char) -> char {
    if c == 'A' {
        'B'
    } else {
        'A'
    }
}

#[test]
fn round_trip() {
    let t = token();
    assert_eq!(verify(&t, &keys(), T0), Ok(claims()));
    let c = Claims {
        subject: "e_Zr-81".into(),
        kind: SubjectKind::Enterprise,
        colour: Colour::Red,
        issued_at_ms: 0,
        expires_at_ms: TIME_LIMIT_MS - 1,
        token_id: [0xff; 16],
    };
    let t = issue(&RFC_SECRET, "2026-a_", &c).unwrap();
    assert_eq!(verify(&t, &[("2026-a_", RFC_PUBLIC)], 5), Ok(c));
}

/// Made with Python's `cryptography` package (Ed25519 over the RFC 8032 test key), the
/// payload laid out by hand from the module's table:
/// `00 00` (practitioner, green), `01 9e 70 44 88 00` (T0), `01 9e 70 4d af c0` (T0 + 600 000),
/// `00 01 … 0f` (token id), `02 'k1'`, `10 'pQ7vX2mK9aLw3sRt'` — 50 bytes; base64url without
/// padding, `"LC1." + payload` signed, `"." + signature` appended:
///
/// ```text
/// from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
/// import base64
/// key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(
///     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
/// t0 = 1780000000000
/// payload = (bytes([0, 0]) + t0.to_bytes(6, "big") + (t0 + 600000).to_bytes(6, "big")
///            + bytes(range(16)) + b"\x02k1" + b"\x10pQ7vX2mK9aLw3sRt")
/// b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
/// signed = "LC1." + b64(payload)
/// print(signed + "." + b64(key.sign(signed.encode())))
/// ```
#[test]
fn golden_token() {
    assert_eq!(verifying_key(&RFC_SECRET), RFC_PUBLIC);
    assert_eq!(
        token(),
        "LC1.AAABnnBEiAABnnBNr8AAAQIDBAUGBwgJCgsMDQ4PAmsxEHBRN3ZYMm1LOWFMdzNzUnQ.\
         MpghnkAJh0Ct2PFG7c9l6UsnOboE0ByWE_u3WbaOoCMy6pnLn7naAzgGafFJMRdUk6VlNNU1fi6I7nFVEolLBg"
    );
}

#[test]
fn tokens_are_short_enough_for_a_small_qr_code() {
    // Typical: a 2-character key id and a 16-character subject (96 bits of base64url).
    let t = token();
    assert_eq!(t.len(), 158);
    assert!(t.len() < 170, "{}", t.len());
    // The longest the format allows.
    let c = Claims {
        subject: "s".repeat(MAX_SUBJECT_LEN),
        ..claims()
    };
    let t = issue(&RFC_SECRET, &"k".repeat(MAX_KEY_ID_LEN), &c).unwrap();
    assert_eq!(t.len(), 198);
    // Only characters a URL or a QR code in byte mode carries as they are.
    assert!(t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
}

#[test]
fn a_tampered_payload_is_refused() {
    let t = token();
    // A character among the token id's bytes (payload characters 19 to 40): still a
    // well-formed payload, so the signature refuses it.
    let at = 4 + 25;
    let tampered = replace(&t, at, other_b64(t.as_bytes()[at] as char));
    assert_eq!(
        verify(&tampered, &keys(), T0),
        Err(TokenError::BadSignature)
    );
    // Among the subject's bytes: 'A' or 'B' there makes a byte outside the subject's
    // alphabet, refused while decoding, before the key is even looked up.
    let at = 60;
    let tampered = replace(&t, at, other_b64(t.as_bytes()[at] as char));
    assert_eq!(
        verify(&tampered, &keys(), T0),
        Err(TokenError::Malformed("bad subject"))
    );
    // Turned red into green or green into red: the colour byte is the second payload byte.
    let mut c = claims();
    c.colour = Colour::Red;
    let red = issue(&RFC_SECRET, "k1", &c).unwrap();
    let forged = format!(
        "{}.{}",
        &red[..red.rfind('.').unwrap()],
        &t[t.rfind('.').unwrap() + 1..]
    );
    assert_eq!(verify(&forged, &keys(), T0), Err(TokenError::BadSignature));
}

#[test]
fn a_tampered_signature_is_refused() {
    let t = token();
    let at = t.rfind('.').unwrap() + 20;
    let tampered = replace(&t, at, other_b64(t.as_bytes()[at] as char));
    assert_eq!(
        verify(&tampered, &keys(), T0),
        Err(TokenError::BadSignature)
    );
    // The last character of the signature carries 2 bits and 4 unused ones ('g' = 100000):
    // setting an unused bit ('h') would decode to the same signature, and is refused, so
    // there is one text per token.
    assert!(t.ends_with('g'));
    let same_bits = replace(&t, t.len() - 1, 'h');
    assert_eq!(
        verify(&same_bits, &keys(), T0).unwrap_err().code(),
        "malformed"
    );
}

#[test]
fn a_token_signed_with_another_key_is_refused() {
    let other = [7u8; 32];
    let t = issue(&other, "k1", &claims()).unwrap();
    assert_eq!(verify(&t, &keys(), T0), Err(TokenError::BadSignature));
    // It verifies with its own key.
    assert_eq!(
        verify(&t, &[("k1", verifying_key(&other))], T0),
        Ok(claims())
    );
}

#[test]
fn keys_rotate_by_key_id() {
    let new = [9u8; 32];
    let both = [("k2", verifying_key(&new)), ("k1", RFC_PUBLIC)];
    let old_token = token();
    let new_token = issue(&new, "k2", &claims()).unwrap();
    assert_eq!(verify(&old_token, &both, T0), Ok(claims()));
    assert_eq!(verify(&new_token, &both, T0), Ok(claims()));
    // k1 retired: its tokens are refused by id, before any signature is checked.
    assert_eq!(
        verify(&old_token, &both[..1], T0),
        Err(TokenError::UnknownKey("k1".into()))
    );
    assert_eq!(
        verify(&old_token, &[], T0),
        Err(TokenError::UnknownKey("k1".into()))
    );
    // A key that is not a curve point (y = 2 has no x on edwards25519).
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    assert_eq!(
        verify(&old_token, &[("k1", not_a_point)], T0),
        Err(TokenError::InvalidKey("k1".into()))
    );
}

/// Expiry is exclusive: `expires_at_ms` is the first instant the token is refused, and the
/// clock-skew allowance does not extend it.
#[test]
fn expired_at_and_after_the_expiry_instant() {
    let t = token();
    let exp = T0 + TEN_MINUTES;
    assert_eq!(verify(&t, &keys(), exp - 1), Ok(claims()));
    for now in [exp, exp + 1, exp + MAX_CLOCK_SKEW_MS, i64::MAX] {
        assert_eq!(
            verify(&t, &keys(), now),
            Err(TokenError::Expired { expires_at_ms: exp }),
            "{now}"
        );
    }
}

#[test]
fn issued_in_the_future_beyond_five_minutes_is_refused() {
    let t = token();
    // The scanner's clock lags by exactly 5 minutes: accepted; by one more ms: refused.
    assert_eq!(verify(&t, &keys(), T0 - MAX_CLOCK_SKEW_MS), Ok(claims()));
    assert_eq!(
        verify(&t, &keys(), T0 - MAX_CLOCK_SKEW_MS - 1),
        Err(TokenError::NotYetValid { issued_at_ms: T0 })
    );
    assert!(verify(&t, &keys(), i64::MIN).is_err());
}

#[test]
fn personal_data_is_refused_at_issue() {
    for subject in [
        "13800138000",
        "tel-13800138000",
        "138 0013 8000",
        "+86-138-0013-8000",
        "11010119900307123X",
        "11010119900307123x",
        "110101199003071234",
        "王小红",
        "wang@example.cn",
    ] {
        let c = Claims {
            subject: subject.into(),
            ..claims()
        };
        let e = issue(&RFC_SECRET, "k1", &c).unwrap_err();
        assert_eq!(e.code(), "personal_data", "{subject}: {e}");
    }
}

#[test]
fn claims_the_format_cannot_carry_are_refused_at_issue() {
    let bad = |f: &dyn Fn(&mut Claims), key_id: &str| {
        let mut c = claims();
        f(&mut c);
        issue(&RFC_SECRET, key_id, &c).unwrap_err().code()
    };
    assert_eq!(bad(&|_| {}, ""), "invalid_claims");
    assert_eq!(bad(&|_| {}, "k.1"), "invalid_claims");
    assert_eq!(bad(&|_| {}, &"k".repeat(17)), "invalid_claims");
    assert_eq!(bad(&|c| c.subject.clear(), "k1"), "invalid_claims");
    assert_eq!(bad(&|c| c.subject = "a b".into(), "k1"), "invalid_claims");
    assert_eq!(bad(&|c| c.subject = "s".repeat(33), "k1"), "invalid_claims");
    assert_eq!(
        bad(&|c| c.expires_at_ms = c.issued_at_ms, "k1"),
        "invalid_claims"
    );
    assert_eq!(bad(&|c| c.issued_at_ms = -1, "k1"), "invalid_claims");
    assert_eq!(
        bad(&|c| c.expires_at_ms = TIME_LIMIT_MS, "k1"),
        "invalid_claims"
    );
}

#[test]
fn texts_that_are_not_tokens_are_malformed() {
    let t = token();
    let dot = t.rfind('.').unwrap();
    for text in [
        String::new(),
        "LC1".into(),
        "LC1..".into(),
        format!("{t}."),
        format!("{t}\n"),
        format!(" {t}"),
        format!("{t}=="),
        format!("lc1{}", &t[3..]),
        format!("LC01{}", &t[3..]),
        format!("{}+{}", &t[..dot], &t[dot + 1..]),
        // The signature cut short by one character.
        t[..t.len() - 1].to_string(),
        "LC1.".to_string() + &"A".repeat(300),
    ] {
        assert_eq!(
            verify(&text, &keys(), T0).map_err(|e| e.code()),
            Err("malformed"),
            "{text:?}"
        );
    }
    assert_eq!(
        verify(&format!("LC2{}", &t[3..]), &keys(), T0),
        Err(TokenError::UnknownVersion(2))
    );
}

#[test]
fn revocation_is_checked_online() {
    let c = verify(&token(), &keys(), T0).unwrap();
    assert_eq!(c.token_id_hex(), "000102030405060708090a0b0c0d0e0f");
    let revoked: HashSet<String> = ["000102030405060708090a0b0c0d0e0f".to_string()].into();
    assert_eq!(
        check_revoked(&c, |id| revoked.contains(id)),
        Err(TokenError::Revoked(c.token_id_hex()))
    );
    assert_eq!(check_revoked(&c, |_| false), Ok(()));
}

#[test]
fn every_error_has_a_stable_code_and_messages_in_both_languages() {
    let all = [
        TokenError::Malformed("x"),
        TokenError::UnknownVersion(2),
        TokenError::UnknownKey("k9".into()),
        TokenError::InvalidKey("k1".into()),
        TokenError::BadSignature,
        TokenError::Expired { expires_at_ms: 1 },
        TokenError::NotYetValid { issued_at_ms: 1 },
        TokenError::PersonalData("a phone number"),
        TokenError::InvalidClaims("x"),
        TokenError::Revoked("00".into()),
    ];
    let codes: Vec<&str> = all.iter().map(|e| e.code()).collect();
    assert_eq!(
        codes,
        [
            "malformed",
            "unknown_version",
            "unknown_key",
            "invalid_key",
            "bad_signature",
            "expired",
            "not_yet_valid",
            "personal_data",
            "invalid_claims",
            "revoked"
        ]
    );
    for e in &all {
        let en = e.to_string();
        assert!(en.is_ascii() && !en.is_empty(), "{en}");
        let zh = e.message_zh();
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{zh}"
        );
    }
}

fn any_claims() -> impl Strategy<Value = Claims> {
    (
        "[A-Za-z][A-Za-z0-9_-]{0,31}",
        any::<bool>(),
        prop_oneof![Just(Colour::Green), Just(Colour::Yellow), Just(Colour::Red)],
        0i64..TIME_LIMIT_MS / 2,
        1i64..1 << 40,
        any::<[u8; 16]>(),
    )
        .prop_map(
            |(subject, enterprise, colour, issued, life, token_id)| Claims {
                subject,
                kind: if enterprise {
                    SubjectKind::Enterprise
                } else {
                    SubjectKind::Practitioner
                },
                colour,
                issued_at_ms: issued,
                expires_at_ms: issued + life,
                token_id,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any single byte changed in the text makes verification fail: a token that still
    /// verifies is the unchanged text, with the same claims.
    #[test]
    fn any_single_byte_change_is_refused(
        c in any_claims(),
        secret in any::<[u8; 32]>(),
        key_id in "[A-Za-z0-9_-]{1,16}",
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let t = match issue(&secret, &key_id, &c) {
            Ok(t) => t,
            // A random subject with 11 digits in a row: personal data, nothing to test.
            Err(e) => {
                prop_assert_eq!(e.code(), "personal_data");
                return Ok(());
            }
        };
        let keys = [(key_id.as_str(), verifying_key(&secret))];
        let now = c.issued_at_ms;
        prop_assert_eq!(verify(&t, &keys, now), Ok(c.clone()));
        let mut bytes = t.clone().into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        // A change that is not UTF-8 cannot even be passed as text.
        if let Ok(changed) = String::from_utf8(bytes) {
            let result = verify(&changed, &keys, now);
            prop_assert!(result.is_err(), "{} → {} verified as {:?}", t, changed, result);
        }
    }

    /// Whatever the text, verification answers without panicking.
    #[test]
    fn arbitrary_texts_are_refused_without_panic(
        text in "(LC1\\.)?[A-Za-z0-9_.=-]{0,200}",
    ) {
        prop_assert!(verify(&text, &keys(), T0).is_err());
    }
}
