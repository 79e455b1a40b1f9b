//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`) in `Resource`
//! entries and condition values (policy version 2012-10-17 only).

use crate::Context;

/// One part of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// A variable: its key (lower case) and default.
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A string with policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `${…}` references; `${*}`, `${?}` and `${$}` are the literal characters.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut literal = String::new();
        while let Some(start) = rest.find("${") {
            literal.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(format!("`{text}`: `${{` without a closing `}}`"));
            };
            let inner = after[..end].trim();
            match inner {
                "*" | "?" | "$" => literal.push_str(inner),
                _ => {
                    let (key, default) = match inner.split_once(',') {
                        None => (inner, None),
                        Some((k, d)) => {
                            let d = d.trim();
                            let Some(d) = d.strip_prefix('\'').and_then(|d| d.strip_suffix('\''))
                            else {
                                return Err(format!(
                                    "`{text}`: a variable's default must be quoted: ${{key, 'default'}}"
                                ));
                            };
                            (k.trim(), Some(d.to_owned()))
                        }
                    };
                    if key.is_empty()
                        || !key.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '-' | '_' | '.')
                        })
                    {
                        return Err(format!("`{text}`: `{inner}` is not a policy variable"));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Var {
                        key: key.to_ascii_lowercase(),
                        default,
                    });
                }
            }
            rest = &after[end + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// The characters of the template with its variables replaced, each marked `true` when it
    /// came from a variable's value (and so is literal, never a wildcard). `None` when a
    /// variable has no single value in `ctx` and no default: the entry matches nothing.
    pub fn render(&self, ctx: &Context) -> Option<Vec<(char, bool)>> {
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.extend(t.chars().map(|c| (c, false))),
                Part::Var { key, default } => {
                    let value = match ctx.get(key) {
                        Some([one]) => one.as_str(),
                        Some(_) | None => default.as_deref()?,
                    };
                    out.extend(value.chars().map(|c| (c, true)));
                }
            }
        }
        Some(out)
    }

    /// The rendered text (for operators without wildcards).
    pub fn render_text(&self, ctx: &Context) -> Option<String> {
        self.render(ctx)
            .map(|v| v.into_iter().map(|(c, _)| c).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::Template;
    use crate::Context;

    #[test]
    fn variables_defaults_and_escapes() {
        let ctx = Context::new().with("aws:username", "alice");
        let t = Template::parse("arn:aws:iam::1:user/${aws:username}/${*}")
            .unwrap_or_else(|e| panic!("{e}"));
        let r = t.render_text(&ctx);
        assert_eq!(r.as_deref(), Some("arn:aws:iam::1:user/alice/*"));
        let t =
            Template::parse("${aws:PrincipalTag/team, 'none'}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.render_text(&ctx).as_deref(), Some("none"));
        let t = Template::parse("${aws:PrincipalTag/team}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.render_text(&ctx), None);
        assert!(Template::parse("${aws:username").is_err());
        assert!(Template::parse("${a b}").is_err());
        assert!(Template::parse("${k, none}").is_err());
    }
}
