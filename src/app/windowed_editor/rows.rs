//! The geometry of a text wrapped into rows of at most `cols` characters: which bytes each
//! visual row holds and where an offset sits, without laying anything out. The windowed
//! editor asks it for the rows in view only, so a megabyte costs one scan per edit, not a
//! layout. Offsets are byte offsets on character boundaries; columns count characters.

use std::ops::Range;

pub struct Rows {
    /// Byte offset where each line starts (line 0 at 0).
    line_starts: Vec<usize>,
    /// Characters in each line, its newline excluded.
    line_chars: Vec<usize>,
    /// Visual rows up to and including each line.
    row_ends: Vec<usize>,
    cols: usize,
    len: usize,
}

impl Rows {
    pub fn new(text: &str, cols: usize) -> Rows {
        let cols = cols.max(1);
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        let mut line_chars = Vec::with_capacity(line_starts.len());
        let mut row_ends = Vec::with_capacity(line_starts.len());
        let mut rows = 0;
        for (l, &start) in line_starts.iter().enumerate() {
            let end = line_starts.get(l + 1).map_or(text.len(), |&s| s - 1);
            let line = &text.as_bytes()[start..end];
            // ASCII is the common case and counts as its length.
            let chars = if line.is_ascii() {
                line.len()
            } else {
                text[start..end].chars().count()
            };
            line_chars.push(chars);
            rows += chars.div_ceil(cols).max(1);
            row_ends.push(rows);
        }
        Rows {
            line_starts,
            line_chars,
            row_ends,
            cols,
            len: text.len(),
        }
    }

    /// Visual rows in all.
    pub fn count(&self) -> usize {
        self.row_ends.last().copied().unwrap_or(1)
    }

    /// The line holding `offset` (a newline belongs to the line it ends).
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset) - 1
    }

    /// Bytes of line `l`, its newline excluded.
    pub fn line_range(&self, l: usize) -> Range<usize> {
        let start = self.line_starts[l];
        let end = self.line_starts.get(l + 1).map_or(self.len, |&s| s - 1);
        start..end
    }

    fn first_row(&self, l: usize) -> usize {
        if l == 0 { 0 } else { self.row_ends[l - 1] }
    }

    fn rows_in(&self, l: usize) -> usize {
        self.row_ends[l] - self.first_row(l)
    }

    fn is_ascii(&self, l: usize) -> bool {
        let r = self.line_range(l);
        r.len() == self.line_chars[l]
    }

    /// The byte `chars` characters into line `l` (its end when the line is shorter).
    fn byte_at(&self, text: &str, l: usize, chars: usize) -> usize {
        let r = self.line_range(l);
        if self.is_ascii(l) {
            return r.start + chars.min(r.len());
        }
        text[r.clone()]
            .char_indices()
            .nth(chars)
            .map_or(r.end, |(i, _)| r.start + i)
    }

    fn chars_before(&self, text: &str, l: usize, offset: usize) -> usize {
        let start = self.line_starts[l];
        if self.is_ascii(l) {
            offset - start
        } else {
            text[start..offset].chars().count()
        }
    }

    /// Line of visual row `row`, and which of that line's rows it is.
    fn line_of_row(&self, row: usize) -> (usize, usize) {
        let row = row.min(self.count() - 1);
        let l = self.row_ends.partition_point(|&e| e <= row);
        (l, row - self.first_row(l))
    }

    /// Bytes shown on visual row `row`, without the newline.
    pub fn row_range(&self, text: &str, row: usize) -> Range<usize> {
        let (l, k) = self.line_of_row(row);
        let start = self.byte_at(text, l, k * self.cols);
        let end = if k + 1 == self.rows_in(l) {
            self.line_range(l).end
        } else {
            self.byte_at(text, l, (k + 1) * self.cols)
        };
        start..end
    }

    /// Visual row and column of `offset`. An offset at a wrap point shows at the start of the
    /// next row; the end of a line stays at the end of its last row.
    pub fn row_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.len);
        let l = self.line_of(offset);
        let chars = self.chars_before(text, l, offset);
        let k = (chars / self.cols).min(self.rows_in(l) - 1);
        (self.first_row(l) + k, chars - k * self.cols)
    }

    /// The offset at column `col` of visual row `row`, clamped to the row: past the end of a
    /// wrapped row is its last character, past the end of a line is the line's end.
    pub fn offset_at(&self, text: &str, row: usize, col: usize) -> usize {
        let (l, k) = self.line_of_row(row);
        let last = k + 1 == self.rows_in(l);
        let room = if last {
            self.line_chars[l] - k * self.cols
        } else {
            self.cols - 1
        };
        self.byte_at(text, l, k * self.cols + col.min(room))
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Start of the word before `offset` (Ctrl+Left, Ctrl+Backspace): spaces and punctuation
/// first, then the word.
pub fn prev_word(text: &str, offset: usize) -> usize {
    let mut chars = text[..offset].char_indices().rev().peekable();
    let mut at = offset;
    while let Some(&(i, c)) = chars.peek() {
        if is_word(c) {
            break;
        }
        at = i;
        chars.next();
    }
    while let Some(&(i, c)) = chars.peek() {
        if !is_word(c) {
            break;
        }
        at = i;
        chars.next();
    }
    at
}

/// End of the word after `offset` (Ctrl+Right, Ctrl+Delete).
pub fn next_word(text: &str, offset: usize) -> usize {
    let mut at = offset;
    let mut chars = text[offset..].chars().peekable();
    while let Some(&c) = chars.peek() {
        if is_word(c) {
            break;
        }
        at += c.len_utf8();
        chars.next();
    }
    while let Some(&c) = chars.peek() {
        if !is_word(c) {
            break;
        }
        at += c.len_utf8();
        chars.next();
    }
    at
}

/// The word around `offset` (double click): its bytes, or the one character there when it is
/// not a word character.
pub fn word_at(text: &str, offset: usize) -> Range<usize> {
    let before = text[..offset]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word(c))
        .last()
        .map_or(offset, |(i, _)| i);
    let after = offset
        + text[offset..]
            .chars()
            .take_while(|&c| is_word(c))
            .map(char::len_utf8)
            .sum::<usize>();
    if before == after {
        let next = text[offset..].chars().next().map_or(0, char::len_utf8);
        offset..offset + next
    } else {
        before..after
    }
}

