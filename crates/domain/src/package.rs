//! The municipality package: a municipality's governance chain as readable files (TOML plus
//! an `observations.csv`), as shipped under `demo/` and documented in `demo/README.md`.
//!
//! Parsing checks each field's shape (serde names the file, line and field); [`Package::validate`]
//! then checks what spans entries: that every key is unique and every reference resolves, that
//! the goal hierarchy and the organisation tree have no cycles, and that goals, targets and
//! follow-ups obey the municipality's governance model.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::assignment::AssignmentStatus;
use crate::budget::BudgetKind;
use crate::follow_up::{Assessment, FollowUpKind};
use crate::goal::GoalKind;
use crate::governance_model::{CalendarEvent, FollowUpRule, GoalLevel, GovernanceRules};
use crate::ids::{AreaCode, DateRange, Gender, KpiId, Year};
use crate::indicator::{parse_desired_direction, DesiredDirection, IndicatorKind};
use crate::observation::ValueSource;
use crate::org_unit::OrgUnitKind;
use crate::rules::validate::{self, Finding, Severity};
use crate::target::TargetRule;

/// `[municipality]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MunicipalityDef {
    /// Kolada/SCB code.
    pub code: AreaCode,
    /// Name.
    pub name: String,
}

/// `[[org_units]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgUnitDef {
    /// Natural key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Abbreviation.
    pub short_name: Option<String>,
    /// Kind.
    pub kind: OrgUnitKind,
    /// Parent key; `None` = the municipality root.
    pub parent: Option<String>,
    /// Kolada OU id.
    pub kolada_ou_id: Option<String>,
}

/// `[[governance_models]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceModelDef {
    /// Natural key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Decision reference.
    pub decision: Option<String>,
    /// Summary.
    pub description: Option<String>,
    /// First day in force.
    pub valid_from: NaiveDate,
    /// Last day in force.
    pub valid_to: Option<NaiveDate>,
    /// See [`GovernanceRules::quality_indicators_have_targets`].
    pub quality_indicators_have_targets: bool,
    /// See [`GovernanceRules::political_directions_followed_up`].
    pub political_directions_followed_up: bool,
    /// The chain of plans.
    #[serde(default)]
    pub plans: Vec<String>,
    /// Goal-setting levels.
    #[serde(default)]
    pub levels: Vec<GoalLevel>,
    /// Reports.
    #[serde(default)]
    pub follow_ups: Vec<FollowUpRule>,
    /// Other årshjul events.
    #[serde(default)]
    pub calendar: Vec<CalendarEvent>,
}

impl GovernanceModelDef {
    /// The rules part of the model.
    pub fn rules(&self) -> GovernanceRules {
        GovernanceRules {
            levels: self.levels.clone(),
            quality_indicators_have_targets: self.quality_indicators_have_targets,
            political_directions_followed_up: self.political_directions_followed_up,
            plans: self.plans.clone(),
            follow_ups: self.follow_ups.clone(),
            calendar: self.calendar.clone(),
        }
    }
}

/// `[[visions]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisionDef {
    /// Natural key.
    pub key: String,
    /// Title.
    pub title: String,
    /// Statement.
    pub statement: String,
    /// Horizon year.
    pub horizon_year: Option<i32>,
    /// Values.
    #[serde(default)]
    pub values: Vec<String>,
}

/// `[[focus_areas]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FocusAreaDef {
    /// Natural key.
    pub key: String,
    /// Vision key.
    pub vision: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Order.
    #[serde(default)]
    pub position: i32,
}

/// `[[goals]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalDef {
    /// Natural key.
    pub key: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: GoalKind,
    /// Owner org unit key.
    pub owner: String,
    /// Governance model key.
    pub governance_model: String,
    /// First day in force.
    pub valid_from: NaiveDate,
    /// Last day in force.
    pub valid_to: Option<NaiveDate>,
    /// Focus area key.
    pub focus_area: Option<String>,
    /// Parent goal keys.
    #[serde(default)]
    pub parents: Vec<String>,
    /// Agenda 2030 goals.
    #[serde(default)]
    pub agenda2030: Vec<u8>,
    /// Decision reference.
    pub decision: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Order.
    #[serde(default)]
    pub position: i32,
}

/// `[[indicators]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDef {
    /// Natural key.
    pub key: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: IndicatorKind,
    /// Unit as written.
    pub unit: Option<String>,
    /// The Swedish phrase of the desired direction.
    pub desired: Option<String>,
    /// Kolada KPI.
    pub kpi: Option<KpiId>,
    /// Goal keys.
    #[serde(default)]
    pub goals: Vec<String>,
    /// Quality factor keys.
    #[serde(default)]
    pub quality_factors: Vec<String>,
    /// Owner org unit key.
    pub owner: Option<String>,
    /// Order.
    #[serde(default)]
    pub position: i32,
}

/// `[[targets]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetDef {
    /// Indicator key.
    pub indicator: String,
    /// Area.
    pub area: AreaCode,
    /// First year.
    pub period_from: i32,
    /// Last year.
    pub period_to: Option<i32>,
    /// absolute | direction | relative.
    pub kind: String,
    /// The comparison word.
    pub comparison: String,
    /// Absolute value.
    pub value: Option<f64>,
    /// Reference area.
    pub reference_area: Option<String>,
    /// The phrase as written.
    pub note: Option<String>,
}

