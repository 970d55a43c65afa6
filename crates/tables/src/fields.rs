//! Shared reading plumbing: loading a file, the header line, and parsing fields from bytes.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use csv::ByteRecord;

use crate::error::{Collector, TableError};

/// A whole input file in memory, with the name used in messages.
pub(crate) struct Source {
    /// The path as given, for messages.
    pub(crate) file: String,
    /// The bytes, UTF-8 byte order mark removed.
    data: Vec<u8>,
    /// Where the data starts (3 when a BOM was skipped).
    start: usize,
}

/// Files at least this large are read in parts on all threads.
const PARALLEL_READ_BYTES: u64 = 64 << 20;

/// The whole file. A large one is read in parts at their offsets, one per thread: read whole on
/// one thread, a province's 443 MB facility file took about a second of copying into fresh
/// memory while the other core waited. A file that changes size while it is read is read again
/// from the start, on one thread.
fn read_whole(f: File) -> std::io::Result<Vec<u8>> {
    read_whole_from(f, PARALLEL_READ_BYTES)
}

/// [`read_whole`] with its threshold for reading in parts.
fn read_whole_from(mut f: File, parallel_from: u64) -> std::io::Result<Vec<u8>> {
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    #[cfg(unix)]
    if len >= parallel_from && len > 0 {
        if let Ok(len) = usize::try_from(len) {
            if let Some(data) = read_in_parts(&f, len)? {
                return Ok(data);
            }
        }
        std::io::Seek::rewind(&mut f)?;
    }
    let mut data = Vec::with_capacity(usize::try_from(len).map_or(1 << 16, |n| n + 1));
    f.read_to_end(&mut data)?;
    Ok(data)
}

