//! The housekeeping credit certificate QR token (信用查询证书 / 安心码, `PLATFORM.md` §3 fact 4):
//! a short signed text a practitioner's or an enterprise's QR code carries. A scanner checks it
//! **offline** (format, version, key, Ed25519 signature, expiry) and the server checks it
//! **online** as well (revocation, then the live status behind the pseudonymous subject).
//!
//! No I/O, no clock and no randomness here: the caller passes the time (milliseconds since the
//! Unix epoch), the signing key (32 secret bytes) and the token id (16 random bytes from the
//! server's CSPRNG).
//!
//! # What a token carries, and what it does not
//! It carries a pseudonymous **subject id** the server derives (an opaque string, never a name,
//! phone number or ID number), the **subject kind** (practitioner or enterprise), the **colour**
//! (green, yellow, red) at issue time, **issued-at** and **expires-at** (ms), a **token id** (for
//! revocation), the **key id** of the signing key (so keys can rotate) and the **format
//! version** (in the `LC1` prefix). Nothing else: the scan page looks the subject up online and
//! shows the live status with whatever the practitioner consented to show. [`issue`] refuses a
//! subject that looks like personal data ([`TokenError::PersonalData`]): anything outside ASCII
//! (a name), an `@` (an e-mail address) or a run of 11 or more digits, separators such as
//! spaces, `-`, `_`, `.`, `+`, `(` and `)` not breaking the run (an 11-digit mobile number, a
//! 15- or 18-character ID number, a number with `+86`). A server should derive subjects as
//! base64url text (e.g. 16 characters from a keyed hash): such a string has a run of 11 digits
//! with probability below 10⁻⁸, and the server can derive again with a counter if it does;
//! hexadecimal is a poor choice, as 10 of its 16 symbols are digits.
//!
//! # Text form (version 1)
//! `LC1.<payload>.<signature>`, both parts base64url without padding (RFC 4648 §5). The
//! signature is Ed25519 (RFC 8032, checked with [`ed25519_dalek::VerifyingKey::verify_strict`])
//! over the **ASCII bytes of `LC1.<payload>`**, exactly the characters shown, so the version
//! prefix is signed too. The payload is this binary layout, every integer big-endian:
//!
//! | offset | bytes | field |
//! | --- | --- | --- |
//! | 0 | 1 | subject kind: 0 practitioner, 1 enterprise |
//! | 1 | 1 | colour: 0 green, 1 yellow, 2 red |
//! | 2 | 6 | issued-at, ms since the Unix epoch, unsigned 48 bits (below 2⁴⁸: year 10889) |
//! | 8 | 6 | expires-at, the same; strictly after issued-at |
//! | 14 | 16 | token id |
//! | 30 | 1 | key id length *k*, 1–16 |
//! | 31 | *k* | key id: ASCII letters, digits, `_`, `-` |
//! | 31+*k* | 1 | subject length *n*, 1–32 |
//! | 32+*k* | *n* | subject: ASCII letters, digits, `_`, `-` |
//!
//! and nothing after it. The encoding is canonical: decoding refuses anything [`issue`] would not
//! write (a byte too many or too few, an unknown kind or colour, a length or character out of
//! range, a time out of range, base64 with padding or with non-zero unused bits), so one set of
//! claims has exactly one text and one text has at most one set of claims. A token with a
//! 2-character key id and a 16-character subject is 158 characters long (a version 8 QR code at
//! level L, or version 9 at level M, holds it); the longest possible one is 198.
//!
//! # Checks
//! [`verify`] (offline, with the published verifying keys and the scanner's clock), in this
//! order: the text splits into three parts ([`TokenError::Malformed`]); the prefix is `LC1`
//! ([`TokenError::UnknownVersion`] for another `LC<n>`); both parts decode and the payload is
//! canonical (malformed); the key id is known ([`TokenError::UnknownKey`]) and its key is a
//! valid Ed25519 point ([`TokenError::InvalidKey`]); the signature holds
//! ([`TokenError::BadSignature`]); `now < expires_at` — the expiry instant itself is already
//! expired, with no leeway ([`TokenError::Expired`]); `issued_at ≤ now + 5 min`
//! ([`MAX_CLOCK_SKEW_MS`], [`TokenError::NotYetValid`]). The text is taken as is: no trimming.
//!
//! Revocation is online only: the server keeps the revoked token ids and calls
//! [`check_revoked`] after [`verify`] ([`TokenError::Revoked`]), then shows the live status (the
//! colour in the token is the status when it was issued, which may have changed since).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::housekeeping::Colour;

