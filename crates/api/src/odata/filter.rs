//! `$filter` and `$orderby`: OData's expression syntax, parsed into the domain's [`Expr`] over a
//! table's columns. Errors name the position (from 1) and what was expected there.
//!
//! The grammar taken (OData v4 URL conventions, section 5.1.1):
//! `or`, `and`, `not`, parentheses; `eq ne gt ge lt le` between a property and a literal;
//! `property in (literal, …)`; `startswith(property, 'text')`, `contains(property, 'text')`.
//! Literals: `'text'` (`''` for a quote), whole and decimal numbers, `true`, `false`, `null`,
//! dates (`2022-01-31`) and times (`2022-01-31T12:00:00Z`).

use chrono::{DateTime, NaiveDate, Utc};
use styrhub_domain::export::{CmpOp, ColumnKind, Expr, Literal, Table};

/// What is wrong, and where (1-based character position in the option's value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The position.
    pub at: usize,
    /// What is wrong there.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(String),
    Open,
    Close,
    Comma,
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, SyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                out.push((at, Tok::Open));
                i += 1;
            }
            ')' => {
                out.push((at, Tok::Close));
                i += 1;
            }
            ',' => {
                out.push((at, Tok::Comma));
                i += 1;
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(SyntaxError {
                                at,
                                message: "a text that is never closed (end it with ')".into(),
                            })
                        }
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push((at, Tok::Str(s)));
            }
            c if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '-' | ':' | '+')) {
                    i += 1;
                }
                out.push((at, Tok::Num(chars[start..i].iter().collect())));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push((at, Tok::Word(chars[start..i].iter().collect())));
            }
            other => {
                return Err(SyntaxError {
                    at,
                    message: format!("`{other}` is not part of a $filter expression"),
                })
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    table: Table,
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
    set: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(a, _)| *a)
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            at: self.at(),
            message: message.into(),
        })
    }

    fn word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    fn expect(&mut self, t: Tok, what: &str) -> Result<(), SyntaxError> {
        if self.peek() == Some(&t) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(format!("expected {what}"))
        }
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.and()?;
        while self.word("or") {
            self.pos += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.unary()?;
        while self.word("and") {
            self.pos += 1;
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if self.word("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Tok::Open) {
            self.pos += 1;
            let e = self.or()?;
            self.expect(Tok::Close, "`)`")?;
            return Ok(e);
        }
        self.primary()
    }

    fn property(&mut self) -> Result<(usize, ColumnKind), SyntaxError> {
        match self.peek().cloned() {
            Some(Tok::Word(w)) => match self.table.column(&w) {
                Some((i, c)) => {
                    self.pos += 1;
                    Ok((i, c.kind))
                }
                None => self.err(format!(
                    "`{w}` is not a property of {} ({})",
                    self.set,
                    self.table.columns().iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
                )),
            },
            _ => self.err("expected a property"),
        }
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        for f in ["startswith", "contains"] {
            if self.word(f) && self.toks.get(self.pos + 1).map(|(_, t)| t) == Some(&Tok::Open) {
                self.pos += 2;
                let (column, kind) = self.property()?;
                if kind != ColumnKind::Text {
                    return self.err(format!("{f} takes a text property"));
                }
                self.expect(Tok::Comma, "`,`")?;
                let value = match self.peek().cloned() {
                    Some(Tok::Str(s)) => {
                        self.pos += 1;
                        s
                    }
                    _ => return self.err("expected a text in quotes, e.g. 'N00'"),
                };
                self.expect(Tok::Close, "`)`")?;
                return Ok(if f == "startswith" {
                    Expr::StartsWith { column, value }
                } else {
                    Expr::Contains { column, value }
                });
            }
        }
        let (column, kind) = self.property()?;
        let op = match self.peek() {
            Some(Tok::Word(w)) => match w.as_str() {
                "eq" => Some(CmpOp::Eq),
                "ne" => Some(CmpOp::Ne),
                "gt" => Some(CmpOp::Gt),
                "ge" => Some(CmpOp::Ge),
                "lt" => Some(CmpOp::Lt),
                "le" => Some(CmpOp::Le),
                "in" => None,
                other => return self.err(format!("`{other}` is not a comparison (eq, ne, gt, ge, lt, le, in)")),
            },
            _ => return self.err("expected a comparison (eq, ne, gt, ge, lt, le, in)"),
        };
        self.pos += 1;
        match op {
            Some(op) => Ok(Expr::Cmp {
                column,
                op,
                value: self.literal(kind)?,
            }),
            None => {
                self.expect(Tok::Open, "`(` after in")?;
                let mut values = vec![self.literal(kind)?];
                while self.peek() == Some(&Tok::Comma) {
                    self.pos += 1;
                    values.push(self.literal(kind)?);
                }
                self.expect(Tok::Close, "`)`")?;
                Ok(Expr::In { column, values })
            }
        }
    }

    /// A literal of the property's kind.
    fn literal(&mut self, kind: ColumnKind) -> Result<Literal, SyntaxError> {
        let tok = self.peek().cloned();
        let wrong = |this: &Self, what: &str| this.err::<Literal>(format!("expected {what}"));
        let lit = match (kind, tok) {
            (_, Some(Tok::Word(w))) if w == "null" => Literal::Null,
            (ColumnKind::Text, Some(Tok::Str(s))) => Literal::Text(s),
            (ColumnKind::Text, _) => return wrong(self, "a text in quotes, e.g. 'N00090'"),
            (ColumnKind::Bool, Some(Tok::Word(w))) if w == "true" || w == "false" => Literal::Bool(w == "true"),
            (ColumnKind::Bool, _) => return wrong(self, "true or false"),
            (ColumnKind::Int, Some(Tok::Num(n))) => match n.parse::<i64>() {
                Ok(v) => Literal::Int(v),
                Err(_) => return wrong(self, "a whole number"),
            },
            (ColumnKind::Int, _) => return wrong(self, "a whole number"),
            (ColumnKind::Num, Some(Tok::Num(n))) => match n.parse::<f64>() {
                Ok(v) if v.is_finite() => Literal::Num(v),
                _ => return wrong(self, "a number"),
            },
            (ColumnKind::Num, _) => return wrong(self, "a number"),
            (ColumnKind::Date, Some(Tok::Num(n))) => match NaiveDate::parse_from_str(&n, "%Y-%m-%d") {
                Ok(d) => Literal::Date(d),
                Err(_) => return wrong(self, "a date, e.g. 2022-01-31"),
            },
            (ColumnKind::Date, _) => return wrong(self, "a date, e.g. 2022-01-31"),
            (ColumnKind::Timestamp, Some(Tok::Num(n))) => match DateTime::parse_from_rfc3339(&n) {
                Ok(t) => Literal::Timestamp(t.with_timezone(&Utc)),
                Err(_) => return wrong(self, "a time, e.g. 2022-01-31T12:00:00Z"),
            },
            (ColumnKind::Timestamp, _) => return wrong(self, "a time, e.g. 2022-01-31T12:00:00Z"),
        };
        self.pos += 1;
        Ok(lit)
    }
}

