//! Response templates: `{{field}}` placeholders, the fields that exist, and rendering.

use std::collections::BTreeMap;

/// Fields a response may use. `ticket_url` only in `ticket` intents.
pub const FIELDS: [&str; 6] = [
    "name",
    "first_name",
    "handle",
    "channel",
    "brand",
    "ticket_url",
];

/// The placeholders in a template, with their byte offsets; `Err` on an unclosed `{{`.
pub fn fields(text: &str) -> Result<Vec<(usize, String)>, usize> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(offset + start)?;
        out.push((offset + start, after[..end].trim().to_string()));
        let consumed = start + 2 + end + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    Ok(out)
}

/// Fills the placeholders; a field without a value renders empty and the words around it are
/// tidied, so a customer without a name is greeted without one: "Hi {{name}}, thanks" gives
/// "Hi, thanks", "Happy to help, {{first_name}}!" gives "Happy to help!".
pub fn render(text: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let key = after[..end].trim();
        let value = values.get(key).map(String::as_str).unwrap_or("");
        rest = &after[end + 2..];
        if value.is_empty() {
            let kept = out.trim_end_matches(' ').len();
            out.truncate(kept);
            // "help, {{first_name}}!" -> "help!": the comma only introduced the name.
            let next = rest.trim_start_matches(' ').chars().next();
            if out.ends_with(',') && next.is_none_or(|c| !c.is_alphanumeric()) {
                out.pop();
            }
            // "{{name}}, your order" -> "your order".
            if out.is_empty() {
                rest = rest.trim_start_matches([',', ' ']);
            }
        }
        out.push_str(value);
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_found_and_an_unclosed_brace_is_an_error() {
        assert_eq!(
            fields("Hi {{name}}, see {{ ticket_url }}").unwrap(),
            vec![(3, "name".to_string()), (17, "ticket_url".to_string())]
        );
        assert_eq!(fields("Hi {{name"), Err(3));
    }

    #[test]
    fn rendering_fills_values_and_tidies_a_missing_name() {
        let mut v = BTreeMap::new();
        v.insert("name", "Ada".to_string());
        assert_eq!(render("Hi {{name}}, thanks!", &v), "Hi Ada, thanks!");
        v.clear();
        assert_eq!(render("Hi {{name}}, thanks!", &v), "Hi, thanks!");
    }

    #[test]
    fn a_customer_without_a_name_is_greeted_without_one() {
        let none = BTreeMap::new();
        for (template, rendered) in [
            ("Hi {{name}}! We can help.", "Hi! We can help."),
            ("Happy to help, {{first_name}}!", "Happy to help!"),
            ("Happy to help, {{first_name}} 😊", "Happy to help 😊"),
            ("Thanks, {{first_name}}. I'll look.", "Thanks. I'll look."),
            ("Sure, {{first_name}} — one moment", "Sure — one moment"),
            (
                "Sorry {{first_name}}, that's outside",
                "Sorry, that's outside",
            ),
            ("{{name}}, your order shipped", "your order shipped"),
            ("Order {{ticket_url}} opened", "Order opened"),
        ] {
            assert_eq!(render(template, &none), rendered, "{template}");
        }
        let mut named = BTreeMap::new();
        named.insert("first_name", "Ada".to_string());
        assert_eq!(
            render("Happy to help, {{first_name}}!", &named),
            "Happy to help, Ada!"
        );
    }
}