/// The format version this module writes and reads.
pub const VERSION: u32 = 1;
/// The text before the first `.` of a version 1 token.
pub const PREFIX: &str = "LC1";
/// How far in the future issued-at may be (the scanner's clock may lag): 5 minutes.
pub const MAX_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;
/// Times are written in 48 bits: every time must be below this (2⁴⁸ ms, in the year 10889).
pub const TIME_LIMIT_MS: i64 = 1 << 48;
/// The longest key id.
pub const MAX_KEY_ID_LEN: usize = 16;
/// The longest subject id.
pub const MAX_SUBJECT_LEN: usize = 32;
/// Bytes in a token id.
pub const TOKEN_ID_LEN: usize = 16;
/// Texts longer than this are refused before any decoding (the longest token is 198).
pub const MAX_TOKEN_LEN: usize = 256;

/// Whose certificate it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    /// 家政服务人员.
    Practitioner,
    /// 家政服务机构.
    Enterprise,
}

impl SubjectKind {
    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            SubjectKind::Practitioner => "practitioner",
            SubjectKind::Enterprise => "enterprise",
        }
    }

    /// 中文.
    pub fn zh(self) -> &'static str {
        match self {
            SubjectKind::Practitioner => "家政服务人员",
            SubjectKind::Enterprise => "家政服务机构",
        }
    }

    fn byte(self) -> u8 {
        match self {
            SubjectKind::Practitioner => 0,
            SubjectKind::Enterprise => 1,
        }
    }

    fn from_byte(b: u8) -> Option<SubjectKind> {
        match b {
            0 => Some(SubjectKind::Practitioner),
            1 => Some(SubjectKind::Enterprise),
            _ => None,
        }
    }
}

fn colour_byte(c: Colour) -> u8 {
    match c {
        Colour::Green => 0,
        Colour::Yellow => 1,
        Colour::Red => 2,
    }
}

fn colour_from_byte(b: u8) -> Option<Colour> {
    match b {
        0 => Some(Colour::Green),
        1 => Some(Colour::Yellow),
        2 => Some(Colour::Red),
        _ => None,
    }
}

/// What a token says (the key id travels beside it: [`issue`] takes it, [`verify`] uses it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Claims {
    /// The pseudonymous subject id the server derived: 1–32 ASCII letters, digits, `_`, `-`.
    pub subject: String,
    pub kind: SubjectKind,
    /// The status when the token was issued.
    pub colour: Colour,
    /// Milliseconds since the Unix epoch, in `0..TIME_LIMIT_MS`.
    pub issued_at_ms: i64,
    /// The first instant the token is no longer valid (exclusive end), after `issued_at_ms`.
    pub expires_at_ms: i64,
    /// Random bytes from the server, unique per token; revocation names them.
    pub token_id: [u8; TOKEN_ID_LEN],
}

impl Claims {
    /// The token id in lowercase hexadecimal (32 characters), as revocation lists hold it.
    pub fn token_id_hex(&self) -> String {
        self.token_id.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Why a token was not issued or not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The text is not a token (what is wrong, in English).
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// An `LC<n>` prefix with another version.
    #[error("unknown token version {0} (this verifier reads version {VERSION})")]
    UnknownVersion(u32),
    /// No verifying key has this key id.
    #[error("unknown key id '{0}'")]
    UnknownKey(String),
    /// The key configured for this key id is not an Ed25519 public key.
    #[error("the key for key id '{0}' is not a valid Ed25519 key")]
    InvalidKey(String),
    /// The signature does not match the text.
    #[error("the signature does not match")]
    BadSignature,
    /// Now is at or after the expiry instant.
    #[error("the token expired at {expires_at_ms} ms")]
    Expired { expires_at_ms: i64 },
    /// Issued further in the future than the allowed clock skew.
    #[error("the token is issued at {issued_at_ms} ms, more than 5 minutes in the future")]
    NotYetValid { issued_at_ms: i64 },
    /// The subject looks like personal data (what it looks like, in English).
    #[error("the subject looks like personal data ({0}); use a pseudonymous id")]
    PersonalData(&'static str),
    /// Claims or a key id [`issue`] cannot write (what is wrong, in English).
    #[error("cannot issue: {0}")]
    InvalidClaims(&'static str),
    /// The server has revoked this token id.
    #[error("token {0} has been revoked")]
    Revoked(String),
}

impl TokenError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Malformed(_) => "malformed",
            TokenError::UnknownVersion(_) => "unknown_version",
            TokenError::UnknownKey(_) => "unknown_key",
            TokenError::InvalidKey(_) => "invalid_key",
            TokenError::BadSignature => "bad_signature",
            TokenError::Expired { .. } => "expired",
            TokenError::NotYetValid { .. } => "not_yet_valid",
            TokenError::PersonalData(_) => "personal_data",
            TokenError::InvalidClaims(_) => "invalid_claims",
            TokenError::Revoked(_) => "revoked",
        }
    }