pub fn prev_char(text: &str, offset: usize) -> usize {
    text[..offset]
        .char_indices()
        .next_back()
        .map_or(0, |(i, _)| i)
}

pub fn next_char(text: &str, offset: usize) -> usize {
    text[offset..]
        .chars()
        .next()
        .map_or(offset, |c| offset + c.len_utf8())
}

/// What Enter inserts at `offset`: a newline and the line's indentation, two spaces more after
/// an opening bracket (the event is JSON).
pub fn newline_at(text: &str, offset: usize) -> String {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[line_start..offset]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let opens = text[line_start..offset].trim_end().ends_with(['{', '[']);
    format!("\n{indent}{}", if opens { "  " } else { "" })
}

/// The nearest character boundary at or before `offset`, within the text.
pub fn clamp(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every offset maps to a row and column and back, and rows cover the text in order.
    fn round_trips(text: &str, cols: usize) {
        let rows = Rows::new(text, cols);
        let mut offset = 0;
        loop {
            let (r, c) = rows.row_col(text, offset);
            assert_eq!(
                rows.offset_at(text, r, c),
                offset,
                "{text:?} cols {cols}, offset {offset} at ({r}, {c})"
            );
            if offset == text.len() {
                break;
            }
            offset = next_char(text, offset);
        }
        let mut joined = String::new();
        for r in 0..rows.count() {
            let range = rows.row_range(text, r);
            assert!(range.end - range.start <= cols * 4, "row {r} too long");
            joined.push_str(&text[range.clone()]);
            if text[range.end..].starts_with('\n') {
                joined.push('\n');
            }
        }
        assert_eq!(joined, text, "rows of {text:?} at {cols} cols");
    }

    #[test]
    fn offsets_round_trip_through_rows_and_rows_cover_the_text() {
        for text in [
            "",
            "\n",
            "{\n  \"a\": 1\n}",
            "abcdefghij\nklm\n\nnopqrstuvwxyz",
            "été — ünïcödé 🎉 and more text\nnext",
            "line ending in newline\n",
        ] {
            for cols in [1, 3, 4, 10, 80] {
                round_trips(text, cols);
            }
        }
    }

    #[test]
    fn long_lines_wrap_at_the_column_count() {
        let text = "0123456789abcdef\nxy";
        let rows = Rows::new(text, 5);
        assert_eq!(rows.count(), 4 + 1);
        assert_eq!(&text[rows.row_range(text, 1)], "56789");
        assert_eq!(&text[rows.row_range(text, 3)], "f");
        assert_eq!(&text[rows.row_range(text, 4)], "xy");
        // The wrap point shows at the next row's start; a line's end on its last row.
        assert_eq!(rows.row_col(text, 5), (1, 0));
        assert_eq!(rows.row_col(text, 16), (3, 1));
        // Past a wrapped row's end: its last character; past a line's end: the line's end.
        assert_eq!(rows.offset_at(text, 0, 99), 4);
        assert_eq!(rows.offset_at(text, 4, 99), text.len());
        // Rows beyond the end are the last row.
        assert_eq!(rows.offset_at(text, 99, 0), 17);
    }

    #[test]
    fn words_and_newlines_follow_json_editing_habits() {
        let t = "{\"user_id\": \"u 1\"}";
        assert_eq!(prev_word(t, 10), 2);
        assert_eq!(next_word(t, 0), 9);
        assert_eq!(&t[word_at(t, 4)], "user_id");
        assert_eq!(&t[word_at(t, 0)], "{");
        assert_eq!(newline_at("  \"a\": {", 8), "\n    ");
        assert_eq!(newline_at("  \"a\": 1,", 9), "\n  ");
        assert_eq!(clamp("é", 1), 0);
        assert_eq!(prev_char("aé", 3), 1);
        assert_eq!(next_char("aé", 1), 3);
    }
}
