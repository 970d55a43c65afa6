//! The fast path of the network reader: quote-free rows parsed in parallel chunks.
//!
//! `nodes.csv` and `edges.csv` hold only numbers, so in practice they contain no quotes.
//! For such files the body (everything after the header line) is cut into chunks at line
//! breaks and each chunk is split on `,` and `\n` by hand, on all threads. The fast path
//! is all-or-nothing: at the first row it does not fully understand (a quote at the start
//! of a field, a wrong number of fields, a value that does not parse or is out of range)
//! it gives up, and the caller reads the file again with the `csv` crate, which reports
//! every problem with its line. A quote at the start of any field makes the whole fast pass
//! fail, so a quoted line break that a chunk boundary cuts through never yields wrong rows,
//! and so does a lone `\r`, which the `csv` crate reads as a line break. Whatever the fast
//! path accepts, the `csv` path reads the same way.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use rayon::prelude::*;

use crate::error::TableError;
use crate::fields::{count_newlines, is_xlsx, Source};

/// The three fields a reader wants from each row.
pub(crate) struct Row<'a> {
    pub(crate) fields: [&'a [u8]; 3],
}

/// Parses the rows of `data[start..]`, each with exactly `width` fields, giving the fields
/// at positions `cols` to `take`, which turns a row into a pair of values or gives up with
/// `None`. Blank lines are skipped. Returns the two columns of values in file order, or
/// `None` if any row gave up.
///
/// The outputs are allocated once: every chunk's line count bounds its rows, so each chunk
/// writes straight into its own part of the final vectors (no per-chunk vectors, no
/// concatenation); parts left short by blank lines are closed up afterwards.
pub(crate) fn parse_rows<A, B, F>(
    data: &[u8],
    start: usize,
    width: usize,
    cols: [usize; 3],
    fill: (A, B),
    take: F,
) -> Option<(Vec<A>, Vec<B>)>
where
    A: Copy + Send + Sync,
    B: Copy + Send + Sync,
    F: Fn(Row<'_>) -> Option<(A, B)> + Sync,
{
    let (mut a, mut b) = (Vec::new(), Vec::new());
    parse_rows_into(data, start, width, cols, fill, &take, &mut a, &mut b).then_some((a, b))
}

/// [`parse_rows`] appending to `a` and `b` (one block of a streamed file after another).
/// Returns `false` if any row gave up (the vectors then hold junk after their old length).
#[allow(clippy::too_many_arguments)]
pub(crate) fn parse_rows_into<A, B, F>(
    data: &[u8],
    start: usize,
    width: usize,
    cols: [usize; 3],
    fill: (A, B),
    take: &F,
    a: &mut Vec<A>,
    b: &mut Vec<B>,
) -> bool
where
    A: Copy + Send + Sync,
    B: Copy + Send + Sync,
    F: Fn(Row<'_>) -> Option<(A, B)> + Sync,
{
    if start >= data.len() {
        return true;
    }
    let bounds = chunk_bounds(data, start, rayon::current_num_threads() * 4);
    let max_rows: Vec<usize> = bounds
        .par_iter()
        .map(|&(from, to)| {
            count_newlines(&data[from..to]) as usize + usize::from(data[to - 1] != b'\n')
        })
        .collect();
    let total: usize = max_rows.iter().sum();
    let (old_a, old_b) = (a.len(), b.len());
    a.resize(old_a + total, fill.0);
    b.resize(old_b + total, fill.1);
    let counts: Option<Vec<usize>> = bounds
        .par_iter()
        .zip(split_parts(&mut a[old_a..], &max_rows))
        .zip(split_parts(&mut b[old_b..], &max_rows))
        .map(|((&(from, to), a), b)| {
            let mut k = 0;
            let ok = parse_chunk(data, from, to, width, cols, |row| {
                match (take(row), a.get_mut(k), b.get_mut(k)) {
                    (Some((x, y)), Some(sa), Some(sb)) => {
                        (*sa, *sb) = (x, y);
                        k += 1;
                        true
                    }
                    _ => false,
                }
            });
            ok.then_some(k)
        })
        .collect();
    let Some(counts) = counts else {
        return false;
    };
    close_up(a, old_a, &max_rows, &counts);
    close_up(b, old_b, &max_rows, &counts);
    true
}

/// `v` cut into consecutive parts of the given lengths (which sum to `v.len()`).
fn split_parts<'v, T>(mut v: &'v mut [T], lens: &[usize]) -> Vec<&'v mut [T]> {
    let mut parts = Vec::with_capacity(lens.len());
    for &len in lens {
        let (head, tail) = v.split_at_mut(len.min(v.len()));
        parts.push(head);
        v = tail;
    }
    parts
}