    /// 中文说明 (what a scan page shows).
    pub fn message_zh(&self) -> String {
        match self {
            TokenError::Malformed(_) => "不是有效的信用证书二维码（格式错误）".into(),
            TokenError::UnknownVersion(v) => {
                format!("不支持的证书格式版本 {v}（本程序支持版本 {VERSION}）")
            }
            TokenError::UnknownKey(k) => format!("未知的签名密钥编号“{k}”"),
            TokenError::InvalidKey(k) => format!("密钥编号“{k}”对应的密钥无效"),
            TokenError::BadSignature => "签名验证失败，证书可能被篡改".into(),
            TokenError::Expired { .. } => "证书已过期，请让服务人员刷新二维码".into(),
            TokenError::NotYetValid { .. } => "证书签发时间晚于当前时间，请检查设备时钟".into(),
            TokenError::PersonalData(_) => {
                "主体标识疑似含有个人信息（姓名、手机号或身份证号），应使用化名标识".into()
            }
            TokenError::InvalidClaims(_) => "证书内容不符合签发要求".into(),
            TokenError::Revoked(_) => "证书已被撤销".into(),
        }
    }
}

/// The public key (32 bytes) of a signing key, to publish for scanners.
pub fn verifying_key(signing_key: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(signing_key)
        .verifying_key()
        .to_bytes()
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Refuses a subject that looks like a name, an e-mail address, a phone number or an ID
/// number, before its form is checked (so `张三` is personal data, not just a bad character).
fn check_personal_data(subject: &str) -> Result<(), TokenError> {
    if !subject.is_ascii() {
        return Err(TokenError::PersonalData(
            "characters outside ASCII, perhaps a name",
        ));
    }
    if subject.contains('@') {
        return Err(TokenError::PersonalData("an e-mail address"));
    }
    // The longest run of digits, separators not breaking it.
    let mut run = 0usize;
    let mut longest = 0usize;
    for c in subject.chars() {
        if c.is_ascii_digit() {
            run += 1;
            longest = longest.max(run);
        } else if c.is_ascii_alphabetic() {
            run = 0;
        }
    }
    if longest >= 15 {
        return Err(TokenError::PersonalData("an ID number"));
    }
    if longest >= 11 {
        return Err(TokenError::PersonalData("a phone number"));
    }
    Ok(())
}

fn check_key_id(key_id: &str) -> Result<(), TokenError> {
    if key_id.is_empty() || key_id.len() > MAX_KEY_ID_LEN || !key_id.chars().all(is_id_char) {
        return Err(TokenError::InvalidClaims(
            "the key id must be 1 to 16 ASCII letters, digits, '_' or '-'",
        ));
    }
    Ok(())
}

fn check_claims(c: &Claims) -> Result<(), TokenError> {
    check_personal_data(&c.subject)?;
    if c.subject.is_empty()
        || c.subject.len() > MAX_SUBJECT_LEN
        || !c.subject.chars().all(is_id_char)
    {
        return Err(TokenError::InvalidClaims(
            "the subject must be 1 to 32 ASCII letters, digits, '_' or '-'",
        ));
    }
    let in_range = |t: i64| (0..TIME_LIMIT_MS).contains(&t);
    if !in_range(c.issued_at_ms) || !in_range(c.expires_at_ms) {
        return Err(TokenError::InvalidClaims(
            "times must be between the Unix epoch and 2^48 ms",
        ));
    }
    if c.expires_at_ms <= c.issued_at_ms {
        return Err(TokenError::InvalidClaims(
            "the token must expire after it is issued",
        ));
    }
    Ok(())
}

/// The canonical payload bytes (the claims are already checked).
fn encode_payload(key_id: &str, c: &Claims) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + key_id.len() + c.subject.len());
    out.push(c.kind.byte());
    out.push(colour_byte(c.colour));
    out.extend_from_slice(&c.issued_at_ms.to_be_bytes()[2..]);
    out.extend_from_slice(&c.expires_at_ms.to_be_bytes()[2..]);
    out.extend_from_slice(&c.token_id);
    // Both lengths are checked (at most 32), so they fit a byte.
    out.push(key_id.len() as u8);
    out.extend_from_slice(key_id.as_bytes());
    out.push(c.subject.len() as u8);
    out.extend_from_slice(c.subject.as_bytes());
    out
}

