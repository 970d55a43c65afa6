//! Quoting user values in messages: one rule for every crate, so a 300-digit number or a pasted
//! paragraph does not fill the terminal.

/// A value longer than this many characters is cut in messages.
pub const MAX_SHOWN_CHARS: usize = 60;

/// A value quoted for a message, e.g. `'91.5'`. A value longer than [`MAX_SHOWN_CHARS`]
/// characters is cut after them with `…` and its length is given:
/// `'123456…' (300 个字符 characters)`. Surrounding whitespace is kept as given; control
/// characters (a line break in a value) are escaped so a message stays on one line.
pub fn quote(value: &str) -> String {
    let mut chars = value.chars();
    let short: String = chars.by_ref().take(MAX_SHOWN_CHARS).collect();
    let short = escape_controls(&short);
    if chars.next().is_some() {
        let n = value.chars().count();
        format!("'{short}…' ({n} 个字符 characters)")
    } else {
        format!("'{short}'")
    }
}

/// A count with an English noun in the right number: `1 community`, `2 communities`,
/// `0 errors`. `noun` is the singular; a final consonant + `y` becomes `ies`, else `s` is added.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {}", plural(noun))
    }
}

/// The English plural of a singular noun of these messages: `community` → `communities`,
/// `candidate site` → `candidate sites`.
pub fn plural(noun: &str) -> String {
    match noun.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{stem}ies"),
        _ => format!("{noun}s"),
    }
}

/// An operating-system error in Chinese and English: the Chinese for the common kinds, then
/// the system's own (English) text, e.g. `文件或文件夹不存在 No such file or directory (os error 2)`.
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let text = e.to_string();
    // A reason made by livingcircle is bilingual already.
    if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        return text;
    }
    let zh = match e.kind() {
        K::NotFound => "文件或文件夹不存在",
        K::PermissionDenied => "没有权限",
        K::AlreadyExists => "已存在",
        K::IsADirectory => "是文件夹而不是文件",
        K::NotADirectory => "路径中有一段不是文件夹",
        K::StorageFull => "磁盘已满",
        K::ReadOnlyFilesystem => "文件系统只读",
        K::InvalidData => "数据无效",
        K::UnexpectedEof => "文件意外结束",
        K::OutOfMemory => "内存不足",
        K::Interrupted => "被中断",
        K::DirectoryNotEmpty => "文件夹不为空",
        K::CrossesDevices => "不能跨文件系统移动",
        _ => "操作失败",
    };
    format!("{zh} {text}")
}

fn escape_controls(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_quoted_whole() {
        assert_eq!(quote("91.5"), "'91.5'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote(&"x".repeat(60)), format!("'{}'", "x".repeat(60)));
        assert_eq!(quote("药店"), "'药店'");
    }

    #[test]
    fn long_values_are_cut_with_their_length() {
        let long = "9".repeat(300);
        let q = quote(&long);
        assert_eq!(q, format!("'{}…' (300 个字符 characters)", "9".repeat(60)));
        // Counted in characters, not bytes: a Chinese value is not cut inside a character.
        let zh = "社".repeat(61);
        assert_eq!(
            quote(&zh),
            format!("'{}…' (61 个字符 characters)", "社".repeat(60))
        );
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "community"), "1 community");
        assert_eq!(count(2, "community"), "2 communities");
        assert_eq!(count(0, "facility"), "0 facilities");
        assert_eq!(count(1, "error"), "1 error");
        assert_eq!(count(3, "candidate"), "3 candidates");
        assert_eq!(count(2, "day"), "2 days");
        assert_eq!(plural("candidate site"), "candidate sites");
    }

    #[test]
    fn os_errors_get_a_chinese_summary() {
        let e = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert!(
            io_reason(&e).starts_with("文件或文件夹不存在 "),
            "{}",
            io_reason(&e)
        );
        let own = std::io::Error::other("路径没有指明文件 the path does not name a file");
        assert_eq!(
            io_reason(&own),
            "路径没有指明文件 the path does not name a file"
        );
    }

    #[test]
    fn line_breaks_do_not_break_the_message() {
        assert_eq!(quote("a\nb"), "'a\\nb'");
    }
}
