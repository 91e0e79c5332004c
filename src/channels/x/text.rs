//! Post length as X counts it (weighted characters, links as 23) and splitting a long reply
//! into a numbered chain of posts that each fit.

/// The most a post may weigh (X: 280).
pub const MAX_POST_WEIGHT: usize = 280;
/// A reply longer than this many posts is cut, the last post ending with "…".
pub const MAX_PARTS: usize = 10;
/// What t.co makes of any link.
const LINK_WEIGHT: usize = 23;
/// Room kept in each part for " (10/10)".
const MARKER_ROOM: usize = 8;

/// X counts Latin, general punctuation and a few symbol ranges as 1, everything else (CJK,
/// emoji, ...) as 2. Counting every code point of an emoji sequence overcounts, which only
/// splits earlier.
fn char_weight(c: char) -> usize {
    match c as u32 {
        0..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037 => 1,
        _ => 2,
    }
}

fn is_link(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    w.starts_with("http://") || w.starts_with("https://")
}

/// `shop.example` is linked by X too; it weighs at least what a link weighs.
fn looks_like_domain(word: &str) -> bool {
    let w = word.trim_end_matches(['.', ',', '!', '?', ')', ':', ';']);
    match w.rsplit_once('.') {
        Some((head, tld)) => {
            !head.is_empty()
                && tld.len() >= 2
                && tld.chars().all(|c| c.is_ascii_alphabetic())
                && head.chars().last().is_some_and(|c| c.is_alphanumeric())
        }
        None => false,
    }
}

fn word_weight(word: &str) -> usize {
    let plain: usize = word.chars().map(char_weight).sum();
    if is_link(word) {
        LINK_WEIGHT
    } else if looks_like_domain(word) {
        plain.max(LINK_WEIGHT)
    } else {
        plain
    }
}

/// The weight X gives `text` (an upper bound where X's rules are finer than these).
pub fn weighted_len(text: &str) -> usize {
    let spaces = text.chars().filter(|c| c.is_whitespace()).count();
    spaces + text.split_whitespace().map(word_weight).sum::<usize>()
}

/// `text` as posts of at most [`MAX_POST_WEIGHT`]: one post when it fits; else split between
/// words, each part numbered " (k/n)", at most [`MAX_PARTS`] parts (the rest cut with "…").
pub fn split_post(text: &str) -> Vec<String> {
    let text = text.trim();
    if weighted_len(text) <= MAX_POST_WEIGHT {
        return vec![text.to_string()];
    }
    let budget = MAX_POST_WEIGHT - MARKER_ROOM;
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut weight = 0;
    for word in text.split_whitespace() {
        for piece in fit_word(word, budget) {
            let w = word_weight(&piece);
            let extra = if current.is_empty() { w } else { w + 1 };
            if weight + extra > budget && !current.is_empty() {
                parts.push(std::mem::take(&mut current));
                weight = 0;
            }
            if !current.is_empty() {
                current.push(' ');
                weight += 1;
            }
            current.push_str(&piece);
            weight += w;
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    if parts.len() > MAX_PARTS {
        parts.truncate(MAX_PARTS);
        if let Some(last) = parts.last_mut() {
            cut_with_ellipsis(last, budget);
        }
    }
    let n = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| format!("{p} ({}/{n})", i + 1))
        .collect()
}

/// A word heavier than a whole part (not a link: links weigh 23) is cut into pieces that fit.
fn fit_word(word: &str, budget: usize) -> Vec<String> {
    if word_weight(word) <= budget {
        return vec![word.to_string()];
    }
    let mut out = Vec::new();
    let mut piece = String::new();
    let mut weight = 0;
    for c in word.chars() {
        let w = char_weight(c);
        // Pieces stay short of the budget so that a domain-like piece (weighing 23) still fits.
        if weight + w > budget - LINK_WEIGHT && !piece.is_empty() {
            out.push(std::mem::take(&mut piece));
            weight = 0;
        }
        piece.push(c);
        weight += w;
    }
    if !piece.is_empty() {
        out.push(piece);
    }
    out
}

/// Make room for "…" at the end of `part` (between words when possible).
fn cut_with_ellipsis(part: &mut String, budget: usize) {
    while weighted_len(part) + 2 > budget {
        match part.rfind(' ') {
            Some(i) => part.truncate(i),
            None => {
                part.pop();
            }
        }
    }
    part.push('…');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_reply_is_one_post() {
        let text =
            "Hi Jordan Brinks (@furiouscamper), sorry you're locked out! Try 'Forgot password'.";
        assert_eq!(split_post(text), vec![text.to_string()]);
    }

    #[test]
    fn links_weigh_23_and_wide_characters_weigh_2() {
        assert_eq!(weighted_len("abc"), 3);
        assert_eq!(
            weighted_len("see https://example.com/a/very/long/path/that/is/long"),
            4 + 23
        );
        assert_eq!(weighted_len("https://x.co"), 23);
        assert_eq!(weighted_len("shop.example"), 23);
        assert_eq!(weighted_len("日本"), 4);
        assert_eq!(weighted_len("👋"), 2);
        assert_eq!(weighted_len("“quoted” — fine"), 15);
    }

    #[test]
    fn a_long_reply_is_split_between_words_into_numbered_posts_that_fit() {
        let words: Vec<String> = (0..120).map(|i| format!("word{i}")).collect();
        let text = words.join(" ");
        let parts = split_post(&text);
        assert!(parts.len() >= 3, "{parts:?}");
        let n = parts.len();
        for (i, p) in parts.iter().enumerate() {
            assert!(weighted_len(p) <= MAX_POST_WEIGHT, "{p}");
            assert!(p.ends_with(&format!(" ({}/{n})", i + 1)), "{p}");
        }
        let rejoined: Vec<&str> = parts
            .iter()
            .map(|p| p.rsplit_once(" (").unwrap().0)
            .collect();
        assert_eq!(rejoined.join(" "), text, "nothing lost, no word cut");
    }

    #[test]
    fn a_reply_over_ten_posts_is_cut_with_an_ellipsis_and_huge_words_are_broken() {
        let text = "lorem ipsum ".repeat(400);
        let parts = split_post(&text);
        assert_eq!(parts.len(), 10);
        assert!(parts[9].ends_with("… (10/10)"), "{}", parts[9]);
        assert!(parts.iter().all(|p| weighted_len(p) <= MAX_POST_WEIGHT));
        let blob = "x".repeat(1000);
        let parts = split_post(&blob);
        assert!(parts.iter().all(|p| weighted_len(p) <= MAX_POST_WEIGHT));
        assert_eq!(parts.len(), 4, "{parts:?}");
    }
}