/// `len` bytes read in one part per thread; `None` when the file turns out not to be `len`
/// bytes long.
#[cfg(unix)]
fn read_in_parts(f: &File, len: usize) -> std::io::Result<Option<Vec<u8>>> {
    use rayon::prelude::*;
    use std::os::unix::fs::FileExt;
    let mut data = vec![0u8; len];
    let part = len.div_ceil(rayon::current_num_threads().max(1));
    let read = data
        .par_chunks_mut(part)
        .enumerate()
        .try_for_each(|(i, chunk)| f.read_exact_at(chunk, (i * part) as u64));
    match read {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    // Grown since its size was taken: read again as a whole.
    let mut probe = [0u8; 1];
    if f.read_at(&mut probe, len as u64)? != 0 {
        return Ok(None);
    }
    Ok(Some(data))
}

impl Source {
    /// Reads a file into memory. Errors name the path and carry the OS reason.
    pub(crate) fn load(path: &Path) -> Result<Source, TableError> {
        let f = File::open(path).map_err(|source| TableError::Open {
            path: path.to_path_buf(),
            reason: source,
        })?;
        let data = read_whole(f).map_err(|source| TableError::Read {
            path: path.to_path_buf(),
            reason: source,
        })?;
        Source::from_bytes(path.display().to_string(), data)
    }

    /// A table already in memory (an upload): `file` names it in messages.
    pub(crate) fn from_bytes(file: String, data: Vec<u8>) -> Result<Source, TableError> {
        // People's files as they have them: an Excel workbook given where a CSV is expected,
        // a CSV saved by Excel on Chinese Windows (GBK/GB18030).
        let data = if is_xlsx(&data) {
            let csv = xlsx_first_sheet_as_csv(&data).map_err(|problem| TableError::File {
                file: file.clone(),
                problem: format!(
                    "是 Excel 工作簿但无法读取 an Excel workbook that cannot be read: {problem}"
                ),
            })?;
            tracing::warn!("{file}: Excel 工作簿，读取第一个工作表 an Excel workbook: its first sheet was read");
            csv
        } else {
            match decode_text(data) {
                Ok((text, None)) => text,
                Ok((text, Some(enc))) => {
                    tracing::warn!(
                        "{file}: 按 {enc} 编码读取 read as {enc} (the file is not UTF-8)"
                    );
                    text
                }
                Err(()) => {
                    return Err(TableError::File {
                        file,
                        problem: format!(
                            "文本既不是 UTF-8 也不是 GBK/GB18030 the text is neither UTF-8 nor GBK/GB18030; {UTF8_HINT}"
                        ),
                    })
                }
            }
        };
        let start = if data.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        Ok(Source { file, data, start })
    }

    /// The bytes after any BOM.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.data[self.start..]
    }

    /// A line counter over the bytes, for [`Lines::of`].
    pub(crate) fn lines(&self) -> Lines<'_> {
        Lines {
            data: self.bytes(),
            at: 0,
            line: 1,
        }
    }

    /// A CSV reader over the bytes; the header is read by [`Source::header`].
    pub(crate) fn reader(&self) -> csv::Reader<&[u8]> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(self.bytes())
    }

    /// Reads the header line and finds the columns. `columns` lists every known column
    /// (required ones flagged `true`); the result has one entry per known column, `Some` for
    /// the position in the file, always `Some` for required ones. Also returns the number of
    /// fields of the header line.
    pub(crate) fn header(
        &self,
        reader: &mut csv::Reader<&[u8]>,
        columns: &[(&str, bool)],
    ) -> Result<(Vec<Option<usize>>, usize), TableError> {
        let expected = || {
            columns
                .iter()
                .filter(|c| c.1)
                .map(|c| c.0)
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut rec = ByteRecord::new();
        let got = reader
            .read_byte_record(&mut rec)
            .map_err(|e| self.csv_error(e))?;
        if !got {
            return Err(TableError::File {
                file: self.file.clone(),
                problem: format!(
                    "文件为空，应有表头行 the file is empty; expected a header line such as '{}'",
                    expected()
                ),
            });
        }
        let mut names = Vec::with_capacity(rec.len());
        for field in rec.iter() {
            let name = std::str::from_utf8(field).map_err(|_| TableError::File {
                file: self.file.clone(),
                problem: format!(
                    "表头行不是有效的 UTF-8 文本 the header line is not valid UTF-8 text; {UTF8_HINT}"
                ),
            })?;
            names.push(name.trim().trim_start_matches('\u{feff}').to_string());
        }
        if let [only] = names.as_slice() {
            for (sep, zh, en) in [('\t', "制表符", "tabs"), (';', "分号", "semicolons")] {
                if only.contains(sep) {
                    return Err(TableError::File {
                        file: self.file.clone(),
                        problem: format!(
                            "表头行没有逗号而有{zh}，请另存为逗号分隔的 CSV the header line has no commas but has \
                             {en}; save the file as comma-separated CSV (expected a header line \
                             such as '{}')",
                            expected()
                        ),
                    });
                }
            }
        }
        let mut found = vec![None; columns.len()];
        for (pos, name) in names.iter().enumerate() {
            if let Some(k) = columns.iter().position(|c| c.0.eq_ignore_ascii_case(name)) {
                if let Some(first) = found[k] {
                    return Err(TableError::File {
                        file: self.file.clone(),
                        problem: format!(
                            "列 '{0}' 在表头行出现两次（第 {1} 和第 {2} 列）column '{0}' appears twice in the header line (columns {1} and {2})",
                            columns[k].0,
                            first + 1,
                            pos + 1
                        ),
                    });
                }
                found[k] = Some(pos);
            }
        }
        for (k, (name, required)) in columns.iter().enumerate() {
            if *required && found[k].is_none() {
                return Err(TableError::MissingColumn {
                    file: self.file.clone(),
                    column: name.to_string(),
                    found: names,
                });
            }
        }
        Ok((found, rec.len()))
    }

    /// A CSV-level error (only I/O can happen on in-memory, flexible, byte records).
    pub(crate) fn csv_error(&self, e: csv::Error) -> TableError {
        TableError::Read {
            path: self.file.clone().into(),
            reason: e.into(),
        }
    }
}

/// The advice given with text that is not UTF-8.
pub(crate) const UTF8_HINT: &str =
    "请另存为 UTF-8（Excel 中选“CSV UTF-8”）save the file as UTF-8 (in Excel: 'CSV UTF-8')";