/// Moves the first `counts[i]` values of each part (of length `lens[i]`, the parts following
/// each other from `from`) together and drops the rest.
fn close_up<T: Copy>(v: &mut Vec<T>, from: usize, lens: &[usize], counts: &[usize]) {
    let (mut read, mut write) = (from, from);
    for (&len, &count) in lens.iter().zip(counts) {
        if read != write {
            v.copy_within(read..read + count, write);
        }
        read += len;
        write += count;
    }
    v.truncate(write);
}

/// Splits `data[start..]` into about `n` ranges that begin at line starts.
pub(crate) fn chunk_bounds(data: &[u8], start: usize, n: usize) -> Vec<(usize, usize)> {
    let len = data.len().saturating_sub(start);
    let n = n.clamp(1, (len / (1 << 16)).max(1));
    let mut bounds = Vec::with_capacity(n);
    let mut from = start;
    for k in 1..=n {
        let mut to = if k == n {
            data.len()
        } else {
            (start + len / n * k).max(from)
        };
        while to < data.len() && data[to - 1] != b'\n' {
            to += 1;
        }
        if to > from {
            bounds.push((from, to));
            from = to;
        }
    }
    bounds
}

/// Parses the lines of `data[from..to]` (which begins at a line start and ends after a line
/// break or at the end of the data). `row` returns `false` to give up.
fn parse_chunk(
    data: &[u8],
    from: usize,
    to: usize,
    width: usize,
    cols: [usize; 3],
    mut row: impl FnMut(Row<'_>) -> bool,
) -> bool {
    let chunk = &data[from..to];
    let mut pos = 0;
    let mut fields: [&[u8]; 3] = [&[]; 3];
    while pos < chunk.len() {
        let line_start = pos;
        let mut field = 0;
        let mut field_start = pos;
        loop {
            let b = chunk.get(pos).copied().unwrap_or(b'\n');
            if b == b',' || b == b'\n' {
                let value = &chunk[field_start..pos.min(chunk.len())];
                // A quoted field, or a lone `\r` anywhere (a line break to the `csv` crate; only
                // the `\r` of a `\r\n` is not): give up. Columns that are not picked too (found
                // by fuzzing, issue 19: a `\r` inside an extra column split the row for the
                // `csv` crate but not here).
                let cr = value.iter().position(|&c| c == b'\r');
                if value.first() == Some(&b'"')
                    || cr.is_some_and(|i| !(b == b'\n' && i + 1 == value.len()))
                {
                    return false;
                }
                for k in 0..3 {
                    if cols[k] == field {
                        fields[k] = value;
                    }
                }
                field += 1;
                field_start = pos + 1;
                if b == b'\n' {
                    pos += 1;
                    break;
                }
            }
            pos += 1;
        }
        if field == 1 && fields_blank(&chunk[line_start..pos.min(chunk.len())]) {
            continue;
        }
        if field != width || !row(Row { fields }) {
            return false;
        }
    }
    true
}

/// Whether a line holds nothing but whitespace (its line break included).
fn fields_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// The size of the blocks a file is streamed in by [`stream_rows`].
pub(crate) const BLOCK: usize = 16 << 20;

/// A file read in blocks of whole lines, one buffer reused from block to block.
struct Blocks {
    input: File,
    /// The usual block size.
    block: usize,
    buf: Vec<u8>,
    /// How much of `buf` the last block took (the rest is the next line's start).
    used: usize,
    eof: bool,
}

impl Blocks {
    fn new(input: File, block: usize) -> Blocks {
        Blocks {
            input,
            block: block.max(1),
            buf: Vec::new(),
            used: 0,
            eof: false,
        }
    }

    /// The next block: about `block` bytes ending after a line break (longer when one line
    /// is; the last block ends where the file does). `None` at the end.
    fn next_block(&mut self) -> io::Result<Option<&[u8]>> {
        self.buf.drain(..self.used);
        self.used = 0;
        loop {
            let want = self.block.max(self.buf.len() + self.block.min(1 << 16));
            if !self.eof {
                let old = self.buf.len();
                self.buf.resize(want, 0);
                let mut n = 0;
                while old + n < want {
                    match self.input.read(&mut self.buf[old + n..]) {
                        Ok(0) => break,
                        Ok(k) => n += k,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                self.buf.truncate(old + n);
                self.eof = old + n < want;
            }
            if self.eof {
                self.used = self.buf.len();
                return Ok((!self.buf.is_empty()).then_some(&self.buf[..]));
            }
            if let Some(i) = self.buf.iter().rposition(|&b| b == b'\n') {
                self.used = i + 1;
                return Ok(Some(&self.buf[..=i]));
            }
        }
    }
}

/// Streams a table through the fast path without holding it: the file is read in blocks of
/// whole lines (`block` bytes, [`BLOCK`] but in tests; one buffer), each block parsed on all threads by
/// [`parse_rows_into`] with `take` and handed to `sink` as two columns of values (scratch
/// vectors, cleared before the next block). A province's network (1.2 GB of CSV) is read in
/// the memory of two blocks instead of its own size, and without asking the system for that
/// much fresh memory (which these machines charge about a second per GiB for).
///
/// `Ok(false)` means "read it the ordinary way": the fast path does not apply (a header line
/// that is not plain ASCII without quotes, a header the checks refuse, a block that is not
/// UTF-8 text, an `.xlsx` workbook), a row gave up, or `sink` returned `false`. The caller then
/// loads the whole file, which reports every problem with its line, exactly as before this path
/// existed: whatever this path accepts is what the whole-file fast path accepts (the blocks are
/// cut at line breaks, as its chunks are, and each block is split into chunks the same way).
/// Errors are only those of opening and reading the file. `sink` is also given an estimate of
/// the rows in the whole file (its size over the first block's line length), to size its
/// outputs once.
pub(crate) fn stream_rows<A, B, F>(
    path: &Path,
    block: usize,
    columns: &[(&str, bool); 3],
    fill: (A, B),
    take: F,
    mut sink: impl FnMut(usize, &[A], &[B]) -> bool,
) -> Result<bool, TableError>
where
    A: Copy + Send + Sync,
    B: Copy + Send + Sync,
    F: Fn(Row<'_>) -> Option<(A, B)> + Sync,
{
    let open_error = |reason| TableError::Open {
        path: path.to_path_buf(),
        reason,
    };
    let read_error = |reason| TableError::Read {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(path).map_err(open_error)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut blocks = Blocks::new(file, block);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut header: Option<(usize, [usize; 3])> = None;
    let mut estimate = 0;
    while let Some(block) = blocks.next_block().map_err(read_error)? {
        if std::str::from_utf8(block).is_err() {
            return Ok(false);
        }
        let (width, cols, start) = match header {
            Some((width, cols)) => (width, cols, 0),
            None => {
                if is_xlsx(block) {
                    return Ok(false);
                }
                let bom = if block.starts_with(b"\xEF\xBB\xBF") {
                    3
                } else {
                    0
                };
                let end = block
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(block.len(), |i| i + 1);
                let line = &block[bom..end];
                if !line.is_ascii() || line.contains(&b'"') {
                    return Ok(false);
                }
                let Ok(src) = Source::from_bytes(path.display().to_string(), line.to_vec()) else {
                    return Ok(false);
                };
                let Ok((found, width)) = src.header(&mut src.reader(), columns) else {
                    return Ok(false);
                };
                let mut cols = [0; 3];
                for (c, f) in cols.iter_mut().zip(&found) {
                    *c = f.unwrap_or(0);
                }
                header = Some((width, cols));
                let lines = count_newlines(block).max(1);
                estimate =
                    (size as f64 / block.len().max(1) as f64 * lines as f64 * 1.02) as usize + 16;
                (width, cols, end)
            }
        };
        a.clear();
        b.clear();
        if !parse_rows_into(block, start, width, cols, fill, &take, &mut a, &mut b)
            || !sink(estimate, &a, &b)
        {
            return Ok(false);
        }
    }
    // An empty file: the ordinary reader says so.
    Ok(header.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The picked fields of every row, joined with `|`.
    fn rows(data: &str, width: usize, cols: [usize; 3]) -> Option<Vec<String>> {
        // Field texts go through a side table: the outputs must be `Copy`.
        let texts = std::sync::Mutex::new(Vec::new());
        let (keys, _) = parse_rows(data.as_bytes(), 0, width, cols, (0, ()), |r| {
            let f = r.fields.map(|f| String::from_utf8_lossy(f).into_owned());
            let mut t = texts.lock().unwrap();
            t.push(f.join("|"));
            Some((t.len() - 1, ()))
        })?;
        let texts = texts.into_inner().unwrap();
        Some(keys.into_iter().map(|k| texts[k].clone()).collect())
    }

    #[test]
    fn splits_rows_and_picks_columns() {
        let got = rows("1,a,x,9\n\n2,b,y,8\r\n3,c,z,7", 4, [3, 0, 2]).unwrap();
        assert_eq!(got, vec!["9|1|x", "8\r|2|y", "7|3|z"]);
    }

    #[test]
    fn gives_up_on_quotes_and_wrong_widths() {
        assert!(rows("1,\"a\",x\n", 3, [0, 1, 2]).is_none());
        assert!(rows("1,a\n", 3, [0, 1, 2]).is_none());
        assert!(rows("1,a,b,c\n", 3, [0, 1, 2]).is_none());
        // A quote inside a field is literal in CSV: fine.
        assert!(rows("1,a\"b,c\n", 3, [0, 1, 2]).is_some());
        // A lone carriage return ends a record for the `csv` crate: left to it.
        assert!(rows("1,a\r,c\n", 3, [0, 1, 2]).is_none());
        assert!(rows("1,\ra,c\n", 3, [0, 1, 2]).is_none());
        assert!(rows("1,a,c\r\n", 3, [0, 1, 2]).is_some());
        // Inside a field, even one that is not picked.
        assert!(rows("1,a,c\rx\n", 3, [0, 1, 0]).is_none());
        assert!(rows("1,a\rx,c\n", 3, [0, 2, 0]).is_none());
        assert!(rows("1,a,c\r\r\n", 3, [0, 1, 2]).is_none());
    }

    #[test]
    fn chunks_cover_everything_at_line_starts() {
        let mut data = String::new();
        for k in 0..100_000 {
            data.push_str(&format!("{k},{},{}\n", k * 2, k * 3));
        }
        let b = chunk_bounds(data.as_bytes(), 0, 8);
        assert!(b.len() > 1);
        assert_eq!(b[0].0, 0);
        assert_eq!(b.last().unwrap().1, data.len());
        for w in b.windows(2) {
            assert_eq!(w[0].1, w[1].0);
            assert_eq!(data.as_bytes()[w[1].0 - 1], b'\n');
        }
        let got = rows(&data, 3, [0, 1, 2]).unwrap();
        assert_eq!(got.len(), 100_000);
        for (k, t) in got.iter().enumerate() {
            assert_eq!(t, &format!("{k}|{}|{}", k * 2, k * 3));
        }
    }

    #[test]
    fn blank_lines_in_any_chunk_are_closed_up() {
        let mut data = String::new();
        for k in 0..100_000 {
            data.push_str(&format!("{k},{}\n", k * 2));
            if k % 7_919 == 0 {
                data.push_str("\n \r\n");
            }
        }
        let got = rows(&data, 2, [0, 1, 0]).unwrap();
        assert_eq!(got.len(), 100_000);
        for (k, t) in got.iter().enumerate() {
            assert_eq!(t, &format!("{k}|{}|{k}", k * 2));
        }
    }

    #[test]
    fn close_up_moves_parts_together() {
        let mut v = vec![1, 2, 0, 3, 0, 0, 4, 5, 6];
        close_up(&mut v, 0, &[3, 3, 3], &[2, 1, 3]);
        assert_eq!(v, vec![1, 2, 3, 4, 5, 6]);
    }
}
