//! Where a recording may be fetched from, and where the Intellixent API key may go.
//!
//! A `recording_url` comes from whoever can post to the webhook URL, so it is untrusted: it could
//! point at the user's router, a service on loopback, or a cloud metadata endpoint, and a host
//! answering 401 could be fishing for the API key. Two rules follow:
//!
//! - **Addresses.** Every host is resolved here, every address it resolves to is checked, and
//!   the connection is pinned to exactly those addresses (reqwest's `resolve_to_addrs`), so a
//!   second DNS answer cannot swap in another address between check and connect. Loopback,
//!   private, link-local, CGNAT, unique-local IPv6, multicast, unspecified and metadata addresses
//!   are refused unless the user allows them (Settings → Recordings, or
//!   `POSTCALL_ALLOW_PRIVATE_HOSTS`: host names, IPs or CIDRs). Redirects are followed by the
//!   caller one hop at a time, each hop checked again. No proxy is used, since a proxy would
//!   resolve the name itself.
//! - **The API key** is sent only over https, only to the configured Intellixent hosts (the API
//!   base's host and the hosts the user adds), and never after a redirect to another host.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::Url;

/// Comma-separated hosts, IPs or CIDRs recordings may be fetched from although they are private.
pub const ENV_ALLOW_PRIVATE_HOSTS: &str = "POSTCALL_ALLOW_PRIVATE_HOSTS";

#[derive(Debug, Clone, PartialEq)]
enum Allow {
    /// A host name (lower case, no trailing dot) or an IP literal as written in the URL.
    Host(String),
    /// An address block; a single IP is a /32 or /128.
    Net(IpAddr, u8),
}

/// The rules for one download attempt (settings can change between attempts).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostPolicy {
    allow: Vec<Allow>,
    key_hosts: Vec<String>,
}

/// Why a hop was not made.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocked {
    /// The address rules forbid it: trying again will not help until the user allows it.
    Refused(String),
    /// The name did not resolve (now): worth trying again later.
    Unresolved(String),
}

fn normal_host(h: &str) -> String {
    h.trim().trim_end_matches('.').trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase()
}

/// Splits a comma- or whitespace-separated list (the environment variable, a settings field).
pub fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn parse_allow(entry: &str) -> Option<Allow> {
    let e = entry.trim();
    if e.is_empty() {
        return None;
    }
    if let Some((ip, bits)) = e.split_once('/') {
        let ip: IpAddr = normal_host(ip).parse().ok()?;
        let bits: u8 = bits.trim().parse().ok()?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        return (bits <= max).then_some(Allow::Net(canonical(ip), bits));
    }
    let host = normal_host(e);
    match host.parse::<IpAddr>() {
        Ok(ip) => Some(Allow::Net(canonical(ip), if ip.is_ipv4() { 32 } else { 128 })),
        Err(_) => Some(Allow::Host(host)),
    }
}

/// An IPv4 address carried in IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (canonical(ip), net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits)) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// What kind of non-public address `ip` is, or `None` for an ordinary public one.
pub fn forbidden_kind(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(100, 100, 100, 200) {
        Some("cloud metadata")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private network")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if a == 100 && (64..128).contains(&b) {
        Some("carrier-grade NAT")
    } else if a == 0 {
        Some("unspecified")
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        Some("multicast or reserved")
    } else if a == 192 && b == 0 && ip.octets()[2] == 0 {
        Some("IETF protocol")
    } else if a == 198 && (b == 18 || b == 19) {
        Some("benchmarking")
    } else {
        None
    }
}

fn v6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        Some("cloud metadata")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if first & 0xfe00 == 0xfc00 {
        Some("unique-local")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if first & 0xff00 == 0xff00 {
        Some("multicast or reserved")
    } else if first == 0x64 && ip.segments()[1] == 0xff9b {
        // NAT64: the IPv4 address in the last 32 bits is what is reached.
        let [.., c, d] = ip.segments();
        v4_kind(Ipv4Addr::new((c >> 8) as u8, c as u8, (d >> 8) as u8, d as u8))
    } else if first == 0x2002 {
        // 6to4: likewise, the embedded IPv4 address.
        let [_, b, c, ..] = ip.segments();
        v4_kind(Ipv4Addr::new((b >> 8) as u8, b as u8, (c >> 8) as u8, c as u8))
    } else {
        None
    }
}

