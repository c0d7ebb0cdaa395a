//! The sandbox as a server others could reach: it listens on loopback only, refuses request
//! bodies over its limit on every path (also when no length is announced) without reading
//! them whole, and answers hostile bodies with a 4xx while it goes on serving.

use crate::support::sandbox::{client, start};
use crate::support::{API_KEY as KEY, API_SECRET as SECRET};
use segment_console::sandbox::{Sandbox, SandboxConfig, SandboxError};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpStream};
use std::time::{Duration, Instant};

/// Every path that reads a body.
const PATHS: &[&str] = &[
    "/salesmachine/v1/contact",
    "/salesmachine/v1/batch",
    "/startdeliver/segment",
    "/freshmarketer/crm/sales/api/contacts/upsert",
    "/freshmarketer/segment",
    "/skalin/hit/bulk",
    "/skalin/segment",
    "/webhook/in",
    "/_sandbox/faults",
];

/// The Authorization header each path accepts, so that the body is what gets judged.
fn auth_for(path: &str) -> String {
    use base64::Engine;
    let basic = |pair: String| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    };
    if path.starts_with("/salesmachine") {
        basic(format!("{KEY}:{SECRET}"))
    } else if path.starts_with("/freshmarketer/crm") {
        format!("Token token={KEY}")
    } else {
        basic(format!("{KEY}:"))
    }
}

#[tokio::test]
async fn it_listens_on_loopback_only() {
    for address in [
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        // A documentation address (TEST-NET-1): refused before any bind is tried.
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
    ] {
        let err = Sandbox::start(SandboxConfig {
            address,
            ..SandboxConfig::default()
        })
        .await
        .err()
        .expect("refused");
        assert!(matches!(err, SandboxError::NotLoopback(a) if a == address));
    }
    let sb = start().await;
    assert_eq!(sb.addr().ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    // What the kernel says is listening on that port: 127.0.0.1 and nothing else.
    #[cfg(target_os = "linux")]
    {
        let port = format!(":{:04X}", sb.addr().port());
        let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
        let tcp6 = std::fs::read_to_string("/proc/net/tcp6").unwrap_or_default();
        let listening: Vec<String> = tcp
            .lines()
            .chain(tcp6.lines())
            .filter_map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                let local = *cols.get(1)?;
                (local.ends_with(&port) && cols.get(3) == Some(&"0A")).then(|| local.to_string())
            })
            .collect();
        assert_eq!(listening, [format!("0100007F{port}")]);
    }
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_on_every_path() {
    let sb = start_with_limit(4096).await;
    let c = client();
    let body = format!("{{\"pad\": \"{}\"}}", "x".repeat(5000));
    for path in PATHS {
        let res = c
            .post(format!("{}{path}", sb.base_url()))
            .header("authorization", auth_for(path))
            .header("content-type", "application/json")
            .header("user-agent", "Segment.io/1.0")
            .body(body.clone())
            .send()
            .await
            .expect("a reply");
        assert_eq!(res.status().as_u16(), 413, "{path}");
    }
}

async fn start_with_limit(limit: usize) -> segment_console::sandbox::SandboxHandle {
    Sandbox::start(SandboxConfig {
        body_limit: limit,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox")
}

/// A chunked upload that never ends is cut off at the limit, not read to the end.
#[test]
fn an_endless_chunked_body_is_refused_at_the_limit() {
    let sb = Sandbox::start_blocking(SandboxConfig::default()).expect("sandbox");
    let addr = sb.addr();
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "POST /webhook/in HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut writer = s.try_clone().unwrap();
    let t0 = Instant::now();
    // Up to 512 MiB, in 64 KiB chunks, until the server stops taking them.
    let pump = std::thread::spawn(move || {
        let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
        let mut sent = 0u64;
        while sent < 512 * 1024 * 1024 {
            if writer.write_all(chunk.as_bytes()).is_err() {
                break;
            }
            sent += 0x10000;
        }
        sent
    });
    let mut reply = [0u8; 12];
    s.read_exact(&mut reply)
        .expect("a reply before the body ends");
    assert_eq!(&reply, b"HTTP/1.1 413");
    drop(s);
    let sent = pump.join().unwrap();
    assert!(sent < 512 * 1024 * 1024, "the server read all {sent} bytes");
    assert!(t0.elapsed() < Duration::from_secs(20));
    // And it goes on serving.
    let (status, _) = crate::support::sandbox::raw_http(addr, "GET", "/_sandbox/state", "");
    assert_eq!(status, 200);
}

#[tokio::test]
async fn hostile_bodies_get_a_4xx_and_the_sandbox_goes_on() {
    let sb = start().await;
    let c = client();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bodies: Vec<Vec<u8>> = vec![
        deep.into_bytes(),
        b"{\"type\": \"track\", \"n\": 1e400}".to_vec(),
        b"{\"type\": \"identify\", \"userId\": \"Ren\xe9\"}".to_vec(),
        b"{\"type\": \"track\", \"event\": \"a\x00b\"}".to_vec(),
        b"\xff\xfe\x00{".to_vec(),
        Vec::new(),
    ];
    for path in PATHS {
        for body in &bodies {
            let res = c
                .post(format!("{}{path}", sb.base_url()))
                .header("authorization", auth_for(path))
                .header("content-type", "application/json")
                .header("user-agent", "Segment.io/1.0")
                .body(body.clone())
                .send()
                .await
                .expect("a reply, not a dropped connection");
            let status = res.status().as_u16();
            assert!(
                (400..500).contains(&status),
                "{path}: {status} for {:?}",
                String::from_utf8_lossy(body.get(..40.min(body.len())).unwrap_or_default())
            );
        }
    }
    let state = c
        .get(format!("{}/_sandbox/state", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(state.status().as_u16(), 200);
}
