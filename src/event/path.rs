//! JSON paths in the `$.traits.email` style that findings and provenance use.

/// Appends an object key to a path, quoting keys that are not plain identifiers.
pub fn key(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    // Built by hand, not with `format!`: translation makes one path per output field, and the
    // formatting machinery was a tenth of its time.
    let mut out = String::with_capacity(parent.len() + key.len() + 4);
    out.push_str(parent);
    if plain {
        out.push('.');
        out.push_str(key);
    } else {
        out.push_str("['");
        for c in key.chars() {
            if c == '\\' || c == '\'' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push_str("']");
    }
    out
}

/// Appends an array index to a path.
pub fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// Builds a path from the root through plain keys: `at(&["traits", "email"])` is `$.traits.email`.
pub fn at(keys: &[&str]) -> String {
    keys.iter().fold("$".to_string(), |p, k| key(&p, k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_quoted_keys() {
        assert_eq!(at(&["traits", "email"]), "$.traits.email");
        assert_eq!(key("$", "first name"), "$['first name']");
        assert_eq!(key("$", "it's"), "$['it\\'s']");
        assert_eq!(key("$", "1st"), "$['1st']");
        assert_eq!(index("$.batch", 3), "$.batch[3]");
    }
}
