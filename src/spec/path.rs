//! JSON paths in the `$.traits.email` style that findings and provenance use.

/// Appends an object key to a path, quoting keys that are not plain identifiers.
pub fn key(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        format!("{parent}.{key}")
    } else {
        let escaped = key.replace('\\', "\\\\").replace('\'', "\\'");
        format!("{parent}['{escaped}']")
    }
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
