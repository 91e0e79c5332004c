//! One new example in an intent file, as text: the line goes at the end of the intent's
//! `examples:` list, at that list's indentation, quoted the way YAML needs it. Everything else
//! in the file (comments, order, quoting, blank lines) stays byte for byte; the file is never
//! re-serialised. Pure functions over strings: the caller reads, checks and writes files.

use marked_yaml::Node;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    #[error("the file is not valid YAML: {0}")]
    Parse(String),
    #[error("the file has no intent named '{0}'")]
    NoSuchIntent(String),
    #[error("cannot place an example in '{intent}' safely: {why}")]
    Unplaceable { intent: String, why: String },
}

/// The file's new text and the 1-based line the example is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insertion {
    pub text: String,
    pub line: usize,
}

/// A message as one example line: every run of whitespace (newlines too) becomes one space.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Characters that may not start a plain scalar.
const INDICATORS: &str = "-?:,[]{}#&*!|>'\"%@`";

/// Words and shapes YAML 1.1 readers turn into booleans, nulls, numbers or times.
fn looks_typed(text: &str) -> bool {
    const WORDS: [&str; 13] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", ".nan",
    ];
    WORDS.contains(&text.to_lowercase().as_str())
        || text.parse::<f64>().is_ok()
        || text
            .chars()
            .all(|c| c.is_ascii_digit() || "-+._:eExXoObB".contains(c))
}

/// Whether `text` reads back as itself written without quotes.
fn plain_ok(text: &str, flow: bool) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    first.is_alphanumeric()
        && !INDICATORS.contains(first)
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !text.chars().any(needs_escape)
        && !(flow && text.contains([',', '[', ']', '{', '}']))
        && !looks_typed(text)
}

/// Characters only a double-quoted scalar can carry (as escapes).
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
}

/// `text` as one YAML scalar: plain when that is safe, else single-quoted (or double-quoted
/// when it holds an apostrophe and no double quote, or characters that need escapes).
pub fn scalar(text: &str, flow: bool) -> String {
    if plain_ok(text, flow) {
        return text.to_string();
    }
    let escapes = text.chars().any(needs_escape);
    if !escapes && !text.contains('\'') {
        return format!("'{text}'");
    }
    if !escapes && !text.contains('"') && !text.contains('\\') {
        return format!("\"{text}\"");
    }
    if !escapes {
        return format!("'{}'", text.replace('\'', "''"));
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Byte offsets of each line's start.
struct Lines<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Self { src, starts }
    }

    /// The text of a 1-based line, without its line break.
    fn line(&self, n: usize) -> &'a str {
        let start = self.starts[n - 1];
        let end = self.starts.get(n).copied().unwrap_or(self.src.len());
        self.src[start..end].trim_end_matches(['\n', '\r'])
    }

    fn count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset of a 1-based line and 1-based column counted in characters.
    fn offset(&self, line: usize, column: usize) -> Option<usize> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let rest = &self.src[start..];
        match rest.char_indices().nth(column.checked_sub(1)?) {
            Some((i, _)) => Some(start + i),
            None => Some(self.src.len()),
        }
    }

    /// The 1-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|s| *s <= offset)
    }
}

