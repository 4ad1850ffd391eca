//! Which network addresses the fetcher may connect to, and the DNS resolver that enforces it.
//!
//! A feed list or a feed's links are untrusted input: without this check a link to `http://10.0.0.5/`
//! or a hostname that resolves to `127.0.0.1` would let a remote publisher probe the machine's own
//! network (SSRF). The check runs on every *resolved* address, so DNS tricks do not bypass it, and on
//! IP-literal hosts, which never reach the resolver.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Refused by the resolver: every address of `host` is non-public. Travels through reqwest's error
/// chain and is turned back into [`super::FetchError::BlockedAddress`].
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {addr}, a non-public address")]
pub(crate) struct Blocked {
    pub host: String,
    pub addr: IpAddr,
}

/// Name resolution failed; carried through reqwest's error chain like [`Blocked`].
#[derive(Debug, thiserror::Error)]
#[error("cannot resolve {host}: {source}")]
pub(crate) struct ResolveFailed {
    pub host: String,
    pub source: std::io::Error,
}

/// True for addresses a public-internet client has no business reaching: loopback, private, shared
/// (CGNAT), link-local, unique-local, unspecified, multicast, broadcast, documentation, benchmarking and
/// reserved ranges, and IPv6 forms that embed such an IPv4 address (IANA special-purpose registries).
pub fn is_non_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_non_public_v4(v4),
        IpAddr::V6(v6) => is_non_public_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn is_non_public_v4(ip: Ipv4Addr) -> bool {
    const RANGES: &[([u8; 4], u32)] = &[
        ([0, 0, 0, 0], 8),       // "this network", includes unspecified
        ([10, 0, 0, 0], 8),      // RFC 1918
        ([100, 64, 0, 0], 10),   // shared address space (CGNAT), RFC 6598
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local
        ([172, 16, 0, 0], 12),   // RFC 1918
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // TEST-NET-1 (documentation)
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast (deprecated)
        ([192, 168, 0, 0], 16),  // RFC 1918
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // TEST-NET-2
        ([203, 0, 113, 0], 24),  // TEST-NET-3
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved, includes broadcast 255.255.255.255
    ];
    RANGES.iter().any(|&(net, prefix)| in_v4(ip, net, prefix))
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

fn embedded_v4(ip: Ipv6Addr, shift: u32) -> Ipv4Addr {
    // Truncation to the 32 bits at `shift` is the point: that is where the IPv4 address sits.
    Ipv4Addr::from(((u128::from(ip) >> shift) & 0xffff_ffff) as u32)
}

fn is_non_public_v6(ip: Ipv6Addr) -> bool {
    // Forms that carry an IPv4 address: judge the IPv4 address.
    if in_v6(ip, [0, 0, 0, 0, 0, 0xffff, 0, 0], 96)   // IPv4-mapped ::ffff:a.b.c.d
        || in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96)
    // NAT64 well-known prefix
    {
        return is_non_public_v4(embedded_v4(ip, 0));
    }
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        // 6to4: the IPv4 address follows the 16-bit prefix.
        return is_non_public_v4(embedded_v4(ip, 80));
    }
    if ip.is_unspecified() || ip.is_loopback() {
        return true;
    }
    if in_v6(ip, [0, 0, 0, 0, 0, 0, 0, 0], 96) {
        // Deprecated IPv4-compatible ::a.b.c.d.
        return is_non_public_v4(embedded_v4(ip, 0));
    }
    const RANGES: &[([u16; 8], u32)] = &[
        ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),  // local-use NAT64
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64),      // discard-only
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),     // IETF protocol assignments (Teredo, ORCHID…)
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20),     // documentation (RFC 9637)
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7),      // unique-local
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),     // link-local
        ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10),     // site-local (deprecated)
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8),      // multicast
    ];
    RANGES.iter().any(|&(net, prefix)| in_v6(ip, net, prefix))
}

/// The system resolver, keeping only public addresses. If every address is non-public the lookup
/// fails with [`Blocked`], naming the first one, so the user sees why the host was refused.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let lookup = tokio::net::lookup_host((host.as_str(), 0)).await.map(Iterator::collect::<Vec<_>>);
            let resolved: Vec<SocketAddr> = match lookup {
                Ok(addrs) => addrs,
                Err(source) => return Err(Box::new(ResolveFailed { host, source }) as _),
            };
            let public: Vec<SocketAddr> =
                resolved.iter().copied().filter(|a| !is_non_public(a.ip())).collect();
            match (public.is_empty(), resolved.first()) {
                (false, _) => Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs),
                (true, Some(first)) => Err(Box::new(Blocked { host, addr: first.ip() }) as _),
                (true, None) => Err(Box::new(ResolveFailed {
                    host,
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "no addresses"),
                }) as _),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(s: &str) -> bool {
        is_non_public(s.parse().expect("test literal is an IP"))
    }

    #[test]
    fn refuses_special_ipv4_ranges() {
        for ip in [
            "0.0.0.0",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.9.9.9",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.2.10",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
        ] {
            assert!(blocked(ip), "{ip} should be refused");
        }
    }

    #[test]
    fn allows_public_ipv4() {
        for ip in ["1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.32.0.1", "93.184.216.34"] {
            assert!(!blocked(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn refuses_special_ipv6_ranges() {
        for ip in [
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::10.0.0.1",
            "2002:7f00:0001::1",
            "::127.0.0.1",
        ] {
            assert!(blocked(ip), "{ip} should be refused");
        }
    }

    #[test]
    fn allows_public_ipv6() {
        for ip in ["2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8"] {
            assert!(!blocked(ip), "{ip} should be allowed");
        }
    }
}