/// Whether bytes are a zip archive, as an `.xlsx` workbook is.
pub(crate) fn is_xlsx(data: &[u8]) -> bool {
    data.starts_with(b"PK\x03\x04")
}

/// The first sheet of an Excel workbook as CSV text (UTF-8), so that it goes through the same
/// reader and checks as a CSV file; line numbers are the sheet's row numbers.
pub(crate) fn xlsx_first_sheet_as_csv(data: &[u8]) -> Result<Vec<u8>, String> {
    // calamine 0.31 panics on some damaged workbooks (found by fuzzing, issue 19: a cell that
    // refers to a shared string the workbook does not have); such a file is refused like any
    // other unreadable workbook. (Later calamine versions return an error there.)
    std::panic::catch_unwind(|| first_sheet(data)).unwrap_or_else(|_| {
        Err("the workbook is damaged (the Excel reader failed on it)".to_string())
    })
}

/// The widest sheet read: far wider than any table of communities, facilities or candidates.
pub const MAX_SHEET_COLUMNS: u32 = 1_024;
/// The most cells (rows × columns, blank ones included) a sheet may span: 20 million, e.g. a
/// province's 500,000 outlets × 40 columns. A workbook that claims more (a cell placed at row
/// 1,000,000 or column XFD of a 2 KB file) is refused before anything of its size is made.
pub const MAX_SHEET_CELLS: u64 = 20_000_000;

fn first_sheet(data: &[u8]) -> Result<Vec<u8>, String> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(data)).map_err(|e| e.to_string())?;
    let Some(first) = wb.sheet_names().first().cloned() else {
        return Err("工作簿中没有工作表 the workbook has no worksheet".into());
    };
    // Cell by cell (calamine's `worksheet_range` would allocate the sheet's whole rectangle
    // first: gigabytes for one cell placed far to the right; found by fuzzing, issue 19).
    let mut reader = wb
        .worksheet_cells_reader(&first)
        .map_err(|e| e.to_string())?;
    let mut cells: Vec<((u32, u32), String)> = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
        let text = calamine::Data::from(cell.get_value().clone()).to_string();
        if !text.is_empty() {
            cells.push((cell.get_position(), text));
            if cells.len() as u64 > MAX_SHEET_CELLS {
                return Err(too_large(cells.len() as u64, None));
            }
        }
    }
    sparse_to_csv(cells)
}

fn too_large(cells: u64, shape: Option<(u64, u32)>) -> String {
    match shape {
        Some((rows, cols)) if cols > MAX_SHEET_COLUMNS => format!(
            "工作表过宽：{cols} 列（最多 {MAX_SHEET_COLUMNS} 列）the sheet is {cols} columns wide (at most {MAX_SHEET_COLUMNS}); rows: {rows}"
        ),
        Some((rows, cols)) => format!(
            "工作表过大：{rows} 行 × {cols} 列（最多 {MAX_SHEET_CELLS} 个单元格）the sheet spans {rows} rows × {cols} columns (at most {MAX_SHEET_CELLS} cells)"
        ),
        None => format!(
            "工作表单元格过多：超过 {cells} 个 the sheet has more than {cells} cells (at most {MAX_SHEET_CELLS})"
        ),
    }
}

