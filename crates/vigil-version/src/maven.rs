//! Maven versions, ordered as maven-artifact 3.8.7's `ComparableVersion` (the implementation in
//! Debian's maven, which the differential test runs): items separated by `.` and `-`, transitions
//! between digits and letters, `-` (and a qualifier after other items) opening a sub-list, known
//! qualifiers ordered alpha < beta < milestone < rc < snapshot < "" (= ga = final = release) < sp
//! < unknown (lexical).

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// Decimal digits without leading zeros ("" is zero).
    Int(String),
    Str(String),
    List(ListItem),
}

pub(crate) type ListItem = Vec<Item>;

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_INDEX: &str = "5";

fn comparable_qualifier(q: &str) -> String {
    match QUALIFIERS.iter().position(|x| *x == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let mut v = value;
    if followed_by_digit && v.chars().count() == 1 {
        v = match v {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            other => other,
        };
    }
    let v = match v {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(v.to_owned())
}

fn parse_item(is_digit: bool, buf: &str) -> Item {
    if is_digit {
        Item::Int(buf.trim_start_matches('0').to_owned())
    } else {
        string_item(buf, false)
    }
}

fn is_null(item: &Item) -> bool {
    match item {
        Item::Int(d) => d.is_empty(),
        Item::Str(s) => comparable_qualifier(s) == RELEASE_INDEX,
        Item::List(l) => l.is_empty(),
    }
}

fn normalize(list: &mut ListItem) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if is_null(&list[i]) {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// `ComparableVersion.parseVersion`. Unlike Maven, the empty string and whitespace are errors.
/// Digits are ASCII digits (Java's `Character.isDigit` also takes other Unicode digits).
pub(crate) fn parse(s: &str) -> Result<ListItem, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("version string is empty".into());
    }
    if t.chars().any(char::is_whitespace) {
        return Err("version string has embedded whitespace".into());
    }
    let v = t.to_lowercase();
    // levels[k] is the k-th nested list; each deeper list is the last item of the one above
    let mut levels: Vec<ListItem> = vec![Vec::new()];
    let mut is_digit = false;
    let mut start = 0usize; // byte index
    fn push(levels: &mut [ListItem], item: Item) {
        if let Some(l) = levels.last_mut() {
            l.push(item);
        }
    }
    fn top_is_empty(levels: &[ListItem]) -> bool {
        levels.last().is_none_or(|l| l.is_empty())
    }
    for (i, c) in v.char_indices() {
        if c == '.' || c == '-' {
            if i == start {
                push(&mut levels, Item::Int(String::new()));
            } else {
                push(&mut levels, parse_item(is_digit, &v[start..i]));
            }
            start = i + c.len_utf8();
            if c == '-' {
                levels.push(Vec::new());
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                // a qualifier after other items starts a sub-list
                if !top_is_empty(&levels) {
                    levels.push(Vec::new());
                }
                push(&mut levels, string_item(&v[start..i], true));
                start = i;
                levels.push(Vec::new());
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                push(&mut levels, parse_item(true, &v[start..i]));
                start = i;
                levels.push(Vec::new());
            }
            is_digit = false;
        }
    }
    if v.len() > start {
        if !is_digit && !top_is_empty(&levels) {
            levels.push(Vec::new());
        }
        push(&mut levels, parse_item(is_digit, &v[start..]));
    }
    let mut child: Option<ListItem> = None;
    while let Some(mut list) = levels.pop() {
        if let Some(c) = child.take() {
            list.push(Item::List(c));
        }
        normalize(&mut list);
        child = Some(list);
    }
    Ok(child.unwrap_or_default())
}

fn cmp_int(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn cmp_item(l: &Item, r: Option<&Item>) -> Ordering {
    match (l, r) {
        (Item::Int(a), None) => {
            if a.is_empty() {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        (Item::Int(a), Some(Item::Int(b))) => cmp_int(a, b),
        (Item::Int(_), Some(_)) => Ordering::Greater,
        (Item::Str(a), None) => comparable_qualifier(a).as_str().cmp(RELEASE_INDEX),
        (Item::Str(_), Some(Item::Int(_))) => Ordering::Less,
        (Item::Str(a), Some(Item::Str(b))) => comparable_qualifier(a).cmp(&comparable_qualifier(b)),
        (Item::Str(_), Some(Item::List(_))) => Ordering::Less,
        (Item::List(a), None) => a
            .iter()
            .map(|i| cmp_item(i, None))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal),
        (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
        (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
        (Item::List(a), Some(Item::List(b))) => compare_lists(a, b),
    }
}

/// `ListItem.compareTo(ListItem)`.
pub(crate) fn compare_lists(a: &ListItem, b: &ListItem) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let r = match (a.get(i), b.get(i)) {
            (Some(l), r) => cmp_item(l, r),
            (None, Some(r)) => cmp_item(r, None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if r != Ordering::Equal {
            return r;
        }
    }
    Ordering::Equal
}

pub(crate) fn is_prerelease(list: &ListItem) -> bool {
    list.iter().any(|i| match i {
        Item::Str(s) => QUALIFIERS[..5].contains(&s.as_str()),
        Item::List(l) => is_prerelease(l),
        Item::Int(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare_lists(&parse(a).expect("a"), &parse(b).expect("b"))
    }

    #[test]
    fn orders_like_maven() {
        // from maven-artifact's ComparableVersionTest
        let ordered = [
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
            "2",
        ];
        for w in ordered.windows(2) {
            assert_eq!(cmp(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        for (a, b) in [
            ("1", "1.0.0"),
            ("1-ga", "1"),
            ("1.0-final", "1"),
            ("1-cr1", "1-rc1"),
            ("1a1", "1-alpha-1"),
            ("1.0000000000", "1"),
            ("1-release", "1"),
            ("1.0.a1", "1.0-alpha1"),
            ("1-b1", "1.0.b1"),
        ] {
            assert_eq!(cmp(a, b), Ordering::Equal, "{a} == {b}");
        }
        // a sub-list compares with "nothing" item by item, not by its first item only
        assert_eq!(cmp("1", "1-.1"), Ordering::Less);
        assert_eq!(cmp("1.a", "1m1"), Ordering::Greater);
    }
}