/// `[[political_directions]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliticalDirectionDef {
    /// Natural key.
    pub key: String,
    /// Org unit key.
    pub org_unit: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// First day.
    pub valid_from: NaiveDate,
    /// Last day.
    pub valid_to: Option<NaiveDate>,
    /// Followed up; `None` = the model's default.
    pub followed_up: Option<bool>,
}

/// `[[basic_missions]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicMissionDef {
    /// Natural key.
    pub key: String,
    /// Org unit key.
    pub org_unit: String,
    /// Purpose.
    pub purpose: String,
    /// Target groups.
    #[serde(default)]
    pub target_groups: Vec<String>,
    /// Governing documents.
    #[serde(default)]
    pub governing_documents: Vec<String>,
    /// Risks.
    #[serde(default)]
    pub risks: Vec<String>,
}

/// `[[quality_factors]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityFactorDef {
    /// Natural key.
    pub key: String,
    /// Org unit key.
    pub org_unit: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Basic mission key.
    pub basic_mission: Option<String>,
}

/// `[[assignments]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentDef {
    /// Natural key.
    pub key: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Giving org unit key.
    pub from: String,
    /// Receiving org unit key.
    pub to: String,
    /// Deadline.
    pub deadline: Option<NaiveDate>,
    /// Funding as written.
    pub funding: Option<String>,
    /// Funding in tkr.
    pub funding_tkr: Option<f64>,
    /// Status.
    pub status: AssignmentStatus,
    /// Goal key.
    pub goal: Option<String>,
}

/// `[[comparison_groups]]`: a comparison group of the municipality's own ("liknande
/// kommuner"), its code `{municipality}:{key}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComparisonGroupDef {
    /// Key, unique in the package.
    pub key: String,
    /// Title, e.g. "Alingsås jämförelsekommuner".
    pub title: String,
    /// The first year the group holds.
    pub valid_from: Option<i32>,
    /// The last year.
    pub valid_to: Option<i32>,
    /// Members: a code (`"1440"`, for all the group's years) or `{ area, from, to }`.
    pub members: Vec<MemberDef>,
}

/// A member of `[[comparison_groups]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum MemberDef {
    /// A code, a member for all the group's years.
    Always(String),
    /// A code with the years it belongs.
    Years {
        /// The code.
        area: String,
        /// The first year.
        from: Option<i32>,
        /// The last year.
        to: Option<i32>,
    },
}

impl ComparisonGroupDef {
    /// The group as the municipality `code` defines it.
    pub fn definition(&self, code: &str) -> crate::area_group::GroupDefinition {
        crate::area_group::GroupDefinition {
            municipality: code.to_owned(),
            key: self.key.clone(),
            title: self.title.clone(),
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            members: self
                .members
                .iter()
                .map(|m| match m {
                    MemberDef::Always(area) => crate::area_group::MemberSpec {
                        area: area.clone(),
                        from: None,
                        to: None,
                    },
                    MemberDef::Years { area, from, to } => crate::area_group::MemberSpec {
                        area: area.clone(),
                        from: *from,
                        to: *to,
                    },
                })
                .collect(),
        }
    }
}

/// `[[budgets]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetDef {
    /// Org unit key.
    pub org_unit: String,
    /// Year.
    pub year: Year,
    /// Kind.
    pub kind: BudgetKind,
    /// Amount, tkr.
    pub amount_tkr: f64,
    /// Line as written.
    pub line: String,
}

/// `[[follow_ups]]`: a report of the governance model's calendar for one year (and month, for
/// monthly reports), with the goals' assessments.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpDef {
    /// Governance model key: whose calendar the report belongs to.
    pub governance_model: String,
    /// Which report.
    pub kind: FollowUpKind,
    /// The year reported on.
    pub year: Year,
    /// The month, for monthly reports only.
    pub month: Option<u32>,
    /// Assessments of goals.
    #[serde(default)]
    pub assessments: Vec<AssessmentDef>,
}

/// `[[follow_ups.assessments]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentDef {
    /// Goal key.
    pub goal: String,
    /// The judgement.
    pub assessment: Assessment,
    /// Forecast for the year's end.
    pub forecast: Option<Assessment>,
    /// The analysis as written.
    pub analysis: Option<String>,
}

/// One row of `observations.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationDef {
    /// Line number in the file, for messages.
    pub line: usize,
    /// Indicator key, when the row is for an indicator.
    pub indicator: Option<String>,
    /// KPI, when the row is for a key figure.
    pub kpi: Option<KpiId>,
    /// Area.
    pub area: AreaCode,
    /// Year.
    pub period: Year,
    /// Gender.
    pub gender: Gender,
    /// Value; `None` = missing.
    pub value: Option<f64>,
    /// Status flag.
    pub status: Option<String>,
    /// Source.
    pub source: ValueSource,
}