/// Non-empty cells `((row, column), text)` as CSV: one record per row from the first used row
/// to the last, one field per column from the first used column to the last (as calamine's
/// `Range` lays them out), after checking that the rectangle is within the limits.
fn sparse_to_csv(mut cells: Vec<((u32, u32), String)>) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    if cells.is_empty() {
        return w.into_inner().map_err(|e| e.to_string());
    }
    cells.sort_by_key(|(pos, _)| *pos);
    let (row0, row1) = (cells[0].0 .0, cells[cells.len() - 1].0 .0);
    let col0 = cells.iter().map(|((_, c), _)| *c).min().unwrap_or(0);
    let col1 = cells.iter().map(|((_, c), _)| *c).max().unwrap_or(0);
    let (rows, cols) = (u64::from(row1 - row0) + 1, col1 - col0 + 1);
    if cols > MAX_SHEET_COLUMNS || rows * u64::from(cols) > MAX_SHEET_CELLS {
        return Err(too_large(rows * u64::from(cols), Some((rows, cols))));
    }
    let mut record = vec![String::new(); cols as usize];
    let mut it = cells.into_iter().peekable();
    for row in row0..=row1 {
        record.iter_mut().for_each(String::clear);
        while let Some(((_, c), _)) = it.peek().filter(|((r, _), _)| *r == row) {
            let c = *c;
            if let Some((_, text)) = it.next() {
                record[(c - col0) as usize] = text;
            }
        }
        w.write_record(&record).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// UTF-8 text as it is (`None`), else GB18030 (a superset of GBK, what Excel on Chinese Windows
/// saves) decoded to UTF-8 with the encoding's name. `Err` when it is neither.
fn decode_text(data: Vec<u8>) -> Result<(Vec<u8>, Option<&'static str>), ()> {
    if std::str::from_utf8(&data).is_ok() {
        return Ok((data, None));
    }
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(&data) {
        Some(text) => Ok((text.into_owned().into_bytes(), Some("GBK/GB18030"))),
        None => Err(()),
    }
}

/// Physical line numbers of records.
///
/// The `csv` crate's own line numbers are off after blank lines and with `\r\n` line ends
/// (a record's position can point at the line break before it), so lines are counted here:
/// the record starts at the first byte at or after its position that is not a line break,
/// and its line is one more than the number of line breaks before that byte. A line break is
/// what the `csv` crate ends a record at: `\n`, `\r\n` or a lone `\r` (files saved with
/// classic Mac line ends). Queries are cheapest in increasing order (one pass over the file in
/// all); going back restarts the count.
pub(crate) struct Lines<'a> {
    data: &'a [u8],
    at: usize,
    line: u64,
}

impl Lines<'_> {
    /// 1-based physical line where the record read at byte offset `byte` starts.
    pub(crate) fn at_byte(&mut self, byte: u64) -> u64 {
        let mut start = (byte as usize).min(self.data.len());
        while let Some(b'\n' | b'\r') = self.data.get(start) {
            start += 1;
        }
        if start < self.at {
            self.at = 0;
            self.line = 1;
        }
        // `start` is not a line break, so a `\r\n` pair is never cut at either end.
        self.line += count_line_breaks(&self.data[self.at..start]);
        self.at = start;
        self.line
    }

    /// 1-based physical line where a record starts.
    pub(crate) fn of(&mut self, rec: &ByteRecord) -> u64 {
        self.at_byte(rec.position().map_or(0, |p| p.byte()))
    }
}

/// Physical line numbers of the records of a CSV text read with the `csv` crate (which are
/// off after blank lines, `\r\n` and lone `\r` line ends), for readers outside this crate:
/// [`LineNumbers::of`] gives the 1-based line where a record starts, from its position.
pub struct LineNumbers<'a>(Lines<'a>);

impl<'a> LineNumbers<'a> {
    /// Line numbers in `data`, the bytes the `csv` reader reads.
    pub fn new(data: &'a [u8]) -> LineNumbers<'a> {
        LineNumbers(Lines {
            data,
            at: 0,
            line: 1,
        })
    }

    /// The line where the record read at `position` starts (cheapest in increasing order).
    pub fn of(&mut self, position: &csv::Position) -> u64 {
        self.0.at_byte(position.byte())
    }
}

/// Number of line breaks in `b`: each `\n` (with any `\r` before it: `\r\n`, and the
/// `\r\r\n` that text-mode rewriting of a Windows file leaves, end one line), and each `\r`
/// of a run that no `\n` follows. `b` must not end inside a run of `\r` that a `\n` follows
/// outside it.
pub(crate) fn count_line_breaks(b: &[u8]) -> u64 {
    let mut n = count_newlines(b);
    if !b.contains(&b'\r') {
        return n;
    }
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\r' {
            i += 1;
            continue;
        }
        let run = b[i..].iter().take_while(|&&c| c == b'\r').count();
        if b.get(i + run) != Some(&b'\n') {
            n += run as u64;
        }
        i += run;
    }
    n
}

