//! How the console names a customer: their name, else a handle a person can read, else a
//! short visitor label (never a session UUID or a platform's numeric id).

/// The platform as agents call it.
pub fn platform_name(channel: &str) -> String {
    match channel {
        "webchat" => "web chat".into(),
        "x" => "X".into(),
        "facebook" => "Facebook".into(),
        "mastodon" => "Mastodon".into(),
        "slack" => "Slack".into(),
        "telegram" => "Telegram".into(),
        other => other.replace('_', " "),
    }
}

/// An identifier only a machine reads: digits (Messenger PSIDs, Telegram ids), a UUID or
/// other long hex (web chat sessions), a Slack user id (`U024BE7LH`).
pub fn is_opaque(handle: &str) -> bool {
    let h = handle.trim();
    if h.is_empty() {
        return true;
    }
    let digits = h.chars().all(|c| c.is_ascii_digit());
    let hexish = h.len() >= 16 && h.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let slack = h.len() >= 8
        && (h.starts_with('U') || h.starts_with('W'))
        && h[1..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    digits || hexish || slack
}

/// What an agent reads for a customer: "Dana Scully", "@furiouscamper", or "Web chat visitor
/// 4f2a" (the last characters of the id, so two visitors stay apart).
pub fn customer_label(name: Option<&str>, handle: &str, channel: &str) -> String {
    if let Some(n) = name.map(str::trim).filter(|n| !n.is_empty()) {
        return n.to_string();
    }
    if !is_opaque(handle) {
        return handle.trim().to_string();
    }
    let tail: String = {
        let chars: Vec<char> = handle.chars().filter(|c| c.is_alphanumeric()).collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    };
    let platform = platform_name(channel);
    let mut label = format!("{platform} visitor");
    if let Some(first) = label.get(..1) {
        label = first.to_uppercase() + &label[1..];
    }
    if tail.is_empty() {
        label
    } else {
        format!("{label} {}", tail.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_wins_then_a_readable_handle_then_a_short_visitor_label() {
        assert_eq!(
            customer_label(Some("Dana Scully"), "@dana", "x"),
            "Dana Scully"
        );
        assert_eq!(customer_label(Some("  "), "@dana", "x"), "@dana");
        assert_eq!(
            customer_label(None, "6f1c2a4e-1d2b-4c3a-9e8f-0a1b2c3d4f2a", "webchat"),
            "Web chat visitor 4f2a"
        );
        assert_eq!(
            customer_label(None, "2001234567", "facebook"),
            "Facebook visitor 4567"
        );
        assert_eq!(
            customer_label(None, "U024BE7LH", "slack"),
            "Slack visitor e7lh"
        );
        assert_eq!(customer_label(None, "", "webchat"), "Web chat visitor");
    }

    #[test]
    fn handles_people_can_read_are_not_opaque() {
        for h in [
            "@furiouscamper",
            "dana@example.social",
            "jane_doe",
            "Ulrike",
        ] {
            assert!(!is_opaque(h), "{h}");
        }
    }
}
