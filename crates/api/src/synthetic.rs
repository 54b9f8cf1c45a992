//! A synthetic municipality of any size, for the benchmark and the statement-count tests: a
//! council with committees, a goal tree, indicators with targets relative to the whole
//! country, and values for a run of years. Deterministic: the same sizes give the same data.

use std::fmt::Write;

use styrhub_domain::package::{parse_observations_csv, Package, PackageError, ValidPackage, OBSERVATION_COLUMNS};

/// How big the synthetic municipality is.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Goals in all: a tenth are council goals, the rest committee goals under them.
    pub goals: usize,
    /// Indicators per goal.
    pub indicators_per_goal: usize,
    /// Years of values, ending 2023.
    pub years: i32,
}

/// The code of the synthetic municipality.
pub const CODE: &str = "9999";

/// The goal → indicators → latest value → status → targets tree, as BI tools ask for it: the
/// query whose statements the tests count and whose latency the benchmark measures (`$m`: the
/// municipality's code).
pub const TREE_QUERY: &str = r#"
query Tree($m: String!) {
  goals(municipality: $m, first: 1000) {
    totalCount
    nodes {
      id title kind
      indicators {
        id title
        latestValue { period value source }
        status { status explanation trend { kind } }
        targets { kind comparison referenceArea }
      }
    }
  }
}"#;

/// Builds the package: TOML text through the same parser and validation as `demo/`.
pub fn package(size: Size) -> Result<ValidPackage, PackageError> {
    let mut t = String::new();
    let council_goals = (size.goals / 10).max(1);
    let committees = 8;
    t.push_str("[municipality]\ncode = \"9999\"\nname = \"Syntetisk kommun\"\n\n");
    t.push_str("[[org_units]]\nkey = \"kf\"\nname = \"Kommunfullmäktige\"\nkind = \"council\"\n\n");
    for c in 0..committees {
        let _ = write!(
            t,
            "[[org_units]]\nkey = \"n{c}\"\nname = \"Nämnd {c}\"\nkind = \"committee\"\nparent = \"kf\"\n\n"
        );
    }
    t.push_str(
        "[[governance_models]]\nkey = \"m\"\nname = \"Styrmodell\"\nvalid_from = \"2010-01-01\"\n\
         quality_indicators_have_targets = true\npolitical_directions_followed_up = true\n\n\
         [[governance_models.levels]]\norg_kind = \"council\"\ngoal_kinds = [\"council_goal\"]\n\n\
         [[governance_models.levels]]\norg_kind = \"committee\"\ngoal_kinds = [\"committee_goal\"]\n\n",
    );
    t.push_str("[[visions]]\nkey = \"v\"\ntitle = \"Vision\"\nstatement = \"En vision.\"\n\n");
    for f in 0..5 {
        let _ = write!(
            t,
            "[[focus_areas]]\nkey = \"f{f}\"\nvision = \"v\"\ntitle = \"Fokusområde {f}\"\nposition = {f}\n\n"
        );
    }
    for g in 0..size.goals {
        let (kind, owner, parent, focus) = if g < council_goals {
            (
                "council_goal",
                "kf".to_owned(),
                String::new(),
                format!("focus_area = \"f{}\"\n", g % 5),
            )
        } else {
            (
                "committee_goal",
                format!("n{}", g % committees),
                format!("\"g{}\"", g % council_goals),
                String::new(),
            )
        };
        let _ = write!(
            t,
            "[[goals]]\nkey = \"g{g}\"\ntitle = \"Mål {g}\"\nkind = \"{kind}\"\nowner = \"{owner}\"\ngovernance_model = \"m\"\n\
             valid_from = \"2015-01-01\"\n{focus}parents = [{parent}]\nposition = {g}\n\n"
        );
        for i in 0..size.indicators_per_goal {
            let desired = if i % 2 == 0 { "ska öka" } else { "ska minska" };
            let _ = write!(
                t,
                "[[indicators]]\nkey = \"i{g}-{i}\"\ntitle = \"Indikator {g}.{i}\"\nkind = \"goal_indicator\"\nunit = \"andel %\"\n\
                 desired = \"{desired}\"\ngoals = [\"g{g}\"]\nposition = {i}\n\n"
            );
            let comparison = if i % 2 == 0 { "above" } else { "below" };
            let _ = write!(
                t,
                "[[targets]]\nindicator = \"i{g}-{i}\"\narea = \"9999\"\nperiod_from = 2015\nkind = \"relative\"\n\
                 comparison = \"{comparison}\"\nreference_area = \"0000\"\n\n"
            );
        }
    }
    let mut csv = OBSERVATION_COLUMNS.join(",");
    csv.push('\n');
    for g in 0..size.goals {
        for i in 0..size.indicators_per_goal {
            for y in (2024 - size.years)..2024 {
                // Cheap, deterministic wiggle: no randomness needed to exercise the rules.
                let base = 50.0 + ((g * 7 + i * 13) % 40) as f64;
                let local = base + ((y as usize * 3 + g + i) % 11) as f64 * 0.7;
                let national = base + ((y as usize * 5 + i) % 9) as f64 * 0.6;
                let _ = writeln!(csv, "i{g}-{i},,9999,{y},T,{local:.1},,example");
                let _ = writeln!(csv, "i{g}-{i},,0000,{y},T,{national:.1},,example");
            }
        }
    }
    let mut package = Package::parse(&[("synthetic.toml".into(), t)], None)?;
    package.observations = parse_observations_csv(&csv).map_err(|message| PackageError::Parse {
        path: "synthetic observations".into(),
        message,
    })?;
    package.validate()
}
