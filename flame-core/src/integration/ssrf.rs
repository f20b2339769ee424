//! The guard against server-side request forgery: a webhook URL a member typed must not make
//! Flame's server call into its own network (a database, a cloud metadata service at
//! `169.254.169.254`, an admin panel on `localhost`).
//!
//! Two checks, both needed:
//!
//! 1. [`check_url`] when the URL is saved: `https` or `http` only, a host, no user name or
//!    password, no host name that only a local resolver knows (`localhost`, `printer.local`,
//!    single-label names), and no IP literal that [`is_forbidden_ip`] refuses.
//! 2. [`is_forbidden_ip`] on every address the host name resolves to, each time before
//!    connecting — and the connection must then go to the address that was checked, not to
//!    a second resolution (DNS rebinding). Resolving is I/O, so it is the caller's part.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::{Host, Url};

use crate::error::{FlameError, Result};

/// The most characters a webhook URL may have.
pub const URL_MAX: usize = 2_048;

/// Host name suffixes that only a local resolver answers for.
const LOCAL_SUFFIXES: [&str; 5] = ["localhost", "local", "localdomain", "internal", "home.arpa"];

/// A webhook URL that passed [`check_url`]: absolute, `https` or `http`, with a public-looking
/// host and no credentials. Its fragment is dropped (it is never sent anyway).
///
/// Serialized as the URL string; deserialization checks it again (loopback refused).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    /// The URL, normalized (`HTTPS://Example.COM` is `https://example.com/`).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host: a domain name, or an IP literal (IPv6 in brackets).
    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    /// The address, when the host is an IP literal; a domain must be resolved by the caller
    /// and each address checked with [`is_forbidden_ip`].
    pub fn ip(&self) -> Option<IpAddr> {
        match self.0.host()? {
            Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            Host::Domain(_) => None,
        }
    }

    /// The port, explicit or the scheme's default (443, 80).
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(443)
    }

    /// Whether the scheme is `https`.
    pub fn is_https(&self) -> bool {
        self.0.scheme() == "https"
    }

    /// The parsed URL.
    pub fn as_url(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WebhookUrl {
    type Err = FlameError;

    fn from_str(s: &str) -> Result<Self> {
        check_url(s)
    }
}

impl TryFrom<String> for WebhookUrl {
    type Error = FlameError;

    fn try_from(value: String) -> Result<Self> {
        check_url(&value)
    }
}

impl From<WebhookUrl> for String {
    fn from(url: WebhookUrl) -> Self {
        url.0.into()
    }
}

/// Checks a webhook URL as a member typed it (see the [module documentation](self)).
/// Errors are [`FlameError::Validation`] on the field `"url"` and do not repeat the URL.
pub fn check_url(url: &str) -> Result<WebhookUrl> {
    check_url_with(url, false)
}

/// [`check_url`], except that loopback hosts (`127.0.0.1`, `[::1]`, `localhost`) are allowed
/// when `allow_loopback` is true — for development and tests against a local receiver,
/// never for a server that other people configure.
pub fn check_url_with(url: &str, allow_loopback: bool) -> Result<WebhookUrl> {
    let invalid = |reason: &str| FlameError::validation("url", reason);
    let url = url.trim();
    if url.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if url.chars().nth(URL_MAX).is_some() {
        return Err(invalid("must be at most 2048 characters"));
    }
    let mut parsed = Url::parse(url).map_err(|_| invalid("is not a valid absolute URL"))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(invalid("must use https or http"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid("must not contain a user name or password"));
    }
    if parsed.port() == Some(0) {
        return Err(invalid("must not use port 0"));
    }
    let forbidden_address = || invalid("must not point to a private, local or reserved address");
    match parsed.host() {
        None => return Err(invalid("must have a host")),
        Some(Host::Ipv4(ip)) if is_forbidden_ip(IpAddr::V4(ip), allow_loopback) => {
            return Err(forbidden_address());
        }
        Some(Host::Ipv6(ip)) if is_forbidden_ip(IpAddr::V6(ip), allow_loopback) => {
            return Err(forbidden_address());
        }
        Some(Host::Domain(domain)) => {
            let name = domain.trim_end_matches('.');
            let is_loopback_name = name == "localhost" || name.ends_with(".localhost");
            if is_loopback_name && allow_loopback {
                // Allowed for development.
            } else if is_local_name(name) {
                return Err(invalid("must not be a local host name"));
            } else if !name.contains('.') {
                return Err(invalid("must have a fully qualified host name"));
            }
        }
        Some(_) => {}
    }
    parsed.set_fragment(None);
    Ok(WebhookUrl(parsed))
}

/// Whether `name` (lowercase, no trailing dot) is a name only a local resolver knows.
fn is_local_name(name: &str) -> bool {
    LOCAL_SUFFIXES.iter().any(|suffix| {
        name == *suffix || name.strip_suffix(suffix).is_some_and(|rest| rest.ends_with('.'))
    })
}

/// Whether Flame must refuse to connect to `ip`: anything but a public unicast address.
///
/// Refused: unspecified (`0.0.0.0/8`, `::`), loopback (`127.0.0.0/8`, `::1`) unless
/// `allow_loopback`, private (`10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`, `fc00::/7`),
/// shared CGNAT (`100.64.0.0/10`), link-local (`169.254.0.0/16` — cloud metadata at
/// `169.254.169.254` — and `fe80::/10`), deprecated site-local (`fec0::/10`), IETF protocol
/// assignments (`192.0.0.0/24`), documentation (`192.0.2.0/24`, `198.51.100.0/24`,
/// `203.0.113.0/24`, `2001:db8::/32`, `3fff::/20`), benchmarking (`198.18.0.0/15`,
/// `2001:2::/48`), the 6to4 relay anycast (`192.88.99.0/24`), multicast (`224.0.0.0/4`,
/// `ff00::/8`), reserved and broadcast (`240.0.0.0/4`, `255.255.255.255`), discard-only
/// (`100::/64`), Teredo (`2001::/32`), local-use NAT64 (`64:ff9b:1::/48`) and the deprecated
/// IPv4-compatible addresses (`::/96`).
///
/// IPv6 addresses that carry an IPv4 address — IPv4-mapped (`::ffff:10.0.0.1`), NAT64
/// (`64:ff9b::10.0.0.1`) and 6to4 (`2002:0a00:0001::`) — are judged by that IPv4 address.
pub fn is_forbidden_ip(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4, allow_loopback),
        IpAddr::V6(v6) => is_forbidden_v6(v6, allow_loopback),
    }
}

