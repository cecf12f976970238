//! The `format` keyword's checks, written out by hand (no extra dependencies) and
//! kept to the RFCs JSON Schema names.

use std::net::{Ipv4Addr, Ipv6Addr};

/// A string format a field can require.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// `email`: an RFC 5321 mailbox (`local@domain`).
    Email,
    /// `uri`: an absolute RFC 3986 URI (`scheme:rest`).
    Uri,
    /// `uuid`: RFC 4122 textual form (`8-4-4-4-12` hex digits).
    Uuid,
    /// `date`: RFC 3339 full-date (`2024-02-29`).
    Date,
    /// `date-time`: RFC 3339 date-time (`2024-02-29T12:00:00Z`).
    DateTime,
    /// `ipv4`: dotted quad without leading zeros.
    Ipv4,
    /// `ipv6`: RFC 4291 text form.
    Ipv6,
}

impl Format {
    /// Every format, in a fixed order.
    pub const ALL: [Format; 7] = [
        Format::Email,
        Format::Uri,
        Format::Uuid,
        Format::Date,
        Format::DateTime,
        Format::Ipv4,
        Format::Ipv6,
    ];

    /// Parses the keyword value (`"date-time"`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The keyword value as written in a schema.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Uri => "uri",
            Self::Uuid => "uuid",
            Self::Date => "date",
            Self::DateTime => "date-time",
            Self::Ipv4 => "ipv4",
            Self::Ipv6 => "ipv6",
        }
    }

    /// What a valid value is, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Email => "a valid email address",
            Self::Uri => "an absolute URI such as https://example.com/path",
            Self::Uuid => "a UUID such as 123e4567-e89b-12d3-a456-426614174000",
            Self::Date => "a date in YYYY-MM-DD form",
            Self::DateTime => "an RFC 3339 date-time such as 2024-01-31T09:30:00Z",
            Self::Ipv4 => "an IPv4 address such as 192.168.0.1",
            Self::Ipv6 => "an IPv6 address such as 2001:db8::1",
        }
    }

    /// Whether `text` is valid in this format.
    pub fn is_valid(self, text: &str) -> bool {
        match self {
            Self::Email => is_email(text),
            Self::Uri => is_uri(text),
            Self::Uuid => is_uuid(text),
            Self::Date => is_date(text),
            Self::DateTime => is_date_time(text),
            Self::Ipv4 => text.parse::<Ipv4Addr>().is_ok(),
            Self::Ipv6 => text.parse::<Ipv6Addr>().is_ok(),
        }
    }
}

/// RFC 5321 mailbox: a dot-atom or quoted local part, and a hostname or an
/// address literal (`[127.0.0.1]`, `[IPv6:2001:db8::1]`).
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let local_ok = if local.len() >= 2 && local.starts_with('"') && local.ends_with('"') {
        let inner = &local[1..local.len() - 1];
        let mut escaped = false;
        inner.chars().all(|c| {
            let ok = escaped || c != '"';
            escaped = !escaped && c == '\\';
            ok && (c == ' ' || c.is_ascii_graphic())
        })
    } else {
        !local.is_empty()
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
    };
    let domain_ok = match domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        Some(literal) => match literal.strip_prefix("IPv6:") {
            Some(v6) => v6.parse::<Ipv6Addr>().is_ok(),
            None => literal.parse::<Ipv4Addr>().is_ok(),
        },
        None => is_hostname(domain),
    };
    local.len() <= 64 && local_ok && domain_ok
}

/// RFC 1123 hostname labels; `--` in the 3rd and 4th positions is reserved for IDNA
/// A-labels (`xn--`), which are accepted without decoding their punycode.
fn is_hostname(domain: &str) -> bool {
    domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && (label.get(2..4) != Some("--") || label.to_ascii_lowercase().starts_with("xn--"))
        })
}

