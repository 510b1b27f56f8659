//! Connections: a client that holds one open without finishing a request
//! loses it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::start;

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let app = start();
    let address = app.base_url().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let started = Instant::now();
    write!(stream, "GET /one HTTP/1.1\r\nHost: {address}\r\nx-slow: ").expect("write");
    // The host closes the connection (a 408, or nothing) instead of waiting.
    let mut rest = Vec::new();
    let outcome = stream.read_to_end(&mut rest);
    let waited = started.elapsed();
    assert!(
        outcome.is_ok() && waited < Duration::from_secs(20),
        "the connection stayed open for {waited:?} ({outcome:?})"
    );
    let answer = String::from_utf8_lossy(&rest);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // A client that finishes its request in time is served as usual.
    assert_eq!(app.get("/one").status, 200);
}
