//! Errors of the table readers and writers: every message names file, line, field and why.

use lc_model::io_reason;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// At most this many row errors are collected from one file; reading stops after them.
pub const MAX_ROW_ERRORS: usize = 20;

/// One problem in one row of a file.
///
/// Displays as `communities.csv 第 7 行 line 7, 字段 field 'lat': '91.5' 超出范围（-90 至 90）'91.5'
/// is out of range (-90 to 90)`, or without the field part when the whole row is wrong (e.g.
/// the number of fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The file, as given by the caller.
    pub file: String,
    /// 1-based physical line where the row starts (the header is line 1).
    pub line: u64,
    /// The column, when one field is at fault.
    pub field: Option<String>,
    /// What is wrong, in Chinese and English, e.g. `'91.5' 超出范围（-90 至 90）'91.5' is out of
    /// range (-90 to 90)`.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} 第 {} 行 line {}", self.file, self.line, self.line)?;
        if let Some(field) = &self.field {
            write!(f, ", 字段 field '{field}'")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why a table could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// The file could not be opened (the OS reason is the source).
    #[error("无法打开 cannot open {}: {}", path.display(), io_reason(reason))]
    Open {
        /// The path as given.
        path: PathBuf,
        /// The OS error (in the message, not the error chain, so it is printed once).
        reason: io::Error,
    },
    /// The file was opened but reading it failed.
    #[error("无法读取 cannot read {}: {}", path.display(), io_reason(reason))]
    Read {
        /// The path as given.
        path: PathBuf,
        /// The OS error (in the message, not the error chain, so it is printed once).
        reason: io::Error,
    },
    /// Writing an output file failed (the file at the path, if any, is untouched).
    #[error("无法写入 cannot write {}: {}", path.display(), io_reason(reason))]
    Write {
        /// The path as given.
        path: PathBuf,
        /// The underlying error (in the message, not the error chain, so it is printed once).
        reason: io::Error,
    },
    /// A required column is not in the header line.
    #[error("{file}: {}", missing_column(column, found))]
    MissingColumn {
        /// The file, as given.
        file: String,
        /// The missing column.
        column: String,
        /// The columns of the header line, in file order.
        found: Vec<String>,
    },
    /// The file as a whole is unusable: empty, no header line, repeated column names, ….
    #[error("{file}: {problem}")]
    File {
        /// The file, as given.
        file: String,
        /// What is wrong.
        problem: String,
    },
    /// One or more rows are wrong. At most [`MAX_ROW_ERRORS`] are collected, in file order.
    #[error("{}", rows_message(file, errors, *stopped_at))]
    Rows {
        /// The file, as given.
        file: String,
        /// The problems, in line order.
        errors: Vec<RowError>,
        /// The line where reading stopped because the error limit was reached, if it was.
        stopped_at: Option<u64>,
    },
}

impl TableError {
    /// The row errors, if this is a [`TableError::Rows`] error (empty otherwise).
    pub fn row_errors(&self) -> &[RowError] {
        match self {
            TableError::Rows { errors, .. } => errors,
            _ => &[],
        }
    }
}

fn missing_column(column: &str, found: &[String]) -> String {
    // A header name is listed as it is unless it is long (a file that is not a table).
    let found: Vec<String> = found
        .iter()
        .map(|n| match n.chars().count() > lc_model::MAX_SHOWN_CHARS {
            true => lc_model::quote(n),
            false => n.clone(),
        })
        .collect();
    format!(
        "缺少必需的列 '{column}'（表头中有：{0}）missing required column '{column}' (found: {0})",
        found.join(", ")
    )
}

fn rows_message(file: &str, errors: &[RowError], stopped_at: Option<u64>) -> String {
    if errors.len() == 1 && stopped_at.is_none() {
        return errors[0].to_string();
    }
    let mut s = format!(
        "{file} 中有 {} 处错误 {} in {file}",
        errors.len(),
        lc_model::count(errors.len(), "error"),
    );
    if let Some(line) = stopped_at {
        s.push_str(&format!(
            "（{MAX_ROW_ERRORS} 处错误后在第 {line} 行停止读取，可能还有更多 stopped reading at line {line} after {MAX_ROW_ERRORS} errors; there may be more）"
        ));
    }
    s.push(':');
    for e in errors {
        s.push_str("\n  ");
        s.push_str(&e.to_string());
    }
    s
}

/// Collects the row errors of one file, up to [`MAX_ROW_ERRORS`].
#[derive(Debug)]
pub(crate) struct Collector {
    pub(crate) file: String,
    pub(crate) errors: Vec<RowError>,
    pub(crate) stopped_at: Option<u64>,
}

impl Collector {
    pub(crate) fn new(file: &str) -> Collector {
        Collector {
            file: file.to_string(),
            errors: Vec::new(),
            stopped_at: None,
        }
    }

    /// Records a problem; `field` is the column name when one field is at fault.
    pub(crate) fn push(&mut self, line: u64, field: Option<&str>, message: String) {
        if self.errors.len() < MAX_ROW_ERRORS {
            self.errors.push(RowError {
                file: self.file.clone(),
                line,
                field: field.map(str::to_string),
                message,
            });
        }
    }

    /// Whether reading should stop: the limit is reached.
    pub(crate) fn full(&self) -> bool {
        self.errors.len() >= MAX_ROW_ERRORS
    }

    /// Remembers the line where reading stopped because the collector was [`full`](Self::full).
    pub(crate) fn stop(&mut self, line: u64) {
        self.stopped_at.get_or_insert(line);
    }

    /// `Ok(())` when nothing was recorded, else the [`TableError::Rows`] error.
    pub(crate) fn finish(self) -> Result<(), TableError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(TableError::Rows {
                file: self.file,
                errors: self.errors,
                stopped_at: self.stopped_at,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_error_is_shown_alone_and_many_are_summarised() {
        let mut c = Collector::new("communities.csv");
        c.push(7, Some("lat"), "'91.5' is out of range (-90 to 90)".into());
        let one = c.finish().unwrap_err().to_string();
        assert_eq!(
            one,
            "communities.csv 第 7 行 line 7, 字段 field 'lat': '91.5' is out of range (-90 to 90)"
        );

        let mut c = Collector::new("communities.csv");
        c.push(3, None, "expected 5 fields, found 4".into());
        c.push(4, Some("id"), "is empty".into());
        c.push(9, Some("lon"), "'x' is not a number".into());
        let msg = c.finish().unwrap_err().to_string();
        let lines: Vec<&str> = msg.lines().collect();
        assert_eq!(
            lines[0],
            "communities.csv 中有 3 处错误 3 errors in communities.csv:"
        );
        assert_eq!(
            lines[1],
            "  communities.csv 第 3 行 line 3: expected 5 fields, found 4"
        );
        assert_eq!(
            lines[3],
            "  communities.csv 第 9 行 line 9, 字段 field 'lon': 'x' is not a number"
        );
    }

    #[test]
    fn collector_stops_at_the_limit() {
        let mut c = Collector::new("f.csv");
        for line in 2..40 {
            if c.full() {
                c.stop(line);
                break;
            }
            c.push(line, Some("x"), "bad".into());
        }
        assert_eq!(c.errors.len(), MAX_ROW_ERRORS);
        let msg = c.finish().unwrap_err().to_string();
        assert!(
            msg.starts_with(
                "f.csv 中有 20 处错误 20 errors in f.csv（20 处错误后在第 22 行停止读取，可能还有更多 \
                 stopped reading at line 22 after 20 errors; there may be more）:"
            ),
            "{msg}"
        );
    }
}