/// Parses `$filter` over `table` (entity set `set`).
pub fn parse_filter(table: Table, set: &str, src: &str) -> Result<Expr, SyntaxError> {
    let toks = lex(src)?;
    let mut p = Parser {
        table,
        toks,
        pos: 0,
        end: src.chars().count() + 1,
        set,
    };
    if p.peek().is_none() {
        return p.err("an empty $filter");
    }
    let e = p.or()?;
    if p.peek().is_some() {
        return p.err("expected and, or, or the end");
    }
    Ok(e)
}

/// Parses `$orderby`: `property [asc|desc], …`.
pub fn parse_orderby(table: Table, set: &str, src: &str) -> Result<Vec<(usize, bool)>, SyntaxError> {
    let mut out = Vec::new();
    let mut at = 1;
    for part in src.split(',') {
        let words: Vec<&str> = part.split_whitespace().collect();
        let start = at;
        // Point at the property, past the spaces before it.
        let here = at + part.chars().take_while(|c| c.is_whitespace()).count();
        let desc = match words.as_slice() {
            [_] => false,
            [_, "asc"] => false,
            [_, "desc"] => true,
            _ => {
                return Err(SyntaxError {
                    at: here,
                    message: format!("`{}` is not `property`, `property asc` or `property desc`", part.trim()),
                })
            }
        };
        let (i, _) = table.column(words[0]).ok_or_else(|| SyntaxError {
            at: here,
            message: format!("`{}` is not a property of {set}", words[0]),
        })?;
        out.push((i, desc));
        at = start + part.chars().count() + 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(src: &str) -> Result<Expr, SyntaxError> {
        parse_filter(Table::Observations, "Observations", src)
    }

    #[test]
    fn comparisons_combine_with_and_or_not_and_parentheses() {
        let e = f("kpi eq 'N00090' and (period ge 2020 or not (value lt 5.5))").unwrap();
        let Expr::And(a, b) = e else { panic!("{e:?}") };
        assert_eq!(
            *a,
            Expr::Cmp {
                column: 1,
                op: CmpOp::Eq,
                value: Literal::Text("N00090".into())
            }
        );
        assert!(matches!(*b, Expr::Or(_, _)));
        assert_eq!(
            f("area in ('1489', '0000')").unwrap(),
            Expr::In {
                column: 3,
                values: vec![Literal::Text("1489".into()), Literal::Text("0000".into())]
            }
        );
        assert_eq!(
            f("contains(kpi,'O''B')").unwrap(),
            Expr::Contains {
                column: 1,
                value: "O'B".into()
            }
        );
        assert_eq!(
            f("value eq null").unwrap(),
            Expr::Cmp {
                column: 6,
                op: CmpOp::Eq,
                value: Literal::Null
            }
        );
        assert_eq!(
            f("period gt -5").unwrap(),
            Expr::Cmp {
                column: 4,
                op: CmpOp::Gt,
                value: Literal::Int(-5)
            }
        );
    }

    #[test]
    fn errors_name_the_position_and_what_was_expected() {
        let e = f("kpi eq 'N00090' and peroid ge 2020").unwrap_err();
        assert_eq!(e.at, 21);
        assert!(e.message.contains("`peroid` is not a property of Observations"), "{e:?}");
        assert_eq!(f("period eq 'x'").unwrap_err().message, "expected a whole number");
        assert_eq!(f("period like 3").unwrap_err().at, 8);
        assert_eq!(f("kpi eq 'N0").unwrap_err().at, 8);
        assert_eq!(f("(period eq 3").unwrap_err().message, "expected `)`");
        assert!(f("period eq 3 period").is_err());
        assert!(f("").is_err());
        assert!(f("period eq 3;").is_err());
    }

    #[test]
    fn orderby_takes_properties_and_directions() {
        assert_eq!(
            parse_orderby(Table::Observations, "Observations", "period desc, area").unwrap(),
            vec![(4, true), (3, false)]
        );
        assert_eq!(
            parse_orderby(Table::Observations, "Observations", "period, nope").unwrap_err().at,
            9
        );
        assert!(parse_orderby(Table::Observations, "Observations", "period sideways").is_err());
    }
}