/// Reads the payload strictly: it succeeds only on bytes [`encode_payload`] writes.
fn decode_payload(bytes: &[u8]) -> Result<(String, Claims), TokenError> {
    const SHORT: TokenError = TokenError::Malformed("the payload is too short");
    let mut rest = bytes;
    let mut take = |n: usize| -> Result<&[u8], TokenError> {
        if rest.len() < n {
            return Err(SHORT);
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Ok(head)
    };
    let kind =
        SubjectKind::from_byte(take(1)?[0]).ok_or(TokenError::Malformed("unknown subject kind"))?;
    let colour = colour_from_byte(take(1)?[0]).ok_or(TokenError::Malformed("unknown colour"))?;
    let time = |b: &[u8]| {
        let mut eight = [0u8; 8];
        eight[2..].copy_from_slice(b);
        i64::from_be_bytes(eight)
    };
    let issued_at_ms = time(take(6)?);
    let expires_at_ms = time(take(6)?);
    let mut token_id = [0u8; TOKEN_ID_LEN];
    token_id.copy_from_slice(take(TOKEN_ID_LEN)?);
    let text = |b: &[u8], max: usize, what: &'static str| -> Result<String, TokenError> {
        if b.is_empty() || b.len() > max || !b.iter().all(|&c| is_id_char(c as char)) {
            return Err(TokenError::Malformed(what));
        }
        // ASCII only, so always UTF-8.
        String::from_utf8(b.to_vec()).map_err(|_| TokenError::Malformed(what))
    };
    let k = take(1)?[0] as usize;
    let key_id = text(take(k)?, MAX_KEY_ID_LEN, "bad key id")?;
    let n = take(1)?[0] as usize;
    let subject = text(take(n)?, MAX_SUBJECT_LEN, "bad subject")?;
    if !rest.is_empty() {
        return Err(TokenError::Malformed("bytes after the payload"));
    }
    if expires_at_ms <= issued_at_ms {
        return Err(TokenError::Malformed("expires before it is issued"));
    }
    Ok((
        key_id,
        Claims {
            subject,
            kind,
            colour,
            issued_at_ms,
            expires_at_ms,
            token_id,
        },
    ))
}

/// Signs the claims with the key `key_id` names and writes the token text
/// `LC1.<payload>.<signature>`. Refuses a subject that looks like personal data and claims or a
/// key id the format cannot carry. Ed25519 signatures are deterministic: the same key, key id
/// and claims always give the same text.
pub fn issue(signing_key: &[u8; 32], key_id: &str, claims: &Claims) -> Result<String, TokenError> {
    check_claims(claims)?;
    check_key_id(key_id)?;
    let key = SigningKey::from_bytes(signing_key);
    let mut text = String::with_capacity(MAX_TOKEN_LEN);
    text.push_str(PREFIX);
    text.push('.');
    URL_SAFE_NO_PAD.encode_string(encode_payload(key_id, claims), &mut text);
    let signature = key.sign(text.as_bytes());
    text.push('.');
    URL_SAFE_NO_PAD.encode_string(signature.to_bytes(), &mut text);
    Ok(text)
}