/// IPv4 ranges refused whatever the caller allows: (network, prefix length).
const FORBIDDEN_V4: [([u8; 4], u32); 14] = [
    ([0, 0, 0, 0], 8),
    ([10, 0, 0, 0], 8),
    ([100, 64, 0, 0], 10),
    ([169, 254, 0, 0], 16),
    ([172, 16, 0, 0], 12),
    ([192, 0, 0, 0], 24),
    ([192, 0, 2, 0], 24),
    ([192, 88, 99, 0], 24),
    ([192, 168, 0, 0], 16),
    ([198, 18, 0, 0], 15),
    ([198, 51, 100, 0], 24),
    ([203, 0, 113, 0], 24),
    ([224, 0, 0, 0], 4),
    ([240, 0, 0, 0], 4),
];

fn in_v4(ip: Ipv4Addr, network: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(network)) & mask
}

fn is_forbidden_v4(ip: Ipv4Addr, allow_loopback: bool) -> bool {
    if in_v4(ip, [127, 0, 0, 0], 8) {
        return !allow_loopback;
    }
    FORBIDDEN_V4.iter().any(|&(network, prefix)| in_v4(ip, network, prefix))
}

/// IPv6 ranges refused outright: (network, prefix length). Addresses that carry an IPv4
/// address are judged by it first (see [`embedded_v4`]).
const FORBIDDEN_V6: [(u128, u32); 11] = [
    (0, 96),                      // ::/96: unspecified, IPv4-compatible
    (0x0064_ff9b_0001 << 80, 48), // 64:ff9b:1::/48 local-use NAT64
    (0x0100 << 112, 64),          // 100::/64 discard-only
    (0x2001_0000 << 96, 32),      // 2001::/32 Teredo
    (0x2001_0002 << 96, 48),      // 2001:2::/48 benchmarking
    (0x2001_0db8 << 96, 32),      // 2001:db8::/32 documentation
    (0x3fff << 112, 20),          // 3fff::/20 documentation
    (0xfc00 << 112, 7),           // fc00::/7 unique local
    (0xfe80 << 112, 10),          // fe80::/10 link-local
    (0xfec0 << 112, 10),          // fec0::/10 site-local (deprecated)
    (0xff00 << 112, 8),           // ff00::/8 multicast
];