/// Number of `\n` bytes, in a form the compiler vectorises.
pub(crate) fn count_newlines(b: &[u8]) -> u64 {
    let mut n = 0u64;
    for chunk in b.chunks(255) {
        n += chunk.iter().map(|&c| (c == b'\n') as u8).sum::<u8>() as u64;
    }
    n
}

/// Checks the number of fields of a row against the header; records an error if it differs.
pub(crate) fn check_width(rec: &ByteRecord, line: u64, width: usize, errs: &mut Collector) -> bool {
    // A quoted field that runs past the end of its line is almost always a quote left open
    // (an Excel name with a stray "), which would silently merge rows: refuse it, naming the
    // line where the quote opened.
    // One scan of the record's bytes (this runs for every row of a million-row table); the
    // field is looked for only when there is a line break.
    let breaks = |b: &[u8]| b.contains(&b'\n') || b.contains(&b'\r');
    if let Some(k) = breaks(rec.as_slice())
        .then(|| rec.iter().position(breaks))
        .flatten()
    {
        errs.push(
            line,
            None,
            format!(
                "第 {0} 个字段的引号（\"）在本行结束前没有闭合，下面的行会并入它；请闭合或删除该引号 field {0} opens a quote (\") on this line that is not closed before the line ends, so the rows below run into it; close the quote or remove it",
                k + 1
            ),
        );
        return false;
    }
    if rec.len() == width {
        return true;
    }
    let (hint_zh, hint_en) = if rec.len() > width {
        (
            "（含逗号的值须放在双引号中）",
            " (a value that contains a comma must be in double quotes)",
        )
    } else {
        ("", "")
    };
    errs.push(
        line,
        None,
        format!(
            "应有 {width} 个字段（与表头行相同），实有 {0} 个{hint_zh} expected {width} fields as in the header line, found {0}{hint_en}",
            rec.len()
        ),
    );
    false
}