/// One TOML file of a package.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackageFile {
    municipality: Option<MunicipalityDef>,
    #[serde(default)]
    org_units: Vec<OrgUnitDef>,
    #[serde(default)]
    governance_models: Vec<GovernanceModelDef>,
    #[serde(default)]
    visions: Vec<VisionDef>,
    #[serde(default)]
    focus_areas: Vec<FocusAreaDef>,
    #[serde(default)]
    goals: Vec<GoalDef>,
    #[serde(default)]
    indicators: Vec<IndicatorDef>,
    #[serde(default)]
    targets: Vec<TargetDef>,
    #[serde(default)]
    political_directions: Vec<PoliticalDirectionDef>,
    #[serde(default)]
    basic_missions: Vec<BasicMissionDef>,
    #[serde(default)]
    quality_factors: Vec<QualityFactorDef>,
    #[serde(default)]
    assignments: Vec<AssignmentDef>,
    #[serde(default)]
    budgets: Vec<BudgetDef>,
    #[serde(default)]
    follow_ups: Vec<FollowUpDef>,
    #[serde(default)]
    comparison_groups: Vec<ComparisonGroupDef>,
}

/// A whole package, parsed but not yet validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    /// The municipality.
    pub municipality: MunicipalityDef,
    /// Organisation units below the root.
    pub org_units: Vec<OrgUnitDef>,
    /// Governance models.
    pub governance_models: Vec<GovernanceModelDef>,
    /// Visions.
    pub visions: Vec<VisionDef>,
    /// Focus areas.
    pub focus_areas: Vec<FocusAreaDef>,
    /// Goals.
    pub goals: Vec<GoalDef>,
    /// Indicators.
    pub indicators: Vec<IndicatorDef>,
    /// Targets.
    pub targets: Vec<TargetDef>,
    /// Political directions.
    pub political_directions: Vec<PoliticalDirectionDef>,
    /// Basic missions.
    pub basic_missions: Vec<BasicMissionDef>,
    /// Quality factors.
    pub quality_factors: Vec<QualityFactorDef>,
    /// Assignments.
    pub assignments: Vec<AssignmentDef>,
    /// Budget lines.
    pub budgets: Vec<BudgetDef>,
    /// Follow-up reports and their assessments.
    pub follow_ups: Vec<FollowUpDef>,
    /// Comparison groups of the municipality's own.
    pub comparison_groups: Vec<ComparisonGroupDef>,
    /// Values.
    pub observations: Vec<ObservationDef>,
}

/// A package that passed validation, with what validation derived.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidPackage {
    /// The package.
    pub package: Package,
    /// The desired direction of each indicator, in the order of `package.indicators`.
    pub directions: Vec<DesiredDirection>,
    /// The rule of each target, in the order of `package.targets`.
    pub target_rules: Vec<TargetRule>,
    /// Warnings: written anyway, reported.
    pub warnings: Vec<Finding>,
}

/// Why a package could not be read or is not valid.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// A file could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The file or folder.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// A file is not well-formed; the message names the line and field.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong, with its position.
        message: String,
    },
    /// The content is not valid: every error found, not only the first.
    #[error("{} error(s):\n{}", errors.len(), errors.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The errors.
        errors: Vec<Finding>,
    },
}

impl Package {
    /// Reads every `*.toml` (in file-name order) and `observations.csv` of a folder.
    pub fn read_dir(dir: &Path) -> Result<Package, PackageError> {
        let io = |p: &Path, e: std::io::Error| PackageError::Io {
            path: p.display().to_string(),
            message: e.to_string(),
        };
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        names.sort();
        let mut files = Vec::new();
        for p in &names {
            let text = std::fs::read_to_string(p).map_err(|e| io(p, e))?;
            files.push((p.display().to_string(), text));
        }
        let csv_path = dir.join("observations.csv");
        let csv = if csv_path.exists() {
            Some((
                csv_path.display().to_string(),
                std::fs::read_to_string(&csv_path).map_err(|e| io(&csv_path, e))?,
            ))
        } else {
            None
        };
        Self::parse(&files, csv.as_ref().map(|(n, t)| (n.as_str(), t.as_str())))
    }

