//! Keyword monitoring: per channel, which public posts enter the pipeline at all. Private
//! messages always do: a customer who writes to us in private is never filtered out.

use serde::{Deserialize, Serialize};

use super::InboundEvent;
use crate::policy::Visibility;

/// Include/exclude filters on keywords and author handles. Matching ignores case; a keyword
/// matches anywhere in the text (`refund` matches "Refunds?"), a handle matches the author's
/// handle or display name with or without a leading `@`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitorFilter {
    /// When set, a public post must contain at least one of these (or come from `include_handles`).
    pub include_keywords: Vec<String>,
    /// A public post containing any of these is dropped.
    pub exclude_keywords: Vec<String>,
    /// Public posts by these authors always enter (unless excluded by handle).
    pub include_handles: Vec<String>,
    /// Public posts by these authors never enter (spam accounts, our own staff).
    pub exclude_handles: Vec<String>,
}

/// Why a post was dropped (logged at debug, counted per channel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dropped {
    ExcludedHandle,
    ExcludedKeyword(String),
    NoIncludedKeyword,
}

fn norm_handle(h: &str) -> String {
    h.trim().trim_start_matches('@').to_lowercase()
}

impl MonitorFilter {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// `Ok` when the event enters the pipeline.
    pub fn admit(&self, e: &InboundEvent) -> Result<(), Dropped> {
        if e.visibility == Visibility::Private {
            return Ok(());
        }
        let author: Vec<String> = std::iter::once(&e.author.handle)
            .chain(e.author.name.as_ref())
            .map(|h| norm_handle(h))
            .collect();
        let by = |list: &[String]| list.iter().any(|h| author.contains(&norm_handle(h)));
        if by(&self.exclude_handles) {
            return Err(Dropped::ExcludedHandle);
        }
        let text = e.text.to_lowercase();
        if let Some(k) = self
            .exclude_keywords
            .iter()
            .find(|k| text.contains(&k.to_lowercase()))
        {
            return Err(Dropped::ExcludedKeyword(k.clone()));
        }
        if by(&self.include_handles) {
            return Ok(());
        }
        if self.include_keywords.is_empty() && self.include_handles.is_empty() {
            return Ok(());
        }
        if self
            .include_keywords
            .iter()
            .any(|k| text.contains(&k.to_lowercase()))
        {
            return Ok(());
        }
        Err(Dropped::NoIncludedKeyword)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::Author;

    fn post(visibility: Visibility, handle: &str, text: &str) -> InboundEvent {
        InboundEvent {
            channel: "x".into(),
            event_id: "1".into(),
            visibility,
            thread_id: "t".into(),
            message_id: "m".into(),
            author: Author {
                handle: handle.into(),
                name: Some(format!("{handle} Name")),
            },
            text: text.into(),
        }
    }

    fn filter() -> MonitorFilter {
        MonitorFilter {
            include_keywords: vec!["Refund".into(), "#acmehelp".into()],
            exclude_keywords: vec!["giveaway".into()],
            include_handles: vec!["@VipCustomer".into()],
            exclude_handles: vec!["spambot".into()],
        }
    }

    #[test]
    fn an_empty_filter_admits_everything() {
        let e = post(Visibility::Public, "a", "hello");
        assert_eq!(MonitorFilter::default().admit(&e), Ok(()));
    }

    #[test]
    fn public_posts_need_an_included_keyword_in_any_case() {
        let f = filter();
        assert_eq!(
            f.admit(&post(Visibility::Public, "a", "REFUNDS please")),
            Ok(())
        );
        assert_eq!(
            f.admit(&post(Visibility::Public, "a", "see #AcmeHelp")),
            Ok(())
        );
        assert_eq!(
            f.admit(&post(Visibility::Public, "a", "nice weather")),
            Err(Dropped::NoIncludedKeyword)
        );
    }

    #[test]
    fn excluded_keywords_and_handles_win_over_includes() {
        let f = filter();
        assert_eq!(
            f.admit(&post(Visibility::Public, "a", "refund giveaway")),
            Err(Dropped::ExcludedKeyword("giveaway".into()))
        );
        assert_eq!(
            f.admit(&post(Visibility::Public, "@SpamBot", "refund")),
            Err(Dropped::ExcludedHandle)
        );
    }

    #[test]
    fn included_handles_enter_without_a_keyword() {
        let f = filter();
        assert_eq!(
            f.admit(&post(Visibility::Public, "vipcustomer", "hi")),
            Ok(())
        );
    }

    #[test]
    fn private_messages_are_never_filtered() {
        let f = filter();
        assert_eq!(
            f.admit(&post(Visibility::Private, "spambot", "giveaway")),
            Ok(())
        );
    }
}
