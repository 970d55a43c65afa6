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

use rayon::prelude::*;

/// The three fields a reader wants from each row, and where the row starts in the data.
pub(crate) struct Row<'a> {
    pub(crate) fields: [&'a [u8]; 3],
    pub(crate) offset: usize,
}

/// Parses the rows of `data[start..]`, each with exactly `width` fields, giving the fields
/// at positions `cols` to `take`, which appends to its chunk's output and returns `false` to
/// give up. Blank lines are skipped. Returns the outputs in file order, or `None` if any
/// chunk gave up.
pub(crate) fn parse_rows<C, F>(
    data: &[u8],
    start: usize,
    width: usize,
    cols: [usize; 3],
    take: F,
) -> Option<Vec<C>>
where
    C: Default + Send,
    F: Fn(&mut C, Row<'_>) -> bool + Sync,
{
    let chunks = chunk_bounds(data, start, rayon::current_num_threads() * 4);
    chunks
        .par_iter()
        .map(|&(from, to)| {
            let mut out = C::default();
            parse_chunk(data, from, to, width, cols, |row| take(&mut out, row)).then_some(out)
        })
        .collect()
}

/// Splits `data[start..]` into about `n` ranges that begin at line starts.
fn chunk_bounds(data: &[u8], start: usize, n: usize) -> Vec<(usize, usize)> {
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
                // A quoted field, or a lone `\r` (a line break to the `csv` crate): give up.
                if matches!(value.first(), Some(b'"' | b'\r'))
                    || (b == b',' && value.last() == Some(&b'\r'))
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
        if field != width
            || !row(Row {
                fields,
                offset: from + line_start,
            })
        {
            return false;
        }
    }
    true
}

/// Whether a line holds nothing but whitespace (its line break included).
fn fields_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &str, width: usize, cols: [usize; 3]) -> Option<Vec<(String, usize)>> {
        let parts: Option<Vec<Vec<(String, usize)>>> =
            parse_rows(data.as_bytes(), 0, width, cols, |out: &mut Vec<_>, r| {
                let f = r.fields.map(|f| String::from_utf8_lossy(f).into_owned());
                out.push((f.join("|"), r.offset));
                true
            });
        parts.map(|p| p.into_iter().flatten().collect())
    }

    #[test]
    fn splits_rows_and_picks_columns() {
        let got = rows("1,a,x,9\n\n2,b,y,8\r\n3,c,z,7", 4, [3, 0, 2]).unwrap();
        assert_eq!(
            got,
            vec![
                ("9|1|x".to_string(), 0),
                ("8\r|2|y".to_string(), 9),
                ("7|3|z".to_string(), 18)
            ]
        );
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
        assert_eq!(got[77_777].0, "77777|155554|233331");
    }
}