/// The version of an `LC<n>` prefix (`n` decimal, no leading zero), or `None`.
fn prefix_version(prefix: &str) -> Option<u32> {
    let digits = prefix.strip_prefix("LC")?;
    if digits.is_empty()
        || digits.len() > 9
        || digits.starts_with('0')
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    digits.parse().ok()
}

/// Checks a token offline against the published verifying keys (key id, 32-byte Ed25519 public
/// key; the first entry with a matching id is used) at `now_ms` (the scanner's clock, ms since
/// the Unix epoch), and returns its claims. See the module documentation for the order of the
/// checks. Revocation is not checked here: the server calls [`check_revoked`] next.
pub fn verify(token: &str, keys: &[(&str, [u8; 32])], now_ms: i64) -> Result<Claims, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed("too long"));
    }
    let mut parts = token.split('.');
    let (Some(prefix), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed("not three parts separated by '.'"));
    };
    match prefix_version(prefix) {
        Some(VERSION) => {}
        Some(other) => return Err(TokenError::UnknownVersion(other)),
        None => return Err(TokenError::Malformed("the prefix is not LC<version>")),
    }
    let payload_bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed("the payload is not base64url without padding"))?;
    let signature_bytes: [u8; 64] = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed("the signature is not base64url without padding"))?
        .try_into()
        .map_err(|_| TokenError::Malformed("the signature is not 64 bytes"))?;
    let (key_id, claims) = decode_payload(&payload_bytes)?;
    let Some((_, key_bytes)) = keys.iter().find(|(id, _)| *id == key_id) else {
        return Err(TokenError::UnknownKey(key_id));
    };
    let key =
        VerifyingKey::from_bytes(key_bytes).map_err(|_| TokenError::InvalidKey(key_id.clone()))?;
    // The signed bytes: the text up to the second '.', exactly as shown.
    let signed = &token.as_bytes()[..prefix.len() + 1 + payload.len()];
    key.verify_strict(signed, &Signature::from_bytes(&signature_bytes))
        .map_err(|_| TokenError::BadSignature)?;
    if now_ms >= claims.expires_at_ms {
        return Err(TokenError::Expired {
            expires_at_ms: claims.expires_at_ms,
        });
    }
    if claims.issued_at_ms > now_ms.saturating_add(MAX_CLOCK_SKEW_MS) {
        return Err(TokenError::NotYetValid {
            issued_at_ms: claims.issued_at_ms,
        });
    }
    Ok(claims)
}

