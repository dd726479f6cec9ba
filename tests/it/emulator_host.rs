//! The emulator answers only requests addressed to it by a loopback name: a web page whose
//! host name an attacker rebinds to 127.0.0.1 (DNS rebinding) reaches the port, but its
//! requests carry the attacker's host name, and are refused.

use std::net::SocketAddr;
use std::time::Duration;

use monc_emulator::{Emulator, EmulatorConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The status code of `GET /api/v1/monitor` sent with this `Host` header, over plain TCP (an
/// HTTP client would write the header from the URL).
async fn status_for_host(addr: SocketAddr, host: &str) -> u16 {
    answer(addr, "/api/v1/monitor", host).await.0
}

/// Status code and body of `GET target` with this `Host` header.
async fn answer(addr: SocketAddr, target: &str, host: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nDD-API-KEY: k\r\n\
         DD-APPLICATION-KEY: a\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answered in time")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn only_loopback_host_names_are_answered() {
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let addr = emulator.addr();
    let port = addr.port();
    for host in [
        format!("127.0.0.1:{port}"),
        "127.0.0.1".into(),
        format!("127.1.2.3:{port}"),
        format!("localhost:{port}"),
        "LocalHost".into(),
        format!("[::1]:{port}"),
        "[::1]".into(),
    ] {
        assert_eq!(status_for_host(addr, &host).await, 200, "Host: {host}");
    }
    for host in [
        "attacker.example".to_string(),
        format!("attacker.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        "localhost.attacker.example".into(),
        "10.0.0.1".into(),
        "[::2]".into(),
        format!("127.0.0.1:{port}@attacker.example"),
        String::new(),
    ] {
        assert_eq!(status_for_host(addr, &host).await, 421, "Host: {host}");
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_refusal_says_why_in_datadogs_error_shape_and_absolute_urls_count() {
    let emulator = Emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let addr = emulator.addr();
    let (status, body) = answer(addr, "/api/v1/monitor", "attacker.example").await;
    assert_eq!(status, 421);
    assert!(
        body.contains(r#"{"errors":["the monc emulator answers only requests addressed to"#),
        "{body}"
    );
    let absolute = "http://attacker.example/api/v1/monitor";
    let (status, _) = answer(addr, absolute, &addr.to_string()).await;
    assert_eq!(status, 421, "an absolute URL naming another host");
    emulator.shutdown().await;
}

/// `--listen-all-interfaces` is for use from other machines, by address: any IP address is
/// answered (a literal address cannot be rebound), other names still are not.
#[tokio::test]
async fn listening_on_all_interfaces_answers_addresses_but_not_names() {
    let emulator = Emulator::start(EmulatorConfig {
        bind: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let port = emulator.addr().port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    assert_eq!(
        status_for_host(addr, &format!("192.0.2.7:{port}")).await,
        200
    );
    assert_eq!(status_for_host(addr, "attacker.example").await, 421);
    emulator.shutdown().await;
}
