//! The `pattern` keyword of the X OpenAPI spec: a small regular-expression matcher for the
//! subset it uses (anchors, classes, groups with `|`, quantifiers). Anything else panics, so an
//! unknown pattern fails the test instead of passing unchecked.

use std::collections::BTreeSet;

#[derive(Debug)]
enum Atom {
    Char(char),
    /// Ranges, negated.
    Class(Vec<(char, char)>, bool),
    Group(Vec<Vec<Item>>),
}

#[derive(Debug)]
struct Item {
    atom: Atom,
    min: usize,
    max: Option<usize>,
}

/// Whether all of `input` matches `pattern` (which must be anchored with `^...$`).
pub fn full_match(pattern: &str, input: &str) -> bool {
    let body = pattern
        .strip_prefix('^')
        .and_then(|p| p.strip_suffix('$'))
        .unwrap_or_else(|| panic!("unanchored pattern {pattern:?}"));
    let chars: Vec<char> = body.chars().collect();
    let mut pos = 0;
    let alts = parse_alts(&chars, &mut pos, pattern);
    assert_eq!(pos, chars.len(), "unbalanced pattern {pattern:?}");
    let input: Vec<char> = input.chars().collect();
    alts.iter()
        .any(|seq| ends(seq, &input, 0).contains(&input.len()))
}

fn parse_alts(p: &[char], pos: &mut usize, src: &str) -> Vec<Vec<Item>> {
    let mut alts = vec![Vec::new()];
    while let Some(&c) = p.get(*pos) {
        let atom = match c {
            ')' => break,
            '|' => {
                *pos += 1;
                alts.push(Vec::new());
                continue;
            }
            '(' => {
                assert_ne!(p.get(*pos + 1), Some(&'?'), "lookaround in {src:?}");
                *pos += 1;
                let inner = parse_alts(p, pos, src);
                assert_eq!(p.get(*pos), Some(&')'), "unclosed group in {src:?}");
                *pos += 1;
                Atom::Group(inner)
            }
            '[' => parse_class(p, pos, src),
            '\\' => {
                let e = *p.get(*pos + 1).expect("escape at the end");
                *pos += 2;
                escape(e)
            }
            '.' | '^' | '$' => panic!("unsupported {c:?} in {src:?}"),
            _ => {
                *pos += 1;
                Atom::Char(c)
            }
        };
        let (min, max) = quantifier(p, pos, src);
        alts.last_mut()
            .expect("one alternative at least")
            .push(Item { atom, min, max });
    }
    alts
}

fn escape(e: char) -> Atom {
    let space = vec![(' ', ' '), ('\t', '\r')];
    match e {
        'd' => Atom::Class(vec![('0', '9')], false),
        's' => Atom::Class(space, false),
        'S' => Atom::Class(space, true),
        'w' => Atom::Class(vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')], false),
        other => Atom::Char(other),
    }
}

fn parse_class(p: &[char], pos: &mut usize, src: &str) -> Atom {
    *pos += 1;
    let negated = p.get(*pos) == Some(&'^');
    if negated {
        *pos += 1;
    }
    let mut ranges = Vec::new();
    loop {
        let c = *p
            .get(*pos)
            .unwrap_or_else(|| panic!("unclosed class in {src:?}"));
        *pos += 1;
        match c {
            ']' => break,
            '\\' => {
                let e = p[*pos];
                *pos += 1;
                match escape(e) {
                    Atom::Char(x) => ranges.push((x, x)),
                    Atom::Class(r, false) => ranges.extend(r),
                    _ => panic!("negated escape inside a class in {src:?}"),
                }
            }
            _ if p.get(*pos) == Some(&'-') && p.get(*pos + 1).is_some_and(|n| *n != ']') => {
                ranges.push((c, p[*pos + 1]));
                *pos += 2;
            }
            _ => ranges.push((c, c)),
        }
    }
    Atom::Class(ranges, negated)
}

fn quantifier(p: &[char], pos: &mut usize, src: &str) -> (usize, Option<usize>) {
    match p.get(*pos) {
        Some('+') => {
            *pos += 1;
            (1, None)
        }
        Some('*') => {
            *pos += 1;
            (0, None)
        }
        Some('?') => {
            *pos += 1;
            (0, Some(1))
        }
        Some('{') => {
            let close = p[*pos..]
                .iter()
                .position(|c| *c == '}')
                .unwrap_or_else(|| panic!("unclosed quantifier in {src:?}"));
            let inner: String = p[*pos + 1..*pos + close].iter().collect();
            *pos += close + 1;
            let num = |s: &str| s.trim().parse::<usize>().expect("a number in a quantifier");
            match inner.split_once(',') {
                None => (num(&inner), Some(num(&inner))),
                Some((a, "")) => (num(a), None),
                Some((a, b)) => (num(a), Some(num(b))),
            }
        }
        _ => (1, Some(1)),
    }
}

/// Every position reachable after matching `seq` from `start`.
fn ends(seq: &[Item], input: &[char], start: usize) -> BTreeSet<usize> {
    let mut here = BTreeSet::from([start]);
    for item in seq {
        let mut reached = BTreeSet::new();
        let mut frontier = here.clone();
        if item.min == 0 {
            reached.extend(frontier.iter().copied());
        }
        let mut rep = 0;
        while !frontier.is_empty() && item.max.is_none_or(|m| rep < m) && rep <= input.len() {
            rep += 1;
            let mut next = BTreeSet::new();
            for p in &frontier {
                next.extend(atom_ends(&item.atom, input, *p));
            }
            if rep >= item.min {
                reached.extend(next.iter().copied());
            }
            frontier = next;
        }
        here = reached;
    }
    here
}

fn atom_ends(atom: &Atom, input: &[char], p: usize) -> BTreeSet<usize> {
    match atom {
        Atom::Group(alts) => alts.iter().flat_map(|a| ends(a, input, p)).collect(),
        Atom::Char(c) => input
            .get(p)
            .filter(|x| *x == c)
            .map(|_| p + 1)
            .into_iter()
            .collect(),
        Atom::Class(ranges, negated) => input
            .get(p)
            .filter(|x| ranges.iter().any(|(a, b)| (a..=b).contains(x)) != *negated)
            .map(|_| p + 1)
            .into_iter()
            .collect(),
    }
}

#[test]
fn the_pattern_matcher_knows_the_patterns_of_the_x_spec() {
    assert!(full_match("^[0-9]{1,19}$", "1445880548472328192"));
    assert!(!full_match("^[0-9]{1,19}$", "14458805484723281920"));
    assert!(!full_match("^[0-9]{1,19}$", ""));
    assert!(!full_match("^[0-9]{1,19}$", "12a"));
    assert!(full_match("^[1-9][0-9]{0,18}$", "7"));
    assert!(!full_match("^[1-9][0-9]{0,18}$", "07"));
    let dm = "^([0-9]{1,19}-[0-9]{1,19}|[0-9]{15,19})$";
    assert!(full_match(dm, "1234567890-9876543210"));
    assert!(full_match(dm, "123456789012345"));
    assert!(!full_match(dm, "12345"));
    assert!(full_match("^[A-Za-z0-9+/=_-]+$", "ab-_+/="));
    assert!(!full_match("^[A-Za-z0-9+/=_-]+$", "a b"));
    assert!(full_match("^([0-9]+)_([0-9]+)$", "3_1303848070984024065"));
}
