//! The wildcards of IAM policies: `*` (any run of characters) and `?` (any one character).
//!
//! Three flavours, as IAM has them:
//! - actions (`inspector2:List*`): case-insensitive, over the whole string;
//! - `StringLike` values: case-sensitive, over the whole string;
//! - resource ARNs (`Resource`, `ArnLike`): case-sensitive and matched segment by segment
//!   (the parts between colons): a wildcard stays inside its segment, except a `*` that ends
//!   a segment, which may run on across colons (IAM's documented rule).

/// One piece of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Char(char),
    /// `?`: one character (not a colon when segments are kept).
    One,
    /// `*`: any run of characters; `cross` when it may include colons.
    Star {
        cross: bool,
    },
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pieces: Vec<Piece>,
    fold_case: bool,
    /// `?` and non-crossing `*` stop at colons.
    segments: bool,
}

impl Glob {
    /// An action pattern: case-insensitive, `*` and `?` match anything.
    pub fn action(pattern: &str) -> Glob {
        Glob::compile(pattern, true, false)
    }

    /// A `StringLike` pattern: case-sensitive, `*` and `?` match anything.
    pub fn string(pattern: &str) -> Glob {
        Glob::compile(pattern, false, false)
    }

    /// An ARN pattern (`Resource`, `ArnLike`): case-sensitive, segment-wise.
    pub fn arn(pattern: &str) -> Glob {
        Glob::compile(pattern, false, true)
    }

    fn compile(pattern: &str, fold_case: bool, segments: bool) -> Glob {
        let chars: Vec<(char, bool)> = pattern.chars().map(|c| (c, false)).collect();
        Glob::compile_marked(&chars, fold_case, segments)
    }

    /// Compiles a pattern whose characters marked `true` are literal (values substituted for
    /// policy variables: a `*` in a tag value is a star, not a wildcard).
    pub(crate) fn compile_marked(chars: &[(char, bool)], fold_case: bool, segments: bool) -> Glob {
        let mut pieces: Vec<Piece> = Vec::with_capacity(chars.len());
        for (i, (c, literal)) in chars.iter().enumerate() {
            let piece = match c {
                c if *literal && fold_case => Piece::Char(c.to_ascii_lowercase()),
                c if *literal => Piece::Char(*c),
                '*' => Piece::Star {
                    // a `*` that ends a segment (or the pattern) runs on across colons
                    cross: !segments || chars.get(i + 1).is_none_or(|(n, _)| *n == ':'),
                },
                '?' => Piece::One,
                c if fold_case => Piece::Char(c.to_ascii_lowercase()),
                c => Piece::Char(*c),
            };
            // `**` is one star (crossing if either would)
            if let (Piece::Star { cross }, Some(Piece::Star { cross: last })) =
                (&piece, pieces.last_mut())
            {
                *last |= *cross;
                continue;
            }
            pieces.push(piece);
        }
        Glob {
            pieces,
            fold_case,
            segments,
        }
    }

    /// Does the pattern match all of `text`?
    pub fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = if self.fold_case {
            text.chars().map(|c| c.to_ascii_lowercase()).collect()
        } else {
            text.chars().collect()
        };
        // the set of text positions reachable after each piece: O(pieces x text), exact
        // for stars of both kinds (a backtracking matcher that only returns to the last star
        // would miss matches where an earlier, colon-crossing star must take more)
        let n = text.len();
        let mut reach = vec![false; n + 1];
        reach[0] = true;
        let mut next = vec![false; n + 1];
        for piece in &self.pieces {
            next.iter_mut().for_each(|x| *x = false);
            match piece {
                Piece::Char(c) => {
                    for t in 0..n {
                        next[t + 1] = reach[t] && text[t] == *c;
                    }
                }
                Piece::One => {
                    for t in 0..n {
                        next[t + 1] = reach[t] && !(self.segments && text[t] == ':');
                    }
                }
                Piece::Star { cross } => {
                    let mut on = false;
                    for t in 0..=n {
                        on = reach[t] || (on && t > 0 && (*cross || text[t - 1] != ':'));
                        next[t] = on;
                    }
                }
            }
            std::mem::swap(&mut reach, &mut next);
            if !reach.iter().any(|x| *x) {
                return false;
            }
        }
        reach[n]
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn actions_fold_case_and_match_whole() {
        let g = Glob::action("inspector2:List*");
        assert!(g.matches("inspector2:ListFindings"));
        assert!(g.matches("Inspector2:listfindings"));
        assert!(!g.matches("inspector2:GetFindingsReportStatus"));
        assert!(!g.matches("xinspector2:ListFindings"));
        assert!(Glob::action("*").matches("anything:AtAll"));
        assert!(Glob::action("inspector2:?et*").matches("inspector2:GetMember"));
        assert!(!Glob::action("inspector2:?et").matches("inspector2:GetMember"));
    }

    #[test]
    fn strings_are_case_sensitive() {
        let g = Glob::string("team-*");
        assert!(g.matches("team-a"));
        assert!(g.matches("team-"));
        assert!(!g.matches("Team-a"));
        assert!(Glob::string("a*b*c").matches("aXbYbZc"));
        assert!(!Glob::string("a*b*c").matches("aXbYbZ"));
        assert!(Glob::string("").matches(""));
        assert!(!Glob::string("").matches("x"));
    }

    #[test]
    fn arn_wildcards_stay_in_their_segment_unless_they_end_it() {
        // a star inside a segment stops at colons
        let g = Glob::arn("arn:aws:inspector2:us-*-1:111122223333:finding/*");
        assert!(g.matches("arn:aws:inspector2:us-east-1:111122223333:finding/abc"));
        assert!(!g.matches("arn:aws:inspector2:us-east:x-1:111122223333:finding/abc"));
        // the star ending the last segment takes slashes and colons
        assert!(g.matches("arn:aws:inspector2:us-east-1:111122223333:finding/a:b/c"));
        // a star ending a segment may run across colons (IAM's rule)
        let g = Glob::arn("arn:aws:inspector2:*:111122223333:*");
        assert!(g.matches("arn:aws:inspector2:eu-west-1:111122223333:finding/x"));
        assert!(Glob::arn("arn:aws:s3:::bucket/*").matches("arn:aws:s3:::bucket/a/b"));
        assert!(!Glob::arn("arn:aws:s3:::bucket/*").matches("arn:aws:s3:::other/a"));
        // `?` is one character within a segment
        assert!(Glob::arn("arn:aws:ec2:us-east-?:*").matches("arn:aws:ec2:us-east-1:1:i"));
        assert!(!Glob::arn("arn:aws:ec2:us-east?1:*").matches("arn:aws:ec2:us-east:1:i"));
        assert!(Glob::arn("*").matches("arn:aws:anything:at:all"));
    }

    #[test]
    fn pathological_patterns_stay_linear_enough() {
        let text = "a".repeat(2000);
        let g = Glob::string(&format!("{}b", "*a".repeat(50)));
        assert!(!g.matches(&text));
    }
}
