//! Names a reqwest failure in the words a user needs: timeout, refused, DNS, TLS, closed, ...
//! reqwest exposes only a few of these as methods, so the rest is read off the chain of
//! underlying errors (their types where they are public, their messages where not).

use super::record::{ErrorKind, TransportError};
use std::error::Error as StdError;
use std::io;

/// The error's messages from outermost to innermost, joined by ": ", repeats left out.
pub fn chain_text(e: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for err in chain(e) {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// Every error in the chain, including the ones an `io::Error` wraps (its `source()` skips
/// the wrapped error itself and goes straight to that error's source).
fn chain<'a>(e: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        out.push(err);
        if let Some(inner) = err.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
            out.push(inner);
        }
        next = err.source();
        if out.len() > 32 {
            break;
        }
    }
    out
}

pub fn error(e: &reqwest::Error) -> TransportError {
    let errors = chain(e);
    let io_kinds: Vec<io::ErrorKind> = errors
        .iter()
        .filter_map(|err| err.downcast_ref::<io::Error>().map(io::Error::kind))
        .collect();
    let tls = errors.iter().any(|err| err.is::<rustls::Error>());
    let facts = Facts {
        timeout: e.is_timeout(),
        builder: e.is_builder(),
        tls,
        io_kinds: &io_kinds,
        text: &chain_text(e),
    };
    TransportError::new(kind_of(&facts), facts.text)
}

/// What is known about a failure, gathered from the error chain.
pub struct Facts<'a> {
    pub timeout: bool,
    pub builder: bool,
    pub tls: bool,
    pub io_kinds: &'a [io::ErrorKind],
    pub text: &'a str,
}

pub fn kind_of(f: &Facts) -> ErrorKind {
    let text = f.text.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    let io = |kinds: &[io::ErrorKind]| f.io_kinds.iter().any(|k| kinds.contains(k));
    if f.builder {
        ErrorKind::Invalid
    } else if f.timeout || io(&[io::ErrorKind::TimedOut]) {
        ErrorKind::Timeout
    } else if io(&[io::ErrorKind::ConnectionRefused]) || has(&["connection refused"]) {
        ErrorKind::Refused
    } else if has(&[
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "no such host",
        "nodename nor servname",
    ]) {
        ErrorKind::Dns
    } else if f.tls || has(&["certificate", "tls handshake", "invalidcontenttype"]) {
        ErrorKind::Tls
    } else if io(&[
        io::ErrorKind::ConnectionReset,
        io::ErrorKind::ConnectionAborted,
        io::ErrorKind::BrokenPipe,
        io::ErrorKind::UnexpectedEof,
    ]) || has(&[
        "connection closed",
        "connection reset",
        "incomplete message",
        "unexpected eof",
        "unexpected end of file",
    ]) {
        ErrorKind::Closed
    } else {
        ErrorKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str, io_kinds: &[io::ErrorKind]) -> ErrorKind {
        kind_of(&Facts {
            timeout: false,
            builder: false,
            tls: false,
            io_kinds,
            text,
        })
    }

    // Timeouts, refusals, TLS and closed connections are checked over loopback in
    // tests/e2e/transport.rs. DNS cannot be without asking a resolver off the machine,
    // so its messages (hyper-util's, glibc's, macOS's, Windows') are checked here.
    #[test]
    fn dns_failures_are_recognised_by_their_messages() {
        for text in [
            "error sending request: client error (Connect): dns error: failed to lookup address information: Name or service not known",
            "dns error: No such host is known. (os error 11001)",
            "failed to lookup address information: nodename nor servname provided, or not known",
        ] {
            assert_eq!(kind(text, &[]), ErrorKind::Dns, "{text}");
        }
    }

    #[test]
    fn io_kinds_decide_before_messages() {
        assert_eq!(
            kind(
                "client error (Connect)",
                &[io::ErrorKind::ConnectionRefused]
            ),
            ErrorKind::Refused
        );
        assert_eq!(
            kind(
                "client error (SendRequest)",
                &[io::ErrorKind::ConnectionReset]
            ),
            ErrorKind::Closed
        );
        assert_eq!(
            kind("operation timed out", &[io::ErrorKind::TimedOut]),
            ErrorKind::Timeout
        );
        assert_eq!(kind("something odd", &[]), ErrorKind::Other);
    }

    #[test]
    fn builder_errors_are_invalid_requests() {
        let f = Facts {
            timeout: false,
            builder: true,
            tls: false,
            io_kinds: &[],
            text: "builder error",
        };
        assert_eq!(kind_of(&f), ErrorKind::Invalid);
    }

    #[test]
    fn chain_text_joins_without_repeats() {
        let inner = io::Error::new(io::ErrorKind::ConnectionRefused, "refused here");
        let outer = io::Error::other(inner);
        assert_eq!(chain_text(&outer), "refused here");
    }
}