fn in_v6(ip: Ipv6Addr, network: u128, prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == network & mask
}

fn is_forbidden_v6(ip: Ipv6Addr, allow_loopback: bool) -> bool {
    if ip == Ipv6Addr::LOCALHOST {
        return !allow_loopback;
    }
    if let Some(v4) = embedded_v4(ip) {
        return is_forbidden_v4(v4, allow_loopback);
    }
    FORBIDDEN_V6.iter().any(|&(network, prefix)| in_v6(ip, network, prefix))
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped (`::ffff:a.b.c.d`), NAT64
/// (`64:ff9b::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low32 = || Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    if in_v6(ip, 0xffff << 32, 96) || in_v6(ip, 0x0064_ff9b << 96, 96) {
        return Some(low32());
    }
    if in_v6(ip, 0x2002 << 112, 16) {
        return Some(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|_| panic!("{text} is an IP address"))
    }

    #[test]
    fn forbidden_addresses() {
        // (address, forbidden, forbidden even when loopback is allowed)
        let table: &[(&str, bool, bool)] = &[
            // IPv4 loopback, private, link-local, CGNAT, special
            ("127.0.0.1", true, false),
            ("127.255.255.254", true, false),
            ("10.0.0.1", true, true),
            ("10.255.255.255", true, true),
            ("172.16.0.1", true, true),
            ("172.31.255.255", true, true),
            ("172.15.255.255", false, false),
            ("172.32.0.0", false, false),
            ("192.168.1.1", true, true),
            ("169.254.169.254", true, true),
            ("169.254.0.1", true, true),
            ("100.64.0.1", true, true),
            ("100.127.255.255", true, true),
            ("100.128.0.0", false, false),
            ("0.0.0.0", true, true),
            ("0.1.2.3", true, true),
            ("255.255.255.255", true, true),
            ("240.0.0.1", true, true),
            ("224.0.0.251", true, true),
            ("239.255.255.250", true, true),
            ("192.0.0.8", true, true),
            ("192.0.2.10", true, true),
            ("198.51.100.7", true, true),
            ("203.0.113.99", true, true),
            ("198.18.0.1", true, true),
            ("198.19.255.255", true, true),
            ("192.88.99.1", true, true),
            // IPv4 public
            ("8.8.8.8", false, false),
            ("1.1.1.1", false, false),
            ("93.184.216.34", false, false),
            ("192.169.0.1", false, false),
            // IPv6
            ("::1", true, false),
            ("::", true, true),
            ("fc00::1", true, true),
            ("fd12:3456:789a::1", true, true),
            ("fe80::1", true, true),
            ("febf::1", true, true),
            ("fec0::1", true, true),
            ("ff02::1", true, true),
            ("2001:db8::1", true, true),
            ("3fff::1", true, true),
            ("2001::1", true, true),
            ("2001:2::1", true, true),
            ("100::1", true, true),
            ("::10.0.0.1", true, true),
            ("::8.8.8.8", true, true),
            ("64:ff9b:1::1", true, true),
            // IPv4 inside IPv6
            ("::ffff:10.0.0.1", true, true),
            ("::ffff:169.254.169.254", true, true),
            ("::ffff:127.0.0.1", true, false),
            ("::ffff:8.8.8.8", false, false),
            ("64:ff9b::10.0.0.1", true, true),
            ("64:ff9b::8.8.8.8", false, false),
            ("2002:0a00:0001::1", true, true),
            ("2002:0808:0808::1", false, false),
            // IPv6 public
            ("2606:4700:4700::1111", false, false),
            ("2a00:1450:4010:c0e::65", false, false),
        ];
        for &(address, forbidden, forbidden_with_loopback) in table {
            assert_eq!(is_forbidden_ip(ip(address), false), forbidden, "{address}");
            assert_eq!(
                is_forbidden_ip(ip(address), true),
                forbidden_with_loopback,
                "{address} with loopback allowed"
            );
        }
    }

    fn reason(url: &str) -> String {
        match check_url(url) {
            Err(FlameError::Validation { field, reason }) => {
                assert_eq!(field, "url", "{url}");
                reason
            }
            other => panic!("{url}: expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn accepted_urls() {
        for (input, normalized) in [
            ("https://hooks.example.com/flame", "https://hooks.example.com/flame"),
            (
                "  HTTPS://Hooks.Example.COM:8443/a?b=c#frag ",
                "https://hooks.example.com:8443/a?b=c",
            ),
            ("http://example.org", "http://example.org/"),
            ("https://8.8.8.8/hook", "https://8.8.8.8/hook"),
            ("https://[2606:4700:4700::1111]/", "https://[2606:4700:4700::1111]/"),
            ("https://пример.рф/hook", "https://xn--e1afmkfd.xn--p1ai/hook"),
        ] {
            let url = check_url(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(url.as_str(), normalized);
        }
        let url = check_url("https://8.8.8.8/").expect("public");
        assert_eq!((url.ip(), url.port(), url.is_https()), (Some(ip("8.8.8.8")), 443, true));
        let url = check_url("http://hooks.example.com:8080/x").expect("public");
        assert_eq!((url.host(), url.ip(), url.port()), ("hooks.example.com", None, 8080));
    }

    #[test]
    fn refused_urls() {
        let forbidden = "must not point to a private, local or reserved address";
        for (input, expected) in [
            ("", "must not be empty"),
            ("hooks.example.com/flame", "is not a valid absolute URL"),
            ("/relative", "is not a valid absolute URL"),
            ("ftp://example.com/", "must use https or http"),
            ("file:///etc/passwd", "must use https or http"),
            ("gopher://example.com/", "must use https or http"),
            ("javascript:alert(1)", "must use https or http"),
            ("https://user:pass@example.com/", "must not contain a user name or password"),
            ("https://user@example.com/", "must not contain a user name or password"),
            ("https://example.com:0/", "must not use port 0"),
            ("http://127.0.0.1/", forbidden),
            ("http://169.254.169.254/latest/meta-data/", forbidden),
            ("http://10.0.0.1:8080/", forbidden),
            ("http://[::1]/", forbidden),
            ("http://[::ffff:10.0.0.1]/", forbidden),
            ("http://[fd00::1]/", forbidden),
            ("http://0.0.0.0/", forbidden),
            // Other spellings of loopback that the URL parser normalizes.
            ("http://2130706433/", forbidden),
            ("http://0x7f000001/", forbidden),
            ("http://0177.0.0.1/", forbidden),
            ("http://127.1/", forbidden),
            ("http://localhost/", "must not be a local host name"),
            ("http://LOCALHOST./", "must not be a local host name"),
            ("http://api.localhost/", "must not be a local host name"),
            ("http://printer.local/", "must not be a local host name"),
            ("http://db.internal/", "must not be a local host name"),
            ("http://nas.home.arpa/", "must not be a local host name"),
            ("http://intranet/", "must have a fully qualified host name"),
        ] {
            assert_eq!(reason(input), expected, "{input}");
        }
        let long = format!("https://example.com/{}", "a".repeat(URL_MAX));
        assert_eq!(reason(&long), "must be at most 2048 characters");
        // Names that merely contain a local suffix are fine.
        assert!(check_url("https://notlocal.example.com/").is_ok());
        assert!(check_url("https://mylocalhost.com/").is_ok());
    }

    #[test]
    fn errors_do_not_repeat_the_url() {
        let err = check_url("https://admin:hunter2@example.com/").expect_err("credentials");
        assert!(!format!("{err} {err:?}").contains("hunter2"));
    }

    #[test]
    fn loopback_can_be_allowed_for_development() {
        for input in ["http://127.0.0.1:8080/hook", "http://[::1]/", "http://localhost:3000/"] {
            assert!(check_url(input).is_err(), "{input}");
            assert!(check_url_with(input, true).is_ok(), "{input}");
        }
        assert!(check_url_with("http://10.0.0.1/", true).is_err());
        assert!(check_url_with("http://printer.local/", true).is_err());
    }

    #[test]
    fn serde_checks_again() {
        let url = check_url("https://hooks.example.com/flame").expect("valid");
        let json = serde_json::to_string(&url).expect("json");
        assert_eq!(json, r#""https://hooks.example.com/flame""#);
        assert_eq!(serde_json::from_str::<WebhookUrl>(&json).expect("back"), url);
        assert!(serde_json::from_str::<WebhookUrl>(r#""http://169.254.169.254/""#).is_err());
        assert_eq!(
            "https://example.com".parse::<WebhookUrl>().map(|u| u.to_string()).ok().as_deref(),
            Some("https://example.com/")
        );
    }
}