/// An absolute RFC 3986 URI: a scheme, then only URI characters (ASCII, no spaces),
/// with well-formed percent-encodings and balanced IP-literal brackets.
fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        let allowed = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b);
        if !allowed {
            return false;
        }
        i += 1;
    }
    let brackets_ok = match rest
        .strip_prefix("//")
        .map(|r| r.split(['/', '?', '#']).next().unwrap_or(""))
    {
        Some(authority) => {
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            match host.find('[') {
                Some(open) => host[open..].contains(']') && open == 0,
                None => !host.contains(']'),
            }
        }
        None => true,
    };
    scheme_ok && brackets_ok
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (
        digits(&text[0..4]),
        digits(&text[5..7]),
        digits(&text[8..10]),
    ) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

fn is_date_time(text: &str) -> bool {
    let Some(sep) = text.find(['T', 't']) else {
        return false;
    };
    is_date(&text[..sep]) && is_time(&text[sep + 1..])
}

/// RFC 3339 full-time: `HH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`; a leap second (`:60`)
/// only at 23:59 UTC once the offset is applied.
fn is_time(text: &str) -> bool {
    let Some(i) = text.find(['Z', 'z', '+', '-']) else {
        return false;
    };
    let (clock, offset) = text.split_at(i);
    let (hms, frac) = match clock.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (clock, None),
    };
    if frac.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let two = |p: &str| if p.len() == 2 { digits(p) } else { None };
    let parts: Vec<&str> = hms.split(':').collect();
    let [Some(h), Some(m), Some(s)] =
        [parts.first(), parts.get(1), parts.get(2)].map(|p| p.and_then(|p| two(p)))
    else {
        return false;
    };
    if parts.len() != 3 || h > 23 || m > 59 || s > 60 {
        return false;
    }
    let offset_minutes: i64 = match offset {
        "Z" | "z" => 0,
        _ => {
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let hm: Vec<&str> = offset[1..].split(':').collect();
            match (
                hm.len(),
                hm.first().and_then(|p| two(p)),
                hm.get(1).and_then(|p| two(p)),
            ) {
                (2, Some(oh), Some(om)) if oh < 24 && om < 60 => sign * i64::from(oh * 60 + om),
                _ => return false,
            }
        }
    };
    if s == 60 {
        let utc = (i64::from(h * 60 + m) - offset_minutes).rem_euclid(24 * 60);
        return utc == 23 * 60 + 59;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_accept_and_reject() {
        let cases = [
            (Format::Email, "jason@example.com", true),
            (Format::Email, "not-an-email", false),
            (Format::Email, "a..b@example.com", false),
            (Format::Uri, "https://example.com/a?b=c", true),
            (Format::Uri, "example.com", false),
            (Format::Uri, "http://exa mple.com", false),
            (Format::Uuid, "123e4567-e89b-12d3-a456-426614174000", true),
            (Format::Uuid, "123e4567e89b12d3a456426614174000", false),
            (Format::Date, "2024-02-29", true),
            (Format::Date, "2023-02-29", false),
            (Format::Date, "2024-13-01", false),
            (Format::DateTime, "2024-01-31T09:30:00Z", true),
            (Format::DateTime, "2024-01-31T09:30:00.123+02:00", true),
            (Format::DateTime, "2024-01-31T25:30:00Z", false),
            (Format::DateTime, "2024-01-31T09:30:00", false),
            (Format::DateTime, "1998-12-31T23:59:60Z", true),
            (Format::DateTime, "1998-12-31T15:59:60-08:00", true),
            (Format::DateTime, "1998-12-31T23:58:60Z", false),
            (Format::DateTime, "2024-01-31 12:00:00Z", false),
            (Format::Uri, "urn:", true),
            (Format::Uri, "http://example.com/%4", false),
            (Format::Uri, "https://example.com/ü", false),
            (Format::Uri, "http://[::1", false),
            (Format::Email, "\"john doe\"@example.com", true),
            (Format::Email, "joe@[127.0.0.1]", true),
            (Format::Email, "joe@[IPv6:2001:db8::1]", true),
            (Format::Email, "joe@ab--cd.com", false),
            (Format::Ipv4, "192.168.0.1", true),
            (Format::Ipv4, "256.1.1.1", false),
            (Format::Ipv6, "2001:db8::1", true),
            (Format::Ipv6, "2001:db8:::1", false),
        ];
        for (format, text, expected) in cases {
            assert_eq!(format.is_valid(text), expected, "{format:?} on {text:?}");
        }
    }
}
