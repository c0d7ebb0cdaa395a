//! The body of a `bigbody` fault: a reply of any length, made up as it is sent, so that a
//! client's reply cap can be tested with gigabytes while the sandbox holds 64 KiB.

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

const CHUNK: usize = 64 * 1024;

/// `bytes` bytes of JSON-safe padding (`{"padding":"xxx...x"}` when long enough to hold it).
pub struct Padding {
    left: u64,
    head: Option<Bytes>,
    tail: u64,
    chunk: Bytes,
}

impl Padding {
    pub fn new(bytes: u64) -> Padding {
        const OPEN: &[u8] = b"{\"padding\":\"";
        const CLOSE: u64 = 2; // `"}`
        let json = bytes >= OPEN.len() as u64 + CLOSE;
        Padding {
            left: bytes,
            head: json.then(|| Bytes::from_static(OPEN)),
            tail: if json { CLOSE } else { 0 },
            chunk: Bytes::from(vec![b'x'; CHUNK]),
        }
    }
}

impl Body for Padding {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let out = if let Some(head) = self.head.take() {
            head
        } else if self.left == self.tail {
            self.tail = 0;
            Bytes::from_static(b"\"}")
        } else {
            let room = self.left - self.tail;
            let n = usize::try_from(room).unwrap_or(CHUNK).min(CHUNK);
            self.chunk.slice(..n)
        };
        self.left = self.left.saturating_sub(out.len() as u64);
        Poll::Ready(Some(Ok(Frame::data(out))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn collect(bytes: u64) -> Vec<u8> {
        match Padding::new(bytes).collect().await {
            Ok(c) => c.to_bytes().to_vec(),
            Err(never) => match never {},
        }
    }

    #[tokio::test]
    async fn exact_length_and_json_when_it_fits() {
        assert_eq!(collect(3).await, b"xxx");
        let small = collect(20).await;
        assert_eq!(small, b"{\"padding\":\"xxxxxx\"}");
        let big = collect(200_000).await;
        assert_eq!(big.len(), 200_000);
        let v: serde_json::Value = serde_json::from_slice(&big).unwrap();
        assert_eq!(v["padding"].as_str().map(str::len), Some(200_000 - 14));
    }
}
