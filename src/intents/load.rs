//! Reading an intents folder: YAML with positions (marked-yaml), turned into `Bot` while
//! collecting every problem with its file, line and a hint (never stopping at the first).

use std::path::{Path, PathBuf};

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{LoadError, Node, Span};

use super::diagnostic::{did_you_mean, Diagnostic, Location};
use super::schema::{Action, Bot, Example, Intent, Responses, Settings, Template, Thresholds};
use super::IntentsError;

pub const SETTINGS_FILE: &str = "config.yml";
const SETTINGS_KEYS: [&str; 6] = [
    "bot",
    "brand",
    "language",
    "thresholds",
    "min_examples",
    "skills",
];
const THRESHOLD_KEYS: [&str; 3] = ["confidence", "ambiguity_margin", "out_of_scope"];
const INTENT_KEYS: [&str; 7] = [
    "name",
    "description",
    "action",
    "skill",
    "threshold",
    "examples",
    "responses",
];
const RESPONSE_KEYS: [&str; 2] = ["public", "private"];

/// The `.yml` files under `dir` (recursively), sorted, settings file first. Names starting
/// with a dot are skipped: editors keep lock and swap files there (emacs' `.#orders.yml` is a
/// dangling link while a buffer is modified), and a save must not fail on them.
pub fn files(dir: &Path) -> Result<Vec<PathBuf>, IntentsError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| IntentsError::Io {
            path: d.clone(),
            source,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|source| IntentsError::Io {
                    path: d.clone(),
                    source,
                })?
                .path();
            if is_hidden(&path) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yml") {
                out.push(path);
            }
        }
    }
    out.sort_by_key(|p| (p.file_name() != Some(SETTINGS_FILE.as_ref()), p.clone()));
    Ok(out)
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// Loads every file; problems go to `diags`. The `Bot` holds what could be read.
pub fn load_dir(dir: &Path, diags: &mut Vec<Diagnostic>) -> Result<Bot, IntentsError> {
    if !dir.is_dir() {
        return Err(IntentsError::NotADirectory(dir.to_owned()));
    }
    let mut bot = Bot::default();
    for (i, path) in files(dir)?.into_iter().enumerate() {
        let text = std::fs::read_to_string(&path).map_err(|source| IntentsError::Io {
            path: path.clone(),
            source,
        })?;
        let mut file = FileReader {
            path: path.clone(),
            diags,
        };
        let Some(root) = file.parse(i, &text) else {
            continue;
        };
        if path.parent() == Some(dir) && path.file_name() == Some(SETTINGS_FILE.as_ref()) {
            bot.settings = file.settings(&root);
        } else {
            bot.intents.extend(file.intents(&root));
        }
    }
    Ok(bot)
}

struct FileReader<'a> {
    path: PathBuf,
    diags: &'a mut Vec<Diagnostic>,
}

