//! snake_case as docs/destinations.md §0 defines it (event_uid, audience keys).

/// Splits into words on runs of non-alphanumeric ASCII, at lower/digit -> upper boundaries and
/// before the last capital of an acronym followed by a lowercase letter; joins lowercased with `_`.
pub fn snake_case(input: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = input.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            flush(&mut words, &mut current);
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let after_lower_or_digit = prev.is_ascii_lowercase() || prev.is_ascii_digit();
            let acronym_end = prev.is_ascii_uppercase() && next_is_lower;
            if after_lower_or_digit || acronym_end {
                flush(&mut words, &mut current);
            }
        }
        current.push(c.to_ascii_lowercase());
    }
    flush(&mut words, &mut current);
    words.join("_")
}

fn flush(words: &mut Vec<String>, current: &mut String) {
    if !current.is_empty() {
        words.push(std::mem::take(current));
    }
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn examples_of_the_contract() {
        assert_eq!(snake_case("Order Completed"), "order_completed");
        assert_eq!(snake_case("orderCompleted"), "order_completed");
        assert_eq!(
            snake_case("Order Completed Last 30days"),
            "order_completed_last_30days"
        );
        assert_eq!(snake_case("  Signed-Up!! "), "signed_up");
        assert_eq!(snake_case("HTTPRequest Sent"), "http_request_sent");
    }

    #[test]
    fn edge_cases() {
        assert_eq!(snake_case(""), "");
        assert_eq!(snake_case("!!!"), "");
        assert_eq!(snake_case("already_snake"), "already_snake");
        assert_eq!(snake_case("Page2View"), "page2_view");
        assert_eq!(snake_case("ABC"), "abc");
        assert_eq!(snake_case("Café Visité"), "caf_visit");
    }
}
