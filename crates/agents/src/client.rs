//! The client's network address, for limits that apply before anyone is
//! authenticated.
//!
//! It is the connection's peer as the runtime reports it
//! (`spin-client-addr`). Forwarding headers such as `X-Forwarded-For` are
//! chosen by the client and are not read: behind a reverse proxy every
//! client shares the proxy's address (docs/API-DESIGN.md).

use std::net::{IpAddr, SocketAddr};

use adspin_core::web::{Request, header};

/// The peer's IP address, when the runtime reports one.
pub fn address(request: &Request) -> Option<IpAddr> {
    header(request, "spin-client-addr")
        .and_then(|text| text.parse::<SocketAddr>().ok())
        .map(|socket| socket.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str) -> Request {
        http::Request::builder()
            .header("spin-client-addr", peer)
            .body(Vec::new())
            .expect("request")
    }

    #[test]
    fn the_peer_address_is_read_without_its_port() {
        assert_eq!(
            address(&request("198.51.100.7:5123")),
            Some("198.51.100.7".parse().expect("ip"))
        );
        assert_eq!(
            address(&request("[2001:db8::1]:443")),
            Some("2001:db8::1".parse().expect("ip"))
        );
        assert_eq!(address(&request("nonsense")), None);
    }
}
