//! Errors of the OSM import; every message names the file and the reason.

use std::path::{Path, PathBuf};

/// Why an OSM file could not be imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OsmError {
    /// The file could not be opened or read.
    #[error(
        "{}: 无法读取文件 cannot read the file: {}",
        file.display(),
        lc_model::io_reason(source)
    )]
    Io {
        /// The file.
        file: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file is neither OSM PBF nor OSM XML, or uses a variant that is not supported.
    #[error("{}: {reason}", file.display())]
    Format {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The PBF file ends inside a blob: it was cut short (an interrupted download or copy).
    #[error(
        "{}: PBF 文件在第 {offset} 字节处被截断（下载或复制中断？）truncated PBF {part} at byte {offset}: it needs {needed} bytes but the file ends after {available}",
        file.display()
    )]
    TruncatedPbf {
        /// The file.
        file: PathBuf,
        /// `blob`, `blob header` or `blob size`.
        part: &'static str,
        /// Byte offset of the start of the damaged blob.
        offset: u64,
        /// Bytes the blob needs from `offset`.
        needed: u64,
        /// Bytes left in the file from `offset`.
        available: u64,
    },
    /// A PBF blob could not be decoded.
    #[error("{}: PBF 数据块在第 {offset} 字节处损坏 corrupt PBF blob at byte {offset}: {reason}", file.display())]
    CorruptPbf {
        /// The file.
        file: PathBuf,
        /// Byte offset of the start of the blob.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The XML is not well formed or not OSM XML.
    #[error(
        "{}: 第 {line} 行第 {column} 列 line {line}, column {column}: OSM XML 格式错误 malformed OSM XML: {reason}",
        file.display()
    )]
    Xml {
        /// The file.
        file: PathBuf,
        /// 1-based line of the problem.
        line: u64,
        /// 1-based column (in bytes) of the problem.
        column: u64,
        /// What is wrong.
        reason: String,
    },
}

impl OsmError {
    /// The file the error is about.
    pub fn file(&self) -> &Path {
        match self {
            OsmError::Io { file, .. }
            | OsmError::Format { file, .. }
            | OsmError::TruncatedPbf { file, .. }
            | OsmError::CorruptPbf { file, .. }
            | OsmError::Xml { file, .. } => file,
        }
    }
}

/// 1-based line and column (bytes) of byte `pos` in `data`.
pub(crate) fn line_col(data: &[u8], pos: usize) -> (u64, u64) {
    let pos = pos.min(data.len());
    let before = &data[..pos];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, (pos - line_start) as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let data = b"ab\ncde\nf";
        assert_eq!(line_col(data, 0), (1, 1));
        assert_eq!(line_col(data, 2), (1, 3));
        assert_eq!(line_col(data, 3), (2, 1));
        assert_eq!(line_col(data, 5), (2, 3));
        assert_eq!(line_col(data, 7), (3, 1));
        assert_eq!(line_col(data, 100), (3, 2));
    }
}