/// The online check after [`verify`]: refuses the token if the server's revocation list holds
/// its id (`is_revoked` gets [`Claims::token_id_hex`]).
pub fn check_revoked(claims: &Claims, is_revoked: impl Fn(&str) -> bool) -> Result<(), TokenError> {
    let id = claims.token_id_hex();
    if is_revoked(&id) {
        return Err(TokenError::Revoked(id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn claims() -> Claims {
        Claims {
            subject: "pQ7vX2mK9aLw3sRt".into(),
            kind: SubjectKind::Practitioner,
            colour: Colour::Green,
            issued_at_ms: 1_780_000_000_000,
            expires_at_ms: 1_780_000_600_000,
            token_id: [0xab; TOKEN_ID_LEN],
        }
    }

    #[test]
    fn the_payload_layout_is_as_documented() {
        let c = claims();
        let p = encode_payload("k1", &c);
        assert_eq!(p.len(), 30 + 1 + 2 + 1 + 16);
        assert_eq!(&p[..2], &[0, 0]);
        // 1_780_000_000_000 = 0x019E_7044_8800 (six bytes).
        assert_eq!(&p[2..8], &[0x01, 0x9e, 0x70, 0x44, 0x88, 0x00]);
        assert_eq!(&p[14..30], &[0xab; 16]);
        assert_eq!(&p[30..33], b"\x02k1");
        assert_eq!(p[33], 16);
        assert_eq!(&p[34..], c.subject.as_bytes());
        assert_eq!(decode_payload(&p), Ok(("k1".to_string(), c)));
    }

    #[test]
    fn decoding_refuses_what_issue_would_not_write() {
        let c = claims();
        let good = encode_payload("k1", &c);
        let mut longer = good.clone();
        longer.push(0);
        assert!(decode_payload(&longer).is_err());
        assert!(decode_payload(&good[..good.len() - 1]).is_err());
        let mut kind = good.clone();
        kind[0] = 2;
        assert!(decode_payload(&kind).is_err());
        let mut colour = good.clone();
        colour[1] = 3;
        assert!(decode_payload(&colour).is_err());
        let mut bad_char = good.clone();
        bad_char[31] = b'.';
        assert!(decode_payload(&bad_char).is_err());
        let mut empty_subject = good[..33].to_vec();
        empty_subject.push(0);
        assert!(decode_payload(&empty_subject).is_err());
        let mut backwards = c.clone();
        backwards.expires_at_ms = backwards.issued_at_ms;
        assert!(decode_payload(&encode_payload("k1", &backwards)).is_err());
    }

    #[test]
    fn personal_data_is_recognised() {
        for (subject, code) in [
            ("13800138000", "a phone number"),
            ("u13800138000x", "a phone number"),
            ("138-0013-8000", "a phone number"),
            ("86_138_0013_8000", "a phone number"),
            ("11010119900307123X", "an ID number"),
            ("110101199003071234", "an ID number"),
            ("110101900307123", "an ID number"),
            ("张三", "characters outside ASCII, perhaps a name"),
            ("a@b.cn", "an e-mail address"),
        ] {
            assert_eq!(
                check_personal_data(subject),
                Err(TokenError::PersonalData(code)),
                "{subject}"
            );
        }
        // Ten digits, or digit runs broken by letters, are not refused.
        for subject in [
            "1380013800",
            "a1380013800",
            "12345a123456",
            "pQ7vX2mK9aLw3sRt",
        ] {
            assert_eq!(check_personal_data(subject), Ok(()), "{subject}");
        }
    }

    #[test]
    fn prefixes() {
        assert_eq!(prefix_version("LC1"), Some(1));
        assert_eq!(prefix_version("LC12"), Some(12));
        for p in ["LC", "LC01", "lc1", "LC1a", "LC+1", "XX1", "LC9999999999"] {
            assert_eq!(prefix_version(p), None, "{p}");
        }
    }

    fn any_claims() -> impl Strategy<Value = Claims> {
        (
            "[A-Za-z_-][A-Za-z0-9_-]{0,31}",
            any::<bool>(),
            0u8..3,
            0i64..TIME_LIMIT_MS - 1,
            1i64..1 << 40,
            any::<[u8; TOKEN_ID_LEN]>(),
        )
            .prop_map(
                |(subject, enterprise, colour, issued, life, token_id)| Claims {
                    subject,
                    kind: if enterprise {
                        SubjectKind::Enterprise
                    } else {
                        SubjectKind::Practitioner
                    },
                    colour: colour_from_byte(colour).unwrap(),
                    issued_at_ms: issued,
                    expires_at_ms: (issued + life).min(TIME_LIMIT_MS - 1),
                    token_id,
                },
            )
            .prop_filter("not personal data", |c| {
                check_personal_data(&c.subject).is_ok()
            })
    }

    proptest! {
        /// Decoding inverts encoding, and whatever decodes encodes back to the same bytes: a
        /// payload with one byte changed, cut short or extended either is refused or has other
        /// claims.
        #[test]
        fn the_payload_is_canonical(c in any_claims(), kid in "[A-Za-z0-9_-]{1,16}",
                                    at in any::<proptest::sample::Index>(), byte in any::<u8>(),
                                    noise in proptest::collection::vec(any::<u8>(), 0..90)) {
            let bytes = encode_payload(&kid, &c);
            prop_assert_eq!(decode_payload(&bytes), Ok((kid.clone(), c.clone())));
            let mut changed = bytes.clone();
            changed[at.index(bytes.len())] = byte;
            let mut cut = bytes.clone();
            cut.truncate(at.index(bytes.len()));
            let mut longer = bytes.clone();
            longer.push(byte);
            for other in [changed, cut, longer, noise] {
                if let Ok((k, d)) = decode_payload(&other) {
                    prop_assert_eq!(&encode_payload(&k, &d), &other);
                    prop_assert!(other == bytes || (k, d) != (kid.clone(), c.clone()));
                }
            }
        }
    }
}
