//! Bodies as the window shows them: pretty JSON when it is JSON, cut to a size the window can
//! draw, and sizes in words.

/// What the window draws of a body: pretty JSON when it is JSON and short enough, else its
/// first [`SHOWN_BODY_BYTES`] with a note of what is left out.
pub fn shown_body(text: &str) -> String {
    if text.len() <= SHOWN_BODY_BYTES {
        return pretty_body(text);
    }
    let mut cut = SHOWN_BODY_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}\n… {} more bytes not shown here (the history entry and its exports keep them)",
        text.get(..cut).unwrap_or_default(),
        text.len() - cut
    )
}

/// Pretty JSON when the text is JSON, else the text itself.
pub fn pretty_body(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| text.to_string()),
        Err(_) => text.to_string(),
    }
}

pub fn size_text(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// The most of a body drawn in the window: laying out a megabyte every frame would freeze it.
pub const SHOWN_BODY_BYTES: usize = 32 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_body_is_drawn_cut_with_a_note() {
        assert_eq!(shown_body("{\"a\":1}"), "{\n  \"a\": 1\n}");
        let long = "é".repeat(SHOWN_BODY_BYTES);
        let shown = shown_body(&long);
        let (head, note) = shown.split_once('\n').unwrap();
        assert_eq!(head, "é".repeat(SHOWN_BODY_BYTES / 2));
        assert_eq!(
            note,
            format!(
                "… {} more bytes not shown here (the history entry and its exports keep them)",
                SHOWN_BODY_BYTES
            )
        );
    }
}
