//! The emulator's own guard against DNS rebinding (not Datadog behaviour): a web page on a
//! name its owner then points at 127.0.0.1 reaches the emulator's port from the browser, but
//! its requests carry that name in `Host`. Only names DNS cannot move are answered: a loopback
//! address (127.0.0.0/8, [::1]) or `localhost`, with or without a port. An emulator listening
//! beyond loopback (`--listen-all-interfaces`) also answers any IP address: a literal address
//! is not looked up, so it cannot be rebound either.

use std::net::IpAddr;

/// Whether a request naming its server `host` (`Host`, or the authority of an HTTP/2 request
/// or an absolute URL) is answered by an emulator listening on `bind`.
pub(super) fn admits(host: &str, bind: IpAddr) -> bool {
    let Some(name) = without_port(host) else {
        return false;
    };
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let Some(address) = ip_address(name) else {
        return false;
    };
    address.to_canonical().is_loopback() || !bind.is_loopback()
}

/// `name` of `name` or `name:port`, `::1` of `[::1]` or `[::1]:port`; None when what follows
/// the name is not a port.
fn without_port(host: &str) -> Option<&str> {
    let (name, port) = match host.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']')? {
            (inside, "") => (inside, None),
            (inside, rest) => (inside, Some(rest.strip_prefix(':')?)),
        },
        None => match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    let port_ok =
        port.is_none_or(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
    port_ok.then_some(name)
}

/// An IP address written as one (`127.0.0.1`, `::1`); a name that merely starts like one
/// (`127.0.0.1.nip.io`) is not.
fn ip_address(name: &str) -> Option<IpAddr> {
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const ALL: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

    #[test]
    fn loopback_names_pass_with_or_without_a_port() {
        for host in [
            "127.0.0.1",
            "127.0.0.1:8787",
            "127.255.0.9:1",
            "localhost",
            "LOCALHOST:8787",
            "[::1]",
            "[::1]:8787",
            "[::ffff:127.0.0.1]:8787",
        ] {
            assert!(admits(host, LOOPBACK), "{host}");
        }
    }

    #[test]
    fn other_names_and_malformed_hosts_are_refused() {
        for host in [
            "attacker.example",
            "attacker.example:8787",
            "127.0.0.1.nip.io",
            "localhost.attacker.example",
            "10.0.0.1",
            "[::2]:8787",
            "127.0.0.1:",
            "127.0.0.1:80x",
            "127.0.0.1:80:80",
            "[::1]x",
            "[::1",
            "",
        ] {
            assert!(!admits(host, LOOPBACK), "{host}");
        }
    }

    #[test]
    fn listening_on_all_interfaces_admits_addresses_but_still_no_other_names() {
        assert!(admits("10.0.0.1:8787", ALL));
        assert!(admits("[fe80::1]:8787", ALL));
        assert!(admits("localhost", ALL));
        assert!(!admits("attacker.example", ALL));
    }
}