/// Strips ASCII whitespace at both ends.
#[inline]
pub(crate) fn trim(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// A field value quoted for a message: lossy UTF-8, trimmed, long values cut
/// ([`lc_model::quote`]).
pub(crate) fn show(b: &[u8]) -> String {
    lc_model::quote(&String::from_utf8_lossy(trim(b)))
}

/// Parses a decimal 64-bit signed integer (optional sign, digits only), already trimmed.
#[inline]
pub(crate) fn parse_i64(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u64; // 19 digits fit in u64
    }
    if neg {
        if v <= i64::MAX as u64 + 1 {
            Some((v as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Why a number field could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    Empty,
    NotNumber,
    NotFinite,
}

/// Parses a finite `f64` from a trimmed field (correctly rounded: the standard library parser).
#[inline]
pub(crate) fn parse_f64(b: &[u8]) -> Result<f64, NumError> {
    if b.is_empty() {
        return Err(NumError::Empty);
    }
    let s = std::str::from_utf8(b).map_err(|_| NumError::NotNumber)?;
    let v: f64 = s.parse().map_err(|_| NumError::NotNumber)?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(NumError::NotFinite)
    }
}

/// The message for a number field that failed [`parse_f64`].
pub(crate) fn num_message(raw: &[u8], e: NumError) -> String {
    match e {
        NumError::Empty => "为空，须填数字 is empty; a number is required".to_string(),
        NumError::NotNumber => format!("{0} 不是数字 {0} is not a number", show(raw)),
        NumError::NotFinite => format!("{0} 不是有限数 {0} is not a finite number", show(raw)),
    }
}

/// Message for a longitude/latitude out of range, or `None` when it is in range.
#[inline]
pub(crate) fn range_message(raw: &[u8], v: f64, lo: f64, hi: f64) -> Option<String> {
    if (lo..=hi).contains(&v) {
        None
    } else {
        Some(format!(
            "{0} 超出范围（{lo} 至 {hi}）{0} is out of range ({lo} to {hi})",
            show(raw)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_over_the_whole_i64_range() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"+17"), Some(17));
        assert_eq!(parse_i64(b"-17"), Some(-17));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"99999999999999999999"), None);
        assert_eq!(parse_i64(b"12345678901"), Some(12_345_678_901));
        for bad in [&b""[..], b"-", b"1.0", b"1e3", b"12a", b" 1", b"0x10"] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn floats_reject_nan_and_infinity() {
        assert_eq!(parse_f64(b"116.404"), Ok(116.404));
        assert_eq!(parse_f64(b"-1e-3"), Ok(-0.001));
        assert_eq!(parse_f64(b""), Err(NumError::Empty));
        assert_eq!(parse_f64(b"abc"), Err(NumError::NotNumber));
        assert_eq!(parse_f64(b"1,5"), Err(NumError::NotNumber));
        for nf in [&b"NaN"[..], b"nan", b"inf", b"-inf", b"infinity", b"1e400"] {
            assert_eq!(parse_f64(nf), Err(NumError::NotFinite));
        }
    }

    /// The physical line of every record of `data`.
    fn record_lines(data: &str) -> Vec<u64> {
        let src = Source {
            file: "t.csv".into(),
            data: data.as_bytes().to_vec(),
            start: 0,
        };
        let mut reader = src.reader();
        let mut lines = src.lines();
        let mut rec = ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut rec).unwrap() {
            out.push(lines.of(&rec));
        }
        out
    }

    #[test]
    fn lines_are_physical_with_blank_lines_crlf_and_quoted_newlines() {
        // The csv crate itself says 1, 1, 2, 5 for the second case.
        assert_eq!(record_lines("a,b\n1,2\n\n3,4\n5,6\n"), vec![1, 2, 4, 5]);
        assert_eq!(
            record_lines("a,b\r\n1,2\r\n\r\n\r\n3,4\r\n5,6"),
            vec![1, 2, 5, 6]
        );
        assert_eq!(
            record_lines("a,b\n\"x\ny\",2\n\n3,4\n5,6\n"),
            vec![1, 2, 5, 6]
        );
        assert_eq!(record_lines("\n\na,b\n1,2\n"), vec![3, 4]);
        assert_eq!(record_lines("a,b\r\r\n1,2\r\n"), vec![1, 2]);
    }

    /// Found by fuzzing (issue 19): a file with classic Mac line ends (a lone `\r`, which the
    /// `csv` crate ends records at) had every row reported on line 1.
    #[test]
    fn lone_carriage_returns_end_lines() {
        assert_eq!(record_lines("a,b\r1,2\r\r3,4\r5,6"), vec![1, 2, 4, 5]);
        assert_eq!(record_lines("a,b\r\n1,2\r3,4\n\r\n5,6"), vec![1, 2, 3, 5]);
        assert_eq!(count_line_breaks(b"a\r\nb\rc\nd\r\r\ne\r\rf"), 6);
    }

    #[test]
    fn shown_values_are_quoted_and_shortened() {
        assert_eq!(show(b" 91.5 "), "'91.5'");
        let long = "x".repeat(100);
        assert_eq!(
            show(long.as_bytes()),
            format!("'{}…' (100 个字符 characters)", "x".repeat(60))
        );
    }

    /// Read in parts (any size counts as large here), the bytes are the file's, in order; an
    /// empty file is empty.
    #[test]
    fn a_file_read_in_parts_is_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        let text: String = (0..50_000).map(|i| format!("{i},社区{i}\n")).collect();
        std::fs::write(&path, &text).unwrap();
        for threshold in [0, u64::MAX] {
            let data = read_whole_from(File::open(&path).unwrap(), threshold).unwrap();
            assert_eq!(data, text.as_bytes());
        }
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "").unwrap();
        let data = read_whole_from(File::open(&empty).unwrap(), 0).unwrap();
        assert!(data.is_empty());
    }
}