impl FileReader<'_> {
    fn at(&self, span: &Span) -> Location {
        let (line, column) = span.start().map_or((1, 1), |m| (m.line(), m.column()));
        Location {
            file: self.path.clone(),
            line,
            column,
        }
    }

    fn error(&mut self, code: &'static str, span: &Span, msg: String, hint: Option<String>) {
        let mut d = Diagnostic::error(code, self.at(span), msg);
        d.hint = hint;
        self.diags.push(d);
    }

    fn parse(&mut self, source: usize, text: &str) -> Option<MarkedMappingNode> {
        let options = marked_yaml::LoaderOptions::default().error_on_duplicate_keys(true);
        match marked_yaml::parse_yaml_with_options(source, text, options) {
            Ok(Node::Mapping(m)) => Some(m),
            Ok(_) => unreachable_top(self),
            Err(e) => {
                let (pos, msg, hint) = describe_load_error(&e);
                let (line, column) = pos.unwrap_or((1, 1));
                let loc = Location {
                    file: self.path.clone(),
                    line,
                    column,
                };
                let mut d = Diagnostic::error("yaml_syntax", loc, msg);
                d.hint = Some(hint);
                self.diags.push(d);
                None
            }
        }
    }

    /// Rejects keys not in `known`, with a "did you mean".
    fn check_keys(&mut self, map: &MarkedMappingNode, known: &[&str], what: &str) {
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                let hint = match did_you_mean(key.as_str(), known) {
                    Some(k) => format!("did you mean '{k}'?"),
                    None => format!("known keys: {}", known.join(", ")),
                };
                self.error(
                    "unknown_key",
                    key.span(),
                    format!("unknown key '{}' in {what}", key.as_str()),
                    Some(hint),
                );
            }
        }
    }

    fn scalar<'n>(
        &mut self,
        map: &'n MarkedMappingNode,
        key: &str,
        what: &str,
    ) -> Option<&'n MarkedScalarNode> {
        let node = map.get_node(key)?;
        match node {
            Node::Scalar(s) => Some(s),
            _ => {
                self.error(
                    "wrong_type",
                    node.span(),
                    format!("'{key}' in {what} must be a single value"),
                    None,
                );
                None
            }
        }
    }

    fn number(
        &mut self,
        map: &MarkedMappingNode,
        key: &str,
        what: &str,
        range: (f32, f32),
    ) -> Option<f32> {
        let s = self.scalar(map, key, what)?;
        match s.as_str().trim().parse::<f32>() {
            Ok(v) if (range.0..=range.1).contains(&v) => Some(v),
            _ => {
                let msg = format!(
                    "'{key}' in {what} must be a number from {} to {}, not '{}'",
                    range.0,
                    range.1,
                    s.as_str()
                );
                let example = if range.1 <= 1.0 { "0.5" } else { "10" };
                let hint = format!("write a plain number, e.g. '{key}: {example}'");
                self.error("wrong_type", s.span(), msg, Some(hint));
                None
            }
        }
    }

    fn settings(&mut self, root: &MarkedMappingNode) -> Settings {
        let what = "config.yml";
        self.check_keys(root, &SETTINGS_KEYS, what);
        let mut s = Settings::default();
        if let Some(v) = self.scalar(root, "bot", what) {
            s.bot = v.as_str().to_string();
        }
        s.brand = self
            .scalar(root, "brand", what)
            .map(|v| v.as_str().to_string());
        if let Some(v) = self.scalar(root, "language", what) {
            s.language = v.as_str().to_string();
        }
        if let Some(v) = self.number(root, "min_examples", what, (0.0, 10_000.0)) {
            s.min_examples = v as usize;
        }
        if let Some(node) = root.get_node("skills") {
            s.skills = self.string_list(node, "skills");
        }
        match root.get_node("thresholds") {
            Some(Node::Mapping(t)) => {
                self.check_keys(t, &THRESHOLD_KEYS, "thresholds");
                let d = Thresholds::default();
                s.thresholds = Thresholds {
                    confidence: self
                        .number(t, "confidence", "thresholds", (0.0, 1.0))
                        .unwrap_or(d.confidence),
                    ambiguity_margin: self
                        .number(t, "ambiguity_margin", "thresholds", (0.0, 1.0))
                        .unwrap_or(d.ambiguity_margin),
                    out_of_scope: self
                        .number(t, "out_of_scope", "thresholds", (0.0, 1.0))
                        .unwrap_or(d.out_of_scope),
                };
            }
            Some(other) => self.error(
                "wrong_type",
                other.span(),
                "'thresholds' must be a mapping of names to numbers".into(),
                None,
            ),
            None => {}
        }
        s
    }

    /// A string or a list of strings.
    fn string_list(&mut self, node: &Node, key: &str) -> Vec<String> {
        self.templates(node, key)
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    fn templates(&mut self, node: &Node, key: &str) -> Vec<Template> {
        match node {
            Node::Scalar(s) => vec![Template {
                text: s.as_str().to_string(),
                location: self.at(s.span()),
            }],
            Node::Sequence(seq) => seq
                .iter()
                .filter_map(|n| match n {
                    Node::Scalar(s) => Some(Template {
                        text: s.as_str().to_string(),
                        location: self.at(s.span()),
                    }),
                    other => {
                        self.error(
                            "wrong_type",
                            other.span(),
                            format!("each item of '{key}' must be text"),
                            Some("quote it: - \"...\"".into()),
                        );
                        None
                    }
                })
                .collect(),
            Node::Mapping(m) => {
                self.error(
                    "wrong_type",
                    m.span(),
                    format!("'{key}' must be text or a list of texts"),
                    Some("a value with ': ' inside must be quoted".into()),
                );
                Vec::new()
            }
        }
    }

    fn intents(&mut self, root: &MarkedMappingNode) -> Vec<Intent> {
        self.check_keys(root, &["intents"], "an intent file");
        match root.get_node("intents") {
            Some(Node::Sequence(seq)) => seq
                .iter()
                .filter_map(|n| match n {
                    Node::Mapping(m) => self.intent(m),
                    other => {
                        self.error("wrong_type", other.span(), "each item of 'intents' must be a mapping with name, action, examples...".into(), None);
                        None
                    }
                })
                .collect(),
            Some(other) => {
                self.error("wrong_type", other.span(), "'intents' must be a list".into(), Some("start each intent with '  - name: ...'".into()));
                Vec::new()
            }
            None => {
                let span = *root.span();
                self.error("missing_field", &span, "this file has no 'intents:' list".into(), Some(format!("put settings in {SETTINGS_FILE}, intents under 'intents:'")));
                Vec::new()
            }
        }
    }

    fn intent(&mut self, m: &MarkedMappingNode) -> Option<Intent> {
        let location = self.at(m.span());
        let Some(name_node) = self.scalar(m, "name", "an intent") else {
            self.error(
                "missing_field",
                m.span(),
                "an intent without a 'name'".into(),
                Some("add 'name: snake_case_name'".into()),
            );
            return None;
        };
        let name = name_node.as_str().to_string();
        if !is_valid_name(&name) {
            self.error(
                "invalid_name",
                name_node.span(),
                format!("invalid intent name '{name}'"),
                Some("use lowercase letters, digits and '_', starting with a letter".into()),
            );
        }
        let what = format!("intent '{name}'");
        self.check_keys(m, &INTENT_KEYS, &what);
        let action = match self.scalar(m, "action", &what) {
            Some(a) => match Action::parse(a.as_str()) {
                Some(action) => action,
                None => {
                    let hint = did_you_mean(a.as_str(), &Action::NAMES).map_or_else(
                        || format!("one of: {}", Action::NAMES.join(", ")),
                        |s| format!("did you mean '{s}'?"),
                    );
                    self.error(
                        "invalid_action",
                        a.span(),
                        format!("unknown action '{}' in {what}", a.as_str()),
                        Some(hint),
                    );
                    Action::Ignore // needs nothing else: no follow-on errors
                }
            },
            None => {
                self.error(
                    "missing_field",
                    m.span(),
                    format!("{what} has no 'action'"),
                    Some(format!(
                        "add 'action:' with one of: {}",
                        Action::NAMES.join(", ")
                    )),
                );
                Action::Ignore
            }
        };
        let examples = match m.get_node("examples") {
            Some(Node::Sequence(seq)) => seq
                .iter()
                .filter_map(|n| match n {
                    Node::Scalar(s) => Some(Example { text: s.as_str().trim().to_string(), location: self.at(s.span()) }),
                    other => {
                        self.error("wrong_type", other.span(), format!("an example in {what} is not plain text"), Some("quote examples that contain ': ' or start with @, e.g. - \"@brand hi: help\"".into()));
                        None
                    }
                })
                .collect(),
            Some(other) => {
                self.error("wrong_type", other.span(), format!("'examples' in {what} must be a list"), Some("write each example on its own line starting with '- '".into()));
                Vec::new()
            }
            None => {
                self.error("missing_field", m.span(), format!("{what} has no 'examples'"), Some("add 'examples:' with at least a few messages customers write".into()));
                Vec::new()
            }
        };
        let responses = match m.get_node("responses") {
            Some(Node::Mapping(r)) => {
                self.check_keys(r, &RESPONSE_KEYS, &format!("the responses of {what}"));
                Responses {
                    public: r
                        .get_node("public")
                        .map(|n| self.templates(n, "public"))
                        .unwrap_or_default(),
                    private: r
                        .get_node("private")
                        .map(|n| self.templates(n, "private"))
                        .unwrap_or_default(),
                }
            }
            Some(other) => {
                self.error(
                    "wrong_type",
                    other.span(),
                    format!("'responses' in {what} must have 'public' and/or 'private'"),
                    None,
                );
                Responses::default()
            }
            None => Responses::default(),
        };
        Some(Intent {
            description: self
                .scalar(m, "description", &what)
                .map(|s| s.as_str().to_string()),
            skill: self
                .scalar(m, "skill", &what)
                .map(|s| s.as_str().to_string()),
            threshold: self.number(m, "threshold", &what, (0.0, 1.0)),
            name,
            action,
            examples,
            responses,
            location,
        })
    }
}