/// The host of an https API base (`https://portal.intellixent.ai/api` → `portal.intellixent.ai`).
pub fn host_of(url: &str) -> Option<String> {
    Url::parse(url.trim()).ok().and_then(|u| u.host_str().map(normal_host)).filter(|h| !h.is_empty())
}

impl HostPolicy {
    /// `allow_private`: host names, IPs or CIDRs allowed although private; `key_hosts`: the
    /// hosts the API key may be sent to (over https). Entries that do not parse are skipped.
    pub fn new<A: AsRef<str>, K: AsRef<str>>(allow_private: &[A], key_hosts: &[K]) -> Self {
        Self {
            allow: allow_private.iter().filter_map(|e| parse_allow(e.as_ref())).collect(),
            key_hosts: key_hosts
                .iter()
                .map(|h| normal_host(h.as_ref()))
                // A full URL pasted into the field counts as its host.
                .map(|h| host_of(&h).filter(|_| h.contains("://")).unwrap_or(h))
                .filter(|h| !h.is_empty())
                .collect(),
        }
    }

    /// Whether the API key may be sent to `url`: https, and its host is a configured
    /// Intellixent host. (The caller also stops sending it after a redirect to another host.)
    pub fn key_allowed(&self, url: &Url) -> bool {
        url.scheme() == "https" && url.host_str().map(normal_host).is_some_and(|h| self.key_hosts.contains(&h))
    }

    pub fn key_hosts(&self) -> &[String] {
        &self.key_hosts
    }

    fn allowed(&self, host: &str, ip: IpAddr) -> bool {
        self.allow.iter().any(|a| match a {
            Allow::Host(h) => h == host,
            Allow::Net(net, bits) => in_net(ip, *net, *bits),
        })
    }

    /// Checks one address of `host` against the rules.
    pub fn check(&self, host: &str, ip: IpAddr) -> Result<(), Blocked> {
        match forbidden_kind(ip) {
            Some(kind) if !self.allowed(&normal_host(host), ip) => Err(Blocked::Refused(format!(
                "refused: the recording host resolves to a private address {ip} ({kind}); allow it in \
                 Settings → Recordings or {ENV_ALLOW_PRIVATE_HOSTS}"
            ))),
            _ => Ok(()),
        }
    }

    /// Resolves `url`'s host (waiting at most `wait`) and checks every address. Returns the
    /// addresses to pin the connection to; `None` for an IP literal (nothing to resolve).
    pub async fn resolve(&self, url: &Url, wait: Duration) -> Result<Option<Vec<SocketAddr>>, Blocked> {
        let port = url.port_or_known_default().unwrap_or(80);
        let host = url.host_str().map(normal_host).filter(|h| !h.is_empty());
        let domain = host.ok_or_else(|| Blocked::Refused("the recording URL has no host".into()))?;
        if let Ok(ip) = domain.parse::<IpAddr>() {
            return self.check(&domain, ip).map(|()| None);
        }
        let found = tokio::time::timeout(wait, tokio::net::lookup_host((domain.as_str(), port))).await;
        let addrs: Vec<SocketAddr> = match found {
            Err(_) => return Err(Blocked::Unresolved(format!("looking up {domain} timed out"))),
            Ok(Err(e)) => return Err(Blocked::Unresolved(format!("cannot look up {domain}: {e}"))),
            Ok(Ok(a)) => a.collect(),
        };
        if addrs.is_empty() {
            return Err(Blocked::Unresolved(format!("{domain} has no address")));
        }
        // Every address must pass: a name that answers both public and private addresses is
        // refused rather than trusted to pick the public one.
        for a in &addrs {
            self.check(&domain, a.ip())?;
        }
        Ok(Some(addrs))
    }

