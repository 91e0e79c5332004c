//! What the encoder reads: social-media text rewritten so a word-piece vocabulary can see its
//! meaning. Emoji become their CLDR names (the `emojis` crate's table), common emoticons become
//! the emoji they stand for, HTML entities are decoded, @handles and links become placeholders.
//! Training (heads, tuned encoders) and serving both read text through this one function.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;

/// Bumped whenever the output changes for some input: cached vectors and heads trained on
/// normalised text name the version they were made with.
pub const VERSION: u32 = 1;

/// Inputs longer than this (in bytes) are cut before normalising: the encoder reads at most 256
/// word pieces, so nothing past this could reach it, and a 100 KB post costs no more than 4 KB.
const MAX_BYTES: usize = 4096;

/// Emoticons and the emoji whose name they take. Only these whole, space-delimited tokens are
/// replaced, so `https://` or `a:b` are left alone.
const EMOTICONS: &[(&str, &str)] = &[
    (":)", "🙂"),
    (":-)", "🙂"),
    ("(:", "🙂"),
    ("=)", "🙂"),
    (":]", "🙂"),
    (":))", "😊"),
    ("^^", "😊"),
    ("^_^", "😊"),
    (":D", "😃"),
    (":-D", "😃"),
    ("xD", "😆"),
    ("XD", "😆"),
    (";)", "😉"),
    (";-)", "😉"),
    (":P", "😛"),
    (":p", "😛"),
    (":-P", "😛"),
    (":(", "☹️"),
    (":-(", "☹️"),
    ("):", "☹️"),
    ("=(", "☹️"),
    (":((", "😞"),
    (":'(", "😢"),
    (":,(", "😢"),
    ("T_T", "😭"),
    (":/", "😕"),
    (":-/", "😕"),
    (":\\", "😕"),
    (":|", "😐"),
    (":-|", "😐"),
    ("-_-", "😑"),
    (":O", "😮"),
    (":o", "😮"),
    (":-O", "😮"),
    (">:(", "😠"),
    (":@", "😠"),
    ("<3", "❤️"),
    ("</3", "💔"),
];

/// The text the encoder should read for `text`.
///
/// ```
/// use hearken::nlu::normalize::normalize;
/// assert_eq!(normalize("@Northwind love it 😍 :)"), "@user love it smiling face with heart-eyes slightly smiling face");
/// assert_eq!(normalize("see https://t.co/x1 &amp; more"), "see http & more");
/// ```
pub fn normalize(text: &str) -> Cow<'_, str> {
    let text = cut(text);
    if text.is_ascii() && !needs_rewrite(text) {
        return Cow::Borrowed(text);
    }
    let mut words: Vec<Cow<'_, str>> = Vec::new();
    for word in text.split_whitespace() {
        rewrite_word(word, &mut words);
    }
    Cow::Owned(words.join(" "))
}

/// The longest prefix of `text` of at most `MAX_BYTES` that ends on a character boundary.
fn cut(text: &str) -> &str {
    if text.len() <= MAX_BYTES {
        return text;
    }
    let mut end = MAX_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// ASCII text that has nothing to rewrite is returned as it is (the common case).
fn needs_rewrite(text: &str) -> bool {
    text.contains('@')
        || text.contains("http")
        || text.contains("www.")
        || text.contains('&')
        || text
            .split_whitespace()
            .any(|w| emoticon(trim_punct(w)).is_some())
        || text.split_whitespace().count() != text.split(' ').count()
}

/// Trailing sentence punctuation that may follow an emoticon: "thanks :)." or "ok :(,".
fn trim_punct(word: &str) -> &str {
    word.trim_end_matches(['.', ',', '!', '?'])
}

fn emoticon(word: &str) -> Option<&'static str> {
    EMOTICONS
        .iter()
        .find(|(e, _)| *e == word)
        .map(|(_, emoji)| *emoji)
}

fn rewrite_word<'a>(word: &'a str, out: &mut Vec<Cow<'a, str>>) {
    if let Some(emoji) = emoticon(trim_punct(word)) {
        push_emoji_name(emoji, out);
        return;
    }
    if is_link(word) {
        out.push(Cow::Borrowed("http"));
        return;
    }
    if let Some(rest) = word.strip_prefix('@') {
        if rest.chars().next().is_some_and(is_handle_char) {
            let tail = rest.trim_start_matches(is_handle_char);
            out.push(Cow::Borrowed("@user"));
            if !tail.is_empty() {
                rewrite_word(tail, out);
            }
            return;
        }
    }
    let word = decode_entities(word);
    if word.is_ascii() {
        out.push(word);
        return;
    }
    // Split the word into runs of plain text and emoji, one emoji name per emoji; repeats of
    // the same emoji in a row ("😂😂😂") count once: the name says the feeling, not its volume.
    let mut plain = String::new();
    let mut last_emoji: Option<&'static str> = None;
    for g in word.graphemes(true) {
        match lookup(g) {
            Some(name) => {
                if !plain.is_empty() {
                    out.push(Cow::Owned(std::mem::take(&mut plain)));
                }
                if last_emoji != Some(name) {
                    out.push(Cow::Borrowed(name));
                }
                last_emoji = Some(name);
            }
            None => {
                plain.push_str(g);
                last_emoji = None;
            }
        }
    }
    if !plain.is_empty() {
        out.push(Cow::Owned(plain));
    }
}