    /// Parses TOML files given as (name, text) and an optional observations CSV.
    pub fn parse(files: &[(String, String)], csv: Option<(&str, &str)>) -> Result<Package, PackageError> {
        let mut municipality: Option<(String, MunicipalityDef)> = None;
        let mut acc = PackageFile::default();
        for (name, text) in files {
            let f: PackageFile = toml::from_str(text).map_err(|e| PackageError::Parse {
                path: name.clone(),
                message: e.to_string().trim_end().to_owned(),
            })?;
            if let Some(m) = f.municipality {
                if let Some((first, _)) = &municipality {
                    return Err(PackageError::Parse {
                        path: name.clone(),
                        message: format!("[municipality] is also given in {first}; give it in one file"),
                    });
                }
                municipality = Some((name.clone(), m));
            }
            acc.org_units.extend(f.org_units);
            acc.governance_models.extend(f.governance_models);
            acc.visions.extend(f.visions);
            acc.focus_areas.extend(f.focus_areas);
            acc.goals.extend(f.goals);
            acc.indicators.extend(f.indicators);
            acc.targets.extend(f.targets);
            acc.political_directions.extend(f.political_directions);
            acc.basic_missions.extend(f.basic_missions);
            acc.quality_factors.extend(f.quality_factors);
            acc.assignments.extend(f.assignments);
            acc.budgets.extend(f.budgets);
            acc.follow_ups.extend(f.follow_ups);
            acc.comparison_groups.extend(f.comparison_groups);
        }
        let (_, municipality) = municipality.ok_or_else(|| PackageError::Parse {
            path: files.first().map(|(n, _)| n.clone()).unwrap_or_else(|| "package".into()),
            message: "no file of the package has a [municipality] section".into(),
        })?;
        let observations = match csv {
            Some((name, text)) => parse_observations_csv(text).map_err(|message| PackageError::Parse {
                path: name.to_owned(),
                message,
            })?,
            None => Vec::new(),
        };
        Ok(Package {
            municipality,
            org_units: acc.org_units,
            governance_models: acc.governance_models,
            visions: acc.visions,
            focus_areas: acc.focus_areas,
            goals: acc.goals,
            indicators: acc.indicators,
            targets: acc.targets,
            political_directions: acc.political_directions,
            basic_missions: acc.basic_missions,
            quality_factors: acc.quality_factors,
            assignments: acc.assignments,
            budgets: acc.budgets,
            follow_ups: acc.follow_ups,
            comparison_groups: acc.comparison_groups,
            observations,
        })
    }

