//! `styrhub group save|list`: comparison groups from the command line, where whoever runs the
//! binary against the database is trusted (the audit log names them `cli`).

use anyhow::Context;
use styrhub_domain::access::Author;
use styrhub_domain::area_group::{GroupDefinition, MemberSpec};
use styrhub_domain::ports::{MetadataWriter, SeriesReader};
use styrhub_store::Store;

use crate::config::GroupCommand;

/// Runs a `group` command.
pub async fn run(store: &Store, cmd: GroupCommand) -> anyhow::Result<()> {
    match cmd {
        GroupCommand::Save(args) => {
            let def = GroupDefinition {
                municipality: args.municipality.trim().to_owned(),
                key: args.key,
                title: args.title,
                valid_from: args.from,
                valid_to: args.to,
                members: parse_members(&args.members)?,
            };
            if let Err(e) = def.check() {
                let flag = match e.field.as_str() {
                    "valid_from" => "from",
                    other => other,
                };
                anyhow::bail!("--{flag}: {}", e.message);
            }
            let saved = store
                .define_group(&Author::system("cli"), &def)
                .await
                .with_context(|| format!("cannot save the group {}", def.code()))?;
            println!("saved {} `{}` with {} membership(s)", saved.code, saved.title, saved.members.len());
            Ok(())
        }
        GroupCommand::List(args) => {
            for g in store.area_groups(args.municipality.as_deref().map(str::trim)).await? {
                let members: Vec<String> = g
                    .members
                    .iter()
                    .map(|m| match (m.valid_from, m.valid_to) {
                        (0, None) => m.member.clone(),
                        (from, to) => format!(
                            "{}:{}-{}",
                            m.member,
                            if from > 0 { from.to_string() } else { String::new() },
                            to.map(|t| t.to_string()).unwrap_or_default()
                        ),
                    })
                    .collect();
                println!("{}\t{}\t{}\t{}", g.code, g.source.as_str(), g.title, members.join(","));
            }
            Ok(())
        }
    }
}

/// `1440,1401:2019-,1463:2015-2020`: members, each for all the group's years or for its own.
pub fn parse_members(raw: &str) -> anyhow::Result<Vec<MemberSpec>> {
    let year = |s: &str, item: &str| -> anyhow::Result<Option<i32>> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<i32>()
            .map(Some)
            .with_context(|| format!("--members: `{item}`: `{s}` is not a year"))
    };
    raw.split(',')
        .map(str::trim)
        .map(|item| {
            if item.is_empty() {
                anyhow::bail!("--members: an empty member (two commas, or a comma at the end)");
            }
            let (area, years) = item.split_once(':').unwrap_or((item, ""));
            let (from, to) = if years.is_empty() {
                (None, None)
            } else {
                let (f, t) = years
                    .split_once('-')
                    .with_context(|| format!("--members: `{item}`: give the years as FROM-TO, FROM- or -TO"))?;
                (year(f, item)?, year(t, item)?)
            };
            Ok(MemberSpec {
                area: area.to_owned(),
                from,
                to,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_codes_with_optional_years() {
        let m = parse_members("1440, 1401:2019-,1463:2015-2020,1487:-2018").unwrap();
        let spans: Vec<(&str, Option<i32>, Option<i32>)> = m.iter().map(|m| (m.area.as_str(), m.from, m.to)).collect();
        assert_eq!(
            spans,
            vec![
                ("1440", None, None),
                ("1401", Some(2019), None),
                ("1463", Some(2015), Some(2020)),
                ("1487", None, Some(2018))
            ]
        );
        for bad in ["1440,,1441", "1401:2019", "1401:x-"] {
            assert!(parse_members(bad).is_err(), "{bad}");
        }
    }
}
