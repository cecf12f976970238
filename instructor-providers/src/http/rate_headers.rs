//! OpenAI-style rate-limit headers, read when a 429 carries no `retry-after`:
//! `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens` (`1s`, `6m0s`, `20ms`),
//! the reset of whichever budget `x-ratelimit-remaining-*` says is spent.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// How long until the spent budget resets, if the headers say.
pub(crate) fn reset_delay(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let budgets = ["requests", "tokens"].map(|budget| {
        let spent = get(&format!("x-ratelimit-remaining-{budget}"))
            .is_some_and(|remaining| remaining.trim() == "0");
        let reset = get(&format!("x-ratelimit-reset-{budget}")).and_then(parse_duration);
        (spent, reset)
    });
    let spent = budgets
        .iter()
        .filter(|(spent, _)| *spent)
        .filter_map(|(_, reset)| *reset)
        .max();
    spent.or_else(|| budgets.iter().filter_map(|(_, reset)| *reset).max())
}

/// A Go-style duration: `1h2m3.5s`, `6m0s`, `20ms`, `0.5s`, `250us`.
fn parse_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut seconds = 0.0_f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(number_len);
        let value: f64 = number.parse().ok()?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = match unit {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        seconds += value * scale;
        rest = tail;
    }
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_duration("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(parse_duration("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(
            parse_duration("1h2m3.5s"),
            Some(Duration::from_millis(3_723_500))
        );
        for bad in ["", "s", "5", "5x", "1.2.3s", "-1s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_spent_budget_decides() {
        let mut headers = HeaderMap::new();
        assert_eq!(reset_delay(&headers), None);
        headers.insert("x-ratelimit-reset-requests", "120ms".parse().unwrap());
        headers.insert("x-ratelimit-reset-tokens", "6s".parse().unwrap());
        assert_eq!(reset_delay(&headers), Some(Duration::from_secs(6)));
        headers.insert("x-ratelimit-remaining-requests", "0".parse().unwrap());
        headers.insert("x-ratelimit-remaining-tokens", "1500".parse().unwrap());
        assert_eq!(reset_delay(&headers), Some(Duration::from_millis(120)));
    }
}