    /// A client for one hop to `url`, pinned to `addrs` when the host is a name: no redirects
    /// (the caller checks each one), no proxy.
    pub fn client(
        url: &Url,
        addrs: Option<&[SocketAddr]>,
        connect_timeout: Duration,
    ) -> reqwest::Result<reqwest::Client> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(connect_timeout)
            .user_agent(concat!("Postcall/", env!("CARGO_PKG_VERSION")));
        if let (Some(addrs), Some(host)) = (addrs, url.host_str()) {
            b = b.resolve_to_addrs(host, addrs);
        }
        b.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn private_loopback_link_local_cgnat_ula_and_metadata_are_refused() {
        for (addr, kind) in [
            ("127.0.0.1", "loopback"),
            ("127.8.9.10", "loopback"),
            ("10.1.2.3", "private network"),
            ("172.16.0.1", "private network"),
            ("172.31.255.255", "private network"),
            ("192.168.1.1", "private network"),
            ("169.254.1.1", "link-local"),
            ("169.254.169.254", "cloud metadata"),
            ("100.64.0.1", "carrier-grade NAT"),
            ("100.127.255.254", "carrier-grade NAT"),
            ("0.0.0.0", "unspecified"),
            ("224.0.0.1", "multicast or reserved"),
            ("255.255.255.255", "multicast or reserved"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fc00::1", "unique-local"),
            ("fd12:3456::1", "unique-local"),
            ("fe80::1", "link-local"),
            ("fd00:ec2::254", "cloud metadata"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "cloud metadata"),
            ("64:ff9b::a00:1", "private network"),
            ("2002:c0a8:101::1", "private network"),
        ] {
            assert_eq!(forbidden_kind(ip(addr)), Some(kind), "{addr}");
        }
        for addr in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "64:ff9b::808:808"] {
            assert_eq!(forbidden_kind(ip(addr)), None, "{addr} is public");
        }
    }

    #[test]
    fn the_allow_list_takes_hosts_ips_and_cidrs() {
        let p = HostPolicy::new(&split_list("127.0.0.1, 10.0.0.0/8 recorder.lan. ,[::1], bogus/99"), &[] as &[&str]);
        assert_eq!(p.check("localhost", ip("127.0.0.1")), Ok(()));
        assert!(p.check("localhost", ip("127.0.0.2")).is_err(), "only the one loopback address");
        assert_eq!(p.check("x", ip("10.200.3.4")), Ok(()));
        assert!(p.check("x", ip("192.168.0.1")).is_err());
        assert_eq!(p.check("Recorder.LAN", ip("192.168.0.9")), Ok(()), "a host name allows what it resolves to");
        assert_eq!(p.check("x", ip("::1")), Ok(()));
        assert_eq!(p.check("x", ip("::ffff:127.0.0.1")), Ok(()), "a mapped address is its IPv4 address");
        let Err(Blocked::Refused(why)) = p.check("x", ip("169.254.169.254")) else { panic!("metadata is refused") };
        assert!(
            why.contains("private address 169.254.169.254") && why.contains(ENV_ALLOW_PRIVATE_HOSTS),
            "the reason says what and how to allow it: {why}"
        );
        assert_eq!(HostPolicy::default().check("example.com", ip("93.184.216.34")), Ok(()));
    }

    #[test]
    fn the_key_goes_only_over_https_to_configured_hosts() {
        let p = HostPolicy::new(&[] as &[&str], &["portal.intellixent.ai", "https://Files.Intellixent.ai/x", " "]);
        let url = |s: &str| Url::parse(s).expect("url");
        assert!(p.key_allowed(&url("https://portal.intellixent.ai/rec/1.mp3")));
        assert!(p.key_allowed(&url("https://PORTAL.intellixent.ai.:8443/rec/1.mp3")));
        assert!(p.key_allowed(&url("https://files.intellixent.ai/r")), "a pasted URL counts as its host");
        assert!(!p.key_allowed(&url("http://portal.intellixent.ai/rec/1.mp3")), "never over http");
        assert!(!p.key_allowed(&url("https://portal.intellixent.ai.evil.example/r")));
        assert!(!p.key_allowed(&url("https://evil.example/r?portal.intellixent.ai")));
        assert!(!p.key_allowed(&url("https://127.0.0.1/r")));
        assert!(!HostPolicy::default().key_allowed(&url("https://portal.intellixent.ai/r")), "no hosts, no key");
    }

    #[tokio::test]
    async fn names_are_checked_after_resolution() {
        let strict = HostPolicy::default();
        let url = Url::parse("http://localhost:9/x").expect("url");
        match strict.resolve(&url, Duration::from_secs(5)).await {
            Err(Blocked::Refused(why)) => assert!(why.contains("loopback"), "{why}"),
            other => panic!("localhost resolves to loopback and is refused: {other:?}"),
        }
        let literal = Url::parse("http://[::ffff:7f00:1]:9/x").expect("url");
        assert!(matches!(strict.resolve(&literal, Duration::from_secs(5)).await, Err(Blocked::Refused(_))));
        let open = HostPolicy::new(&["127.0.0.0/8", "::1"], &[] as &[&str]);
        let pinned = open.resolve(&url, Duration::from_secs(5)).await.expect("allowed").expect("pinned addresses");
        assert!(pinned.iter().all(|a| a.ip().is_loopback() && a.port() == 9), "{pinned:?}");
    }
}