    /// Validates the whole package; returns every error found, or the package with its warnings.
    pub fn validate(self) -> Result<ValidPackage, PackageError> {
        let mut f: Vec<Finding> = Vec::new();
        let p = &self;
        if !p.municipality.code.is_municipality() {
            f.push(Finding::error(
                "municipality.code",
                format!("`{}` is not a municipality code (4 digits)", p.municipality.code),
            ));
        }

        let org = unique_keys(&mut f, "org_units", p.org_units.iter().map(|o| o.key.as_str()));
        let models = unique_keys(&mut f, "governance_models", p.governance_models.iter().map(|m| m.key.as_str()));
        let visions = unique_keys(&mut f, "visions", p.visions.iter().map(|v| v.key.as_str()));
        let focus = unique_keys(&mut f, "focus_areas", p.focus_areas.iter().map(|v| v.key.as_str()));
        let goals = unique_keys(&mut f, "goals", p.goals.iter().map(|v| v.key.as_str()));
        let indicators = unique_keys(&mut f, "indicators", p.indicators.iter().map(|v| v.key.as_str()));
        let own_groups = unique_keys(&mut f, "comparison_groups", p.comparison_groups.iter().map(|g| g.key.as_str()));
        for g in &p.comparison_groups {
            if let Err(e) = g.definition(p.municipality.code.as_str()).check() {
                if e.field != "key" {
                    f.push(Finding::error(format!("comparison_groups[{}].{}", g.key, e.field), e.message));
                }
            }
        }
        unique_keys(
            &mut f,
            "political_directions",
            p.political_directions.iter().map(|v| v.key.as_str()),
        );
        let missions = unique_keys(&mut f, "basic_missions", p.basic_missions.iter().map(|v| v.key.as_str()));
        let factors = unique_keys(&mut f, "quality_factors", p.quality_factors.iter().map(|v| v.key.as_str()));
        unique_keys(&mut f, "assignments", p.assignments.iter().map(|v| v.key.as_str()));

        let org_kind: BTreeMap<&str, OrgUnitKind> = p.org_units.iter().map(|o| (o.key.as_str(), o.kind)).collect();
        let org_name: BTreeMap<&str, &str> = p.org_units.iter().map(|o| (o.key.as_str(), o.name.as_str())).collect();

        // Organisation tree.
        for o in &p.org_units {
            if o.kind == OrgUnitKind::Municipality {
                f.push(Finding::error(
                    format!("org_units[{}].kind", o.key),
                    "the municipality is the root of the tree and is given by [municipality], not as an org unit",
                ));
            }
            if let Some(parent) = &o.parent {
                refers(&mut f, &org, format!("org_units[{}].parent", o.key), parent, "org unit");
            }
        }
        let org_edges: Vec<(&str, &str)> = p
            .org_units
            .iter()
            .filter_map(|o| o.parent.as_deref().map(|pa| (o.key.as_str(), pa)))
            .collect();
        if let Some(cycle) = validate::find_goal_cycle(&org_edges) {
            f.push(Finding::error(
                "org_units",
                format!("the organisation tree has a cycle: {}", cycle.join(" → ")),
            ));
        }

        // Governance models.
        let mut model_rules: BTreeMap<&str, (GovernanceRules, &str)> = BTreeMap::new();
        for m in &p.governance_models {
            if let Err(e) = DateRange::new(m.valid_from, m.valid_to) {
                f.push(Finding::error(format!("governance_models[{}].{}", m.key, e.field), e.message));
            }
            let rules = m.rules();
            if let Err(e) = rules.check() {
                f.push(Finding::error(format!("governance_models[{}].{}", m.key, e.field), e.message));
            }
            model_rules.insert(m.key.as_str(), (rules, m.name.as_str()));
        }

        for fa in &p.focus_areas {
            refers(&mut f, &visions, format!("focus_areas[{}].vision", fa.key), &fa.vision, "vision");
        }

        // Goals.
        let mut in_force: BTreeMap<&str, Vec<(String, OrgUnitKind, GoalKind)>> = BTreeMap::new();
        for g in &p.goals {
            let at = |field: &str| format!("goals[{}].{field}", g.key);
            refers(&mut f, &org, at("owner"), &g.owner, "org unit");
            refers(&mut f, &models, at("governance_model"), &g.governance_model, "governance model");
            if let Some(fa) = &g.focus_area {
                refers(&mut f, &focus, at("focus_area"), fa, "focus area");
            }
            for parent in &g.parents {
                refers(&mut f, &goals, at("parents"), parent, "goal");
            }
            if let Err(e) = DateRange::new(g.valid_from, g.valid_to) {
                f.push(Finding::error(at(&e.field), e.message));
            }
            for n in &g.agenda2030 {
                if !(1..=17).contains(n) {
                    f.push(Finding::error(at("agenda2030"), format!("{n} is not one of the 17 global goals")));
                }
            }
            if let (Some(kind), Some((rules, name))) = (org_kind.get(g.owner.as_str()), model_rules.get(g.governance_model.as_str())) {
                if let Err(e) = validate::check_goal_kind(&at("kind"), g.kind, *kind, rules, name) {
                    f.push(e);
                }
                in_force.entry(g.governance_model.as_str()).or_default().push((
                    org_name.get(g.owner.as_str()).copied().unwrap_or(&g.owner).to_owned(),
                    *kind,
                    g.kind,
                ));
            }
        }
        for (model, owned) in &in_force {
            if let Some((rules, name)) = model_rules.get(model) {
                f.extend(validate::check_goal_caps(owned, rules, name));
            }
        }
        let goal_edges: Vec<(&str, &str)> = p
            .goals
            .iter()
            .flat_map(|g| g.parents.iter().map(move |pa| (g.key.as_str(), pa.as_str())))
            .collect();
        if let Some(cycle) = validate::find_goal_cycle(&goal_edges) {
            f.push(Finding::error(
                "goals.parents",
                format!("a goal is its own ancestor: {}", cycle.join(" → ")),
            ));
        }

        // Indicators.
        let mut directions = Vec::with_capacity(p.indicators.len());
        for i in &p.indicators {
            let at = |field: &str| format!("indicators[{}].{field}", i.key);
            for g in &i.goals {
                refers(&mut f, &goals, at("goals"), g, "goal");
            }
            for q in &i.quality_factors {
                refers(&mut f, &factors, at("quality_factors"), q, "quality factor");
            }
            if let Some(o) = &i.owner {
                refers(&mut f, &org, at("owner"), o, "org unit");
            }
            let d = match &i.desired {
                Some(phrase) => parse_desired_direction(phrase).unwrap_or_else(|e| {
                    f.push(Finding::error(at("desired"), e.message));
                    DesiredDirection {
                        direction: crate::indicator::Direction::None,
                        measure_first: false,
                    }
                }),
                None => DesiredDirection {
                    direction: crate::indicator::Direction::None,
                    measure_first: false,
                },
            };
            directions.push(d);
        }

        // Targets, checked against the models of the indicator's goals.
        let goal_model: BTreeMap<&str, &str> = p.goals.iter().map(|g| (g.key.as_str(), g.governance_model.as_str())).collect();
        let indicator_by_key: BTreeMap<&str, &IndicatorDef> = p.indicators.iter().map(|i| (i.key.as_str(), i)).collect();
        let mut target_rules = Vec::with_capacity(p.targets.len());
        for (n, t) in p.targets.iter().enumerate() {
            let at = |field: &str| format!("targets[{n}].{field}");
            refers(&mut f, &indicators, at("indicator"), &t.indicator, "indicator");
            if let Err(e) = validate::check_period(&at("period_from"), t.period_from, t.period_to) {
                f.push(e);
            }
            // A relative target may compare with a group of the package's own, by its code.
            if let Some((m, key)) = t.reference_area.as_deref().and_then(crate::area_group::own_group_parts) {
                if m == p.municipality.code.as_str() && !own_groups.contains(key) {
                    f.push(Finding::error(
                        at("reference_area"),
                        format!("`{key}` is not a comparison group of this package"),
                    ));
                }
            }
            match TargetRule::from_parts(&t.kind, &t.comparison, t.value, t.reference_area.as_deref()) {
                Ok(r) => target_rules.push(r),
                Err(e) => {
                    f.push(Finding::error(at(&e.field), e.message));
                    target_rules.push(TargetRule::Direction {
                        movement: crate::target::Movement::NotDecrease,
                    });
                }
            }
            if let Some(ind) = indicator_by_key.get(t.indicator.as_str()) {
                let ms: BTreeSet<&str> = ind.goals.iter().filter_map(|g| goal_model.get(g.as_str()).copied()).collect();
                for m in ms {
                    if let Some((rules, name)) = model_rules.get(m) {
                        if let Err(e) = validate::check_target_allowed(&at("indicator"), ind.kind, rules, name) {
                            f.push(e);
                        }
                    }
                }
            }
        }

        for d in &p.political_directions {
            refers(
                &mut f,
                &org,
                format!("political_directions[{}].org_unit", d.key),
                &d.org_unit,
                "org unit",
            );
            if let Err(e) = DateRange::new(d.valid_from, d.valid_to) {
                f.push(Finding::error(format!("political_directions[{}].{}", d.key, e.field), e.message));
            }
        }
        for m in &p.basic_missions {
            refers(&mut f, &org, format!("basic_missions[{}].org_unit", m.key), &m.org_unit, "org unit");
        }
        for q in &p.quality_factors {
            refers(
                &mut f,
                &org,
                format!("quality_factors[{}].org_unit", q.key),
                &q.org_unit,
                "org unit",
            );
            if let Some(m) = &q.basic_mission {
                refers(
                    &mut f,
                    &missions,
                    format!("quality_factors[{}].basic_mission", q.key),
                    m,
                    "basic mission",
                );
            }
        }
        for a in &p.assignments {
            let at = |field: &str| format!("assignments[{}].{field}", a.key);
            refers(&mut f, &org, at("from"), &a.from, "org unit");
            refers(&mut f, &org, at("to"), &a.to, "org unit");
            if let Some(g) = &a.goal {
                refers(&mut f, &goals, at("goal"), g, "goal");
            }
            if a.funding_tkr.is_some_and(|x| !x.is_finite() || x < 0.0) {
                f.push(Finding::error(at("funding_tkr"), "must be a non-negative amount"));
            }
        }
        let mut budget_lines = BTreeSet::new();
        for (n, b) in p.budgets.iter().enumerate() {
            refers(&mut f, &org, format!("budgets[{n}].org_unit"), &b.org_unit, "org unit");
            if !b.amount_tkr.is_finite() {
                f.push(Finding::error(format!("budgets[{n}].amount_tkr"), "must be a number"));
            }
            if !budget_lines.insert((b.org_unit.as_str(), b.year, b.kind.as_str(), b.line.as_str())) {
                f.push(Finding::error(
                    format!("budgets[{n}]"),
                    format!(
                        "the line `{}` of {} {} {} is given twice",
                        b.line,
                        b.org_unit,
                        b.kind.as_str(),
                        b.year
                    ),
                ));
            }
        }
        // Follow-ups: a report the model's calendar has, in a year the model is in force,
        // assessing goals set under that model, each once.
        let model_validity: BTreeMap<&str, (NaiveDate, Option<NaiveDate>)> = p
            .governance_models
            .iter()
            .map(|m| (m.key.as_str(), (m.valid_from, m.valid_to)))
            .collect();
        let mut reports = BTreeSet::new();
        for (n, fu) in p.follow_ups.iter().enumerate() {
            let at = |field: &str| format!("follow_ups[{n}].{field}");
            refers(&mut f, &models, at("governance_model"), &fu.governance_model, "governance model");
            if let Some((rules, name)) = model_rules.get(fu.governance_model.as_str()) {
                if let Err(e) = validate::check_follow_up_kind(&at("kind"), fu.kind, rules, name) {
                    f.push(e);
                }
            }
            if let Some((from, to)) = model_validity.get(fu.governance_model.as_str()) {
                if let Ok(range) = DateRange::new(*from, *to) {
                    if !range.overlaps_year(fu.year.get()) {
                        f.push(Finding::error(
                            at("year"),
                            format!(
                                "{} is outside the period of the governance model `{}`",
                                fu.year, fu.governance_model
                            ),
                        ));
                    }
                }
            }
            match (fu.kind, fu.month) {
                (FollowUpKind::Monthly, None) => f.push(Finding::error(at("month"), "a monthly report needs its month (1–12)")),
                (FollowUpKind::Monthly, Some(m)) if !(1..=12).contains(&m) => {
                    f.push(Finding::error(at("month"), format!("{m} is not a month")))
                }
                (k, Some(_)) if k != FollowUpKind::Monthly => f.push(Finding::error(
                    at("month"),
                    format!("only monthly reports have a month, not {}", k.as_str()),
                )),
                _ => {}
            }
            if !reports.insert((fu.governance_model.as_str(), fu.kind, fu.year, fu.month)) {
                f.push(Finding::error(
                    at("kind"),
                    format!("{} {} is given twice", fu.kind.as_str(), fu.year),
                ));
            }
            let mut assessed = BTreeSet::new();
            for a in &fu.assessments {
                let at = format!("follow_ups[{n}].assessments[{}]", a.goal);
                refers(&mut f, &goals, format!("{at}.goal"), &a.goal, "goal");
                if let Some(model) = goal_model.get(a.goal.as_str()) {
                    if *model != fu.governance_model {
                        f.push(Finding::error(
                            format!("{at}.goal"),
                            format!(
                                "the goal is set under `{model}`, not under `{}` whose report this is",
                                fu.governance_model
                            ),
                        ));
                    }
                }
                if !assessed.insert(a.goal.as_str()) {
                    f.push(Finding::error(format!("{at}.goal"), "the goal is assessed twice in one report"));
                }
            }
        }

        let mut obs_keys = BTreeSet::new();
        for o in &p.observations {
            let at = format!("observations.csv line {}", o.line);
            if let Some(i) = &o.indicator {
                refers(&mut f, &indicators, at.clone(), i, "indicator");
            }
            let series = o
                .indicator
                .clone()
                .unwrap_or_else(|| o.kpi.as_ref().map(|k| k.to_string()).unwrap_or_default());
            if !obs_keys.insert((series.clone(), o.area.clone(), o.period, o.gender)) {
                f.push(Finding::error(
                    at,
                    format!("a second value for {series} {} {} {}", o.area, o.period, o.gender.code()),
                ));
            }
        }

        let (errors, warnings): (Vec<_>, Vec<_>) = f.into_iter().partition(|x| x.severity == Severity::Error);
        if !errors.is_empty() {
            return Err(PackageError::Invalid { errors });
        }
        Ok(ValidPackage {
            package: self,
            directions,
            target_rules,
            warnings,
        })
    }
}

