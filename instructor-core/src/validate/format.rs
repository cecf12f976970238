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

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let domain_ok = domain.len() <= 253
        && domain.split('.').count() >= 1
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    scheme_ok
        && !rest.is_empty()
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c))
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
    let Some(sep) = text.find(['T', 't', ' ']) else {
        return false;
    };
    is_date(&text[..sep]) && is_time(&text[sep + 1..])
}

/// RFC 3339 full-time: `HH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`.
fn is_time(text: &str) -> bool {
    let (clock, offset) = match text.find(['Z', 'z', '+', '-']) {
        Some(i) => text.split_at(i),
        None => return false,
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (clock, None),
    };
    if frac.is_some_and(|f| {
        digits(f).is_none() && !f.bytes().all(|b| b.is_ascii_digit()) || f.is_empty()
    }) {
        return false;
    }
    let parts: Vec<&str> = hms.split(':').collect();
    let clock_ok = parts.len() == 3
        && parts.iter().all(|p| p.len() == 2)
        && matches!(
            (digits(parts[0]), digits(parts[1]), digits(parts[2])),
            (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s <= 60
        );
    let offset_ok = match offset {
        "Z" | "z" => true,
        _ => {
            let rest = &offset[1..];
            let hm: Vec<&str> = rest.split(':').collect();
            hm.len() == 2
                && hm.iter().all(|p| p.len() == 2)
                && matches!((digits(hm[0]), digits(hm[1])), (Some(h), Some(m)) if h < 24 && m < 60)
        }
    };
    clock_ok && offset_ok
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