fn push_emoji_name(emoji: &str, out: &mut Vec<Cow<'_, str>>) {
    if let Some(name) = lookup(emoji) {
        out.push(Cow::Borrowed(name));
    }
}

/// The CLDR name of an emoji grapheme, without its skin tone ("thumbs up" for 👍🏽), or `None`
/// for anything that is not an emoji (letters, digits, CJK, plain symbols).
fn lookup(grapheme: &str) -> Option<&'static str> {
    let first = grapheme.chars().next()?;
    // Digits, '#', '*', '©' and '®' are emoji only with the emoji presentation selector
    // ("1️⃣", "©️"); on their own they are text, like every letter and mark below U+2000.
    if (first as u32) < 0x2000 && !grapheme.contains('\u{FE0F}') && !grapheme.contains('\u{20E3}') {
        return None;
    }
    let e = emojis::get(grapheme).or_else(|| {
        // A sequence the table lacks (an unusual skin tone or modifier mix): its first emoji.
        let base: String = grapheme.chars().take_while(|c| !is_modifier(*c)).collect();
        emojis::get(&base)
    })?;
    let e = e.with_skin_tone(emojis::SkinTone::Default).unwrap_or(e);
    Some(e.name())
}

fn is_modifier(c: char) -> bool {
    matches!(c, '\u{1F3FB}'..='\u{1F3FF}' | '\u{FE0F}' | '\u{200D}')
}

fn is_handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_link(word: &str) -> bool {
    let w = word.trim_start_matches(['(', '[', '<', '"', '\'']);
    w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www.")
}

/// The few HTML entities platforms leave in text (X sends `&amp;`, `&lt;`, `&gt;`).
fn decode_entities(word: &str) -> Cow<'_, str> {
    if !word.contains('&') {
        return Cow::Borrowed(word);
    }
    Cow::Owned(
        word.replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&apos;", "'"),
    )
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn emoji_become_their_names_without_skin_tones_and_repeats_count_once() {
        assert_eq!(
            normalize("worst service ever 😡😡😡"),
            "worst service ever enraged face"
        );
        assert_eq!(normalize("👍🏽 thanks"), "thumbs up thanks");
        assert_eq!(normalize("ok👌"), "ok OK hand");
    }

    #[test]
    fn zwj_sequences_and_flags_are_one_name() {
        assert_eq!(normalize("🤦‍♀️"), "woman facepalming");
        assert_eq!(normalize("🇫🇷"), "flag: France");
    }

    #[test]
    fn emoticons_are_whole_words_only() {
        assert_eq!(normalize("thanks :)."), "thanks slightly smiling face");
        assert_eq!(normalize("late again :("), "late again frowning face");
        assert_eq!(normalize("ratio 2:1 and a:b"), "ratio 2:1 and a:b");
        assert_eq!(normalize("<3 it"), "red heart it");
    }

    #[test]
    fn handles_links_and_entities_become_placeholders_and_text() {
        assert_eq!(
            normalize("@Delta_Air fix it https://t.co/abc &amp; now"),
            "@user fix it http & now"
        );
        assert_eq!(normalize("@NorthwindGoods's app"), "@user 's app");
        assert_eq!(normalize("mail me at a@b.com"), "mail me at a@b.com");
        assert_eq!(normalize("just an @ sign"), "just an @ sign");
    }

    #[test]
    fn plain_text_is_not_copied_and_whitespace_is_collapsed() {
        assert!(matches!(
            normalize("where is my order?"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(normalize("a \n\t b"), "a b");
    }

    #[test]
    fn other_scripts_digits_and_symbols_stay_text() {
        assert_eq!(
            normalize("注文はどこ？ 123 # * ©"),
            "注文はどこ？ 123 # * ©"
        );
        assert_eq!(normalize("Ça marche très bien"), "Ça marche très bien");
    }

    #[test]
    fn huge_and_empty_inputs_are_bounded() {
        let big = "é".repeat(100_000);
        assert!(normalize(&big).len() <= super::MAX_BYTES);
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("   "), "");
    }
}