fn unique_keys<'a>(f: &mut Vec<Finding>, list: &str, keys: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for k in keys {
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            f.push(Finding::error(
                format!("{list}[{k}].key"),
                "a key is lower-case ASCII letters, digits and -",
            ));
        }
        if !seen.insert(k.to_owned()) {
            f.push(Finding::error(format!("{list}[{k}].key"), format!("the key `{k}` is used twice")));
        }
    }
    seen
}

fn refers(f: &mut Vec<Finding>, known: &BTreeSet<String>, field: String, key: &str, what: &str) {
    if !known.contains(key) {
        f.push(Finding::error(field, format!("no {what} has the key `{key}`")));
    }
}

/// The columns of `observations.csv`, in order.
pub const OBSERVATION_COLUMNS: [&str; 8] = ["indicator", "kpi", "area", "period", "gender", "value", "status", "source"];

/// Parses `observations.csv`: a header row of [`OBSERVATION_COLUMNS`], then one value a line.
/// Fields hold no commas, so no quoting is needed; errors name the line.
pub fn parse_observations_csv(text: &str) -> Result<Vec<ObservationDef>, String> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, l)| l.trim_start_matches('\u{feff}').trim()).unwrap_or("");
    if header.split(',').map(str::trim).ne(OBSERVATION_COLUMNS) {
        return Err(format!("line 1: the header must be `{}`", OBSERVATION_COLUMNS.join(",")));
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if cols.len() != OBSERVATION_COLUMNS.len() {
            return Err(format!(
                "line {n}: expected {} fields, found {}",
                OBSERVATION_COLUMNS.len(),
                cols.len()
            ));
        }
        let err = |col: &str, msg: String| format!("line {n}, column {col}: {msg}");
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let indicator = opt(cols[0]);
        let kpi = opt(cols[1])
            .map(|k| KpiId::parse(&k))
            .transpose()
            .map_err(|e| err("kpi", e.message))?;
        if indicator.is_some() == kpi.is_some() {
            return Err(err("indicator", "give exactly one of indicator and kpi".into()));
        }
        let area = AreaCode::parse(cols[2]).map_err(|e| err("area", e.message))?;
        let period = cols[3]
            .parse::<i32>()
            .map_err(|_| err("period", format!("`{}` is not a year", cols[3])))
            .and_then(|y| Year::new(y).map_err(|e| err("period", e.message)))?;
        let gender = Gender::parse(cols[4]).map_err(|e| err("gender", e.message))?;
        let value = match cols[5] {
            "" => None,
            v => Some(
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| err("value", format!("`{v}` is not a number")))?,
            ),
        };
        let source = ValueSource::parse(cols[7]).map_err(|e| err("source", e.message))?;
        out.push(ObservationDef {
            line: n,
            indicator,
            kpi,
            area,
            period,
            gender,
            value,
            status: opt(cols[6]),
            source,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[municipality]
code = "0764"
name = "Testkommun"

[[org_units]]
key = "kf"
name = "Kommunfullmäktige"
kind = "council"

[[org_units]]
key = "sn"
name = "Socialnämnden"
kind = "committee"
parent = "kf"

[[governance_models]]
key = "m"
name = "Styrmodell"
valid_from = "2020-01-01"
quality_indicators_have_targets = false
political_directions_followed_up = true

[[governance_models.levels]]
org_kind = "committee"
goal_kinds = ["development_goal"]
max_per_kind = { development_goal = 3 }
"#;

    fn goal(key: &str, parents: &str) -> String {
        format!(
            "[[goals]]\nkey = \"{key}\"\ntitle = \"{key}\"\nkind = \"development_goal\"\nowner = \"sn\"\ngovernance_model = \"m\"\nvalid_from = \"2021-01-01\"\nparents = [{parents}]\n"
        )
    }

    fn pkg(extra: &str) -> Result<ValidPackage, PackageError> {
        Package::parse(&[("a.toml".into(), format!("{BASE}\n{extra}"))], None)?.validate()
    }

    #[test]
    fn a_valid_package_passes() {
        let p = pkg(&goal("a", "")).unwrap();
        assert_eq!(p.package.goals.len(), 1);
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn an_unknown_field_is_a_parse_error_naming_it() {
        let err = pkg("[[visions]]\nkey = \"v\"\ntitle = \"V\"\nstatment = \"typo\"\n").unwrap_err();
        assert!(err.to_string().contains("statment"), "{err}");
    }

    #[test]
    fn a_dangling_reference_is_reported_with_its_field() {
        let err = pkg(&goal("a", "\"nope\"")).unwrap_err();
        assert!(err.to_string().contains("goals[a].parents: no goal has the key `nope`"), "{err}");
    }

    #[test]
    fn a_goal_cycle_is_an_error() {
        let err = pkg(&format!("{}\n{}", goal("a", "\"b\""), goal("b", "\"a\""))).unwrap_err();
        assert!(err.to_string().contains("its own ancestor"), "{err}");
    }

    #[test]
    fn four_development_goals_give_a_warning() {
        let goals: String = ["a", "b", "c", "d"].iter().map(|k| goal(k, "")).collect();
        let p = pkg(&goals).unwrap();
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    }

    #[test]
    fn a_target_on_a_quality_indicator_is_refused_when_the_model_says_so() {
        let extra = format!(
            "{}\n[[indicators]]\nkey = \"q\"\ntitle = \"Q\"\nkind = \"quality_indicator\"\ngoals = [\"a\"]\n\n[[targets]]\nindicator = \"q\"\narea = \"0764\"\nperiod_from = 2021\nkind = \"absolute\"\ncomparison = \"at_least\"\nvalue = 1.0\n",
            goal("a", "")
        );
        let err = pkg(&extra).unwrap_err();
        assert!(err.to_string().contains("no targets for quality indicators"), "{err}");
    }

    const REPORTS: &str = "[[governance_models.follow_ups]]\nkind = \"interim_report_1\"\nname = \"Delårsrapport 1\"\ncovers_from = \"01-01\"\ncovers_to = \"04-30\"\n";

    fn report(kind: &str, year: i32, month: &str, goals: &[&str]) -> String {
        let mut s = format!("[[follow_ups]]\ngovernance_model = \"m\"\nkind = \"{kind}\"\nyear = {year}\n{month}\n");
        for g in goals {
            s += &format!("[[follow_ups.assessments]]\ngoal = \"{g}\"\nassessment = \"partly_achieved\"\nforecast = \"achieved\"\n");
        }
        s
    }

    #[test]
    fn a_follow_up_in_the_calendar_with_assessments_passes() {
        let p = pkg(&format!(
            "{REPORTS}\n{}\n{}",
            goal("a", ""),
            report("interim_report_1", 2021, "", &["a"])
        ))
        .unwrap();
        assert_eq!(p.package.follow_ups[0].assessments.len(), 1);
    }

    #[test]
    fn a_follow_up_the_calendar_does_not_have_is_refused_naming_what_it_has() {
        let err = pkg(&format!("{REPORTS}\n{}", report("annual_report", 2021, "", &[])))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("follow_ups[0].kind: Styrmodell has no annual_report in its follow-up calendar (it has: interim_report_1)"),
            "{err}"
        );
    }

    #[test]
    fn a_follow_up_before_the_model_was_in_force_is_refused() {
        let err = pkg(&format!("{REPORTS}\n{}", report("interim_report_1", 2019, "", &[])))
            .unwrap_err()
            .to_string();
        assert!(err.contains("follow_ups[0].year: 2019 is outside the period"), "{err}");
    }

    #[test]
    fn only_monthly_reports_have_a_month() {
        let err = pkg(&format!("{REPORTS}\n{}", report("interim_report_1", 2021, "month = 4", &[])))
            .unwrap_err()
            .to_string();
        assert!(err.contains("follow_ups[0].month: only monthly reports have a month"), "{err}");
    }

    #[test]
    fn a_goal_assessed_twice_or_unknown_is_refused() {
        let err = pkg(&format!(
            "{REPORTS}\n{}\n{}",
            goal("a", ""),
            report("interim_report_1", 2021, "", &["a", "a", "zz"])
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("follow_ups[0].assessments[a].goal: the goal is assessed twice"),
            "{err}"
        );
        assert!(
            err.contains("follow_ups[0].assessments[zz].goal: no goal has the key `zz`"),
            "{err}"
        );
    }

    #[test]
    fn csv_errors_name_the_line_and_column() {
        let head = OBSERVATION_COLUMNS.join(",");
        let ok = parse_observations_csv(&format!("{head}\nx,,1489,2021,T,1.5,,example\nx,,1489,2022,K,,Missing,example\n")).unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].value, None);
        let err = parse_observations_csv(&format!("{head}\nx,,1489,2021,F,1.5,,example\n")).unwrap_err();
        assert!(err.starts_with("line 2, column gender"), "{err}");
    }
}
