//! Masking of personal data (names, phone numbers) for lists and exports.

/// Masks a personal name: the first character kept, the rest starred
/// (`张三` → `张*`, `欧阳小明` → `欧***`). An empty name stays empty.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
    }
}

/// Masks a phone number: the first 3 and last 4 digits kept (`13812345678` → `138****5678`);
/// shorter numbers keep only their last 2 digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim().chars().collect();
    let n = chars.len();
    if n >= 8 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(n - 7))
    } else if n > 2 {
        let tail: String = chars[n - 2..].iter().collect();
        format!("{}{tail}", "*".repeat(n - 2))
    } else {
        "*".repeat(n)
    }
}

/// Checks a phone number: a mainland mobile number (11 digits starting with 1) or a landline
/// of 7-8 digits with an optional area code (`010-62345678`, `0755 8888 1234`).
pub fn is_phone(phone: &str) -> bool {
    let digits: String = phone.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    (digits.len() == 11 && digits.starts_with('1'))
        || (7..=8).contains(&digits.len())
        || ((10..=12).contains(&digits.len()) && digits.starts_with('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_phones() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳小明"), "欧***");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("010-62345678"), "010*****5678");
        assert_eq!(mask_phone("12345"), "***45");
        assert!(is_phone("13812345678"));
        assert!(is_phone("010-62345678"));
        assert!(!is_phone("1381234567a"));
        assert!(!is_phone("23812345678"));
    }
}