fn unreachable_top(file: &mut FileReader<'_>) -> Option<MarkedMappingNode> {
    // parse_yaml only returns mappings at the top level; kept total rather than panicking.
    let loc = Location {
        file: file.path.clone(),
        line: 1,
        column: 1,
    };
    file.diags.push(Diagnostic::error(
        "yaml_syntax",
        loc,
        "the top level must be a mapping",
    ));
    None
}

fn describe_load_error(e: &LoadError) -> (Option<(usize, usize)>, String, String) {
    let pos = |m: &marked_yaml::Marker| Some((m.line(), m.column()));
    match e {
        LoadError::ScanError(m, se) => (
            pos(m),
            format!("YAML syntax: {}", se.info()),
            "check indentation (spaces, not tabs) and quote text containing ': ', ' #' or starting with @, *, &, !".into(),
        ),
        LoadError::DuplicateKey(inner) => (
            inner.key.span().start().and_then(pos),
            format!("the key '{}' appears twice in the same mapping", inner.key.as_str()),
            "remove or rename one of them".into(),
        ),
        LoadError::TopLevelMustBeMapping(m) => (pos(m), "the top level must be a mapping".into(), "start the file with 'intents:'".into()),
        other => (None, other.to_string(), "see docs/intents.md for the format".into()),
    }
}

pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