/// `"    - "` when the line starts a list item (spaces, a dash, at least one space).
fn dash_prefix(line: &str) -> Option<&str> {
    let spaces = indent(line);
    let rest = line[spaces..].strip_prefix('-')?;
    let after = rest.len() - rest.trim_start_matches(' ').len();
    (after > 0).then(|| &line[..spaces + 1 + after])
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_comment_or_blank(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// The file's text with `example` added as the last example of `intent`.
pub fn append_example(source: &str, intent: &str, example: &str) -> Result<Insertion, YamlError> {
    let root = marked_yaml::parse_yaml(0, source).map_err(|e| YamlError::Parse(e.to_string()))?;
    let unplaceable = |why: &str| YamlError::Unplaceable {
        intent: intent.to_string(),
        why: why.to_string(),
    };
    let found = root
        .as_mapping()
        .and_then(|m| m.get_sequence("intents"))
        .and_then(|seq| {
            seq.iter().filter_map(Node::as_mapping).find(|m| {
                m.get_scalar("name")
                    .is_some_and(|n| n.as_str().trim() == intent)
            })
        })
        .ok_or_else(|| YamlError::NoSuchIntent(intent.to_string()))?;
    let Some(Node::Sequence(examples)) = found.get_node("examples") else {
        return Err(unplaceable("its 'examples' is not a list"));
    };
    let lines = Lines::new(source);
    let newline = if source.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let start = examples
        .span()
        .start()
        .and_then(|m| lines.offset(m.line(), m.column()))
        .ok_or_else(|| unplaceable("the list has no position"))?;
    if source[start..].starts_with('[') {
        return append_flow(source, &lines, start, example)
            .ok_or_else(|| unplaceable("the [...] list does not close"));
    }
    let last = examples
        .iter()
        .last()
        .and_then(Node::as_scalar)
        .ok_or_else(|| unplaceable("its last example is not plain text"))?;
    let mark = last
        .span()
        .start()
        .ok_or_else(|| unplaceable("the last example has no position"))?;
    let at = lines
        .offset(mark.line(), mark.column())
        .ok_or_else(|| unplaceable("the last example has no position"))?;
    let scalar_line = mark.line();
    let before_scalar = &source[lines.starts[scalar_line - 1]..at];
    let first_line = if dash_prefix(before_scalar) == Some(before_scalar) {
        scalar_line
    } else if before_scalar.trim().is_empty() {
        // A `|` or `>` scalar is placed where its text starts, below its `- |` line.
        (1..scalar_line)
            .rev()
            .find(|n| !lines.line(*n).trim().is_empty())
            .filter(|n| {
                let l = lines.line(*n);
                dash_prefix(l).is_some_and(|p| l[p.len()..].starts_with(['|', '>']))
            })
            .ok_or_else(|| unplaceable("its last example does not start a '- ' line of its own"))?
    } else {
        return Err(unplaceable(
            "its last example does not start a '- ' line of its own",
        ));
    };
    let line_text = lines.line(first_line);
    let prefix = dash_prefix(line_text)
        .ok_or_else(|| unplaceable("its last example does not start a '- ' line of its own"))?;
    let dash = indent(prefix);
    let item_at = lines.starts[first_line - 1] + prefix.len();
    let end_line = match source[item_at..].chars().next() {
        Some(q @ ('"' | '\'')) => lines.line_of(
            quoted_end(source, item_at, q)
                .ok_or_else(|| unplaceable("the last example's quotes do not close"))?,
        ),
        Some('|' | '>') => block_scalar_end(&lines, first_line, dash),
        _ => plain_end(&lines, first_line, dash),
    };
    let new_line = format!("{prefix}{}", scalar(example, false));
    let (text, line) = if end_line >= lines.count() {
        let mut t = source.to_string();
        if !t.ends_with('\n') {
            t.push_str(newline);
        }
        t.push_str(&new_line);
        t.push_str(newline);
        (t, end_line + 1)
    } else {
        let insert_at = lines.starts[end_line];
        let mut t = String::with_capacity(source.len() + new_line.len() + 2);
        t.push_str(&source[..insert_at]);
        t.push_str(&new_line);
        t.push_str(newline);
        t.push_str(&source[insert_at..]);
        (t, end_line + 1)
    };
    Ok(Insertion { text, line })
}

/// Byte offset of the closing quote of a quoted scalar opening at `at`.
fn quoted_end(src: &str, at: usize, quote: char) -> Option<usize> {
    let mut chars = src[at + 1..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            ('"', '\\') => {
                chars.next();
            }
            ('\'', '\'') if chars.peek().map(|(_, n)| *n) == Some('\'') => {
                chars.next();
            }
            (q, c) if c == q => return Some(at + 1 + i),
            _ => {}
        }
    }
    None
}

/// The last line of a `|` or `>` scalar: following lines more indented than the dash, or blank.
fn block_scalar_end(lines: &Lines<'_>, first: usize, dash: usize) -> usize {
    let mut end = first;
    for n in first + 1..=lines.count() {
        let l = lines.line(n);
        if l.trim().is_empty() {
            continue;
        }
        if indent(l) <= dash {
            break;
        }
        end = n;
    }
    end
}

/// The last line of a plain scalar: continuation lines are more indented than the dash and
/// are not comments.
fn plain_end(lines: &Lines<'_>, first: usize, dash: usize) -> usize {
    let mut end = first;
    if lines.line(first).contains(" #") {
        return end; // a comment ends the scalar on its first line
    }
    for n in first + 1..=lines.count() {
        let l = lines.line(n);
        if l.trim().is_empty() {
            continue;
        }
        if indent(l) <= dash || is_comment_or_blank(l) {
            break;
        }
        end = n;
        if l.contains(" #") {
            break;
        }
    }
    end
}

/// A flow list `[a, b]` opening at `open`: the example goes after its last item.
fn append_flow(src: &str, lines: &Lines<'_>, open: usize, example: &str) -> Option<Insertion> {
    let mut depth = 0usize;
    let mut last_sig = open + 1;
    let mut prev_space = true;
    let mut iter = src[open..].char_indices().map(|(i, c)| (open + i, c));
    while let Some((i, c)) = iter.next() {
        match c {
            '"' | '\'' => {
                let end = quoted_end(src, i, c)?;
                while iter.next().is_some_and(|(j, _)| j < end) {}
                last_sig = end + 1;
                prev_space = false;
                continue;
            }
            '#' if prev_space => {
                for (_, c) in iter.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                prev_space = true;
                continue;
            }
            '[' | '{' => depth += 1,
            ']' | '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    let before = src[..last_sig].chars().next_back()?;
                    let item = scalar(example, true);
                    let insert = match before {
                        '[' => item,
                        ',' => format!(" {item}"),
                        _ => format!(", {item}"),
                    };
                    let mut text = String::with_capacity(src.len() + insert.len());
                    text.push_str(&src[..last_sig]);
                    text.push_str(&insert);
                    text.push_str(&src[last_sig..]);
                    return Some(Insertion {
                        text,
                        line: lines.line_of(last_sig),
                    });
                }
            }
            _ => {}
        }
        prev_space = c.is_whitespace();
        if !c.is_whitespace() {
            last_sig = i + c.len_utf8();
        }
    }
    None
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
