//! The governance chain: organisation, models, vision, goals, indicators, targets, follow-ups,
//! assignments and budgets.

use sea_orm_migration::prelude::*;

use crate::columns::*;

/// Creates the governance tables.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000001_governance"
    }
}

const CASCADE: ForeignKeyAction = ForeignKeyAction::Cascade;
const SET_NULL: ForeignKeyAction = ForeignKeyAction::SetNull;
const RESTRICT: ForeignKeyAction = ForeignKeyAction::Restrict;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            table(
                "org_unit",
                vec![
                    id(),
                    big_null("municipality_id"),
                    big_null("parent_id"),
                    text("key"),
                    text("name"),
                    text_null("short_name"),
                    text("kind"),
                    text_null("municipality_code"),
                    text_null("kolada_ou_id"),
                ],
                vec![
                    fk("org_unit", "municipality_id", "org_unit", CASCADE),
                    fk("org_unit", "parent_id", "org_unit", CASCADE),
                ],
            ),
            table(
                "governance_model",
                vec![
                    id(),
                    big("municipality_id"),
                    text("key"),
                    text("name"),
                    long_text_null("description"),
                    text_null("decision"),
                    date("valid_from"),
                    date_null("valid_to"),
                    long_text("rules"),
                ],
                vec![fk("governance_model", "municipality_id", "org_unit", CASCADE)],
            ),
            table(
                "vision",
                vec![
                    id(),
                    big("municipality_id"),
                    text("key"),
                    text("title"),
                    long_text("statement"),
                    int_null("horizon_year"),
                    long_text("vision_values"),
                ],
                vec![fk("vision", "municipality_id", "org_unit", CASCADE)],
            ),
            table(
                "focus_area",
                vec![
                    id(),
                    big("municipality_id"),
                    big("vision_id"),
                    text("key"),
                    text("title"),
                    long_text_null("description"),
                    int("position"),
                ],
                vec![fk("focus_area", "vision_id", "vision", CASCADE)],
            ),
            table(
                "goal",
                vec![
                    id(),
                    big("municipality_id"),
                    big("governance_model_id"),
                    text("key"),
                    long_text("title"),
                    long_text_null("description"),
                    text("kind"),
                    big("owner_id"),
                    big_null("focus_area_id"),
                    date("valid_from"),
                    date_null("valid_to"),
                    text("agenda2030"),
                    text_null("decision"),
                    int("position"),
                    boolean("archived"),
                ],
                vec![
                    fk("goal", "municipality_id", "org_unit", CASCADE),
                    fk("goal", "governance_model_id", "governance_model", RESTRICT),
                    fk("goal", "owner_id", "org_unit", RESTRICT),
                    fk("goal", "focus_area_id", "focus_area", SET_NULL),
                ],
            ),
            table(
                "goal_parent",
                vec![big("goal_id"), big("parent_id")],
                vec![
                    fk("goal_parent", "goal_id", "goal", CASCADE),
                    fk("goal_parent", "parent_id", "goal", CASCADE),
                ],
            ),
            table(
                "basic_mission",
                vec![
                    id(),
                    big("municipality_id"),
                    big("org_unit_id"),
                    text("key"),
                    long_text("purpose"),
                    long_text("target_groups"),
                    long_text("governing_documents"),
                    long_text("risks"),
                ],
                vec![fk("basic_mission", "org_unit_id", "org_unit", CASCADE)],
            ),
            table(
                "quality_factor",
                vec![
                    id(),
                    big("municipality_id"),
                    big("org_unit_id"),
                    text("key"),
                    long_text("title"),
                    long_text_null("description"),
                    big_null("basic_mission_id"),
                ],
                vec![
                    fk("quality_factor", "org_unit_id", "org_unit", CASCADE),
                    fk("quality_factor", "basic_mission_id", "basic_mission", SET_NULL),
                ],
            ),
            table(
                "indicator",
                vec![
                    id(),
                    big("municipality_id"),
                    text("key"),
                    long_text("title"),
                    text("kind"),
                    text_null("unit"),
                    text("direction"),
                    text_null("desired_text"),
                    boolean("measure_first"),
                    text_null("kpi_id"),
                    big_null("owner_id"),
                    int("position"),
                ],
                vec![
                    fk("indicator", "municipality_id", "org_unit", CASCADE),
                    fk("indicator", "owner_id", "org_unit", SET_NULL),
                ],
            ),
            table(
                "indicator_goal",
                vec![big("indicator_id"), big("goal_id")],
                vec![
                    fk("indicator_goal", "indicator_id", "indicator", CASCADE),
                    fk("indicator_goal", "goal_id", "goal", CASCADE),
                ],
            ),
            table(
                "indicator_quality_factor",
                vec![big("indicator_id"), big("quality_factor_id")],
                vec![
                    fk("indicator_quality_factor", "indicator_id", "indicator", CASCADE),
                    fk("indicator_quality_factor", "quality_factor_id", "quality_factor", CASCADE),
                ],
            ),
            table(
                "target",
                vec![
                    id(),
                    big("indicator_id"),
                    text("area_code"),
                    int("period_from"),
                    int_null("period_to"),
                    text("kind"),
                    text("comparison"),
                    double_null("value"),
                    text_null("reference_area"),
                    long_text_null("note"),
                ],
                vec![fk("target", "indicator_id", "indicator", CASCADE)],
            ),
            table(
                "political_direction",
                vec![
                    id(),
                    big("municipality_id"),
                    big("org_unit_id"),
                    text("key"),
                    long_text("title"),
                    long_text_null("description"),
                    date("valid_from"),
                    date_null("valid_to"),
                    boolean("followed_up"),
                ],
                vec![fk("political_direction", "org_unit_id", "org_unit", CASCADE)],
            ),
            table(
                "assignment",
                vec![
                    id(),
                    big("municipality_id"),
                    text("key"),
                    long_text("title"),
                    long_text_null("description"),
                    big("from_org_unit_id"),
                    big("to_org_unit_id"),
                    date_null("deadline"),
                    long_text_null("funding"),
                    double_null("funding_tkr"),
                    text("status"),
                    big_null("goal_id"),
                ],
                vec![
                    fk("assignment", "municipality_id", "org_unit", CASCADE),
                    fk("assignment", "from_org_unit_id", "org_unit", RESTRICT),
                    fk("assignment", "to_org_unit_id", "org_unit", RESTRICT),
                    fk("assignment", "goal_id", "goal", SET_NULL),
                ],
            ),
            table(
                "follow_up",
                // `month` is 0 for reports that are not monthly, so the unique index holds (NULLs
                // never collide in a unique index, on either database).
                vec![
                    id(),
                    big("governance_model_id"),
                    text("kind"),
                    int("year"),
                    int("month"),
                    timestamp_null("approved_at"),
                    long_text_null("snapshot"),
                ],
                vec![fk("follow_up", "governance_model_id", "governance_model", CASCADE)],
            ),
            table(
                "goal_assessment",
                vec![
                    id(),
                    big("follow_up_id"),
                    big("goal_id"),
                    text("assessment"),
                    text_null("forecast"),
                    long_text_null("analysis"),
                ],
                vec![
                    fk("goal_assessment", "follow_up_id", "follow_up", CASCADE),
                    fk("goal_assessment", "goal_id", "goal", CASCADE),
                ],
            ),
            table(
                "budget",
                vec![
                    id(),
                    big("org_unit_id"),
                    int("year"),
                    text("kind"),
                    text("line"),
                    double("amount_tkr"),
                ],
                vec![fk("budget", "org_unit_id", "org_unit", CASCADE)],
            ),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let indexes = [
            index("org_unit", &["municipality_id", "key"], true),
            index("org_unit", &["municipality_code"], true),
            index("org_unit", &["parent_id"], false),
            index("governance_model", &["municipality_id", "key"], true),
            index("vision", &["municipality_id", "key"], true),
            index("focus_area", &["municipality_id", "key"], true),
            index("goal", &["municipality_id", "key"], true),
            index("goal", &["owner_id"], false),
            index("goal", &["governance_model_id"], false),
            index("goal_parent", &["goal_id", "parent_id"], true),
            index("goal_parent", &["parent_id"], false),
            index("basic_mission", &["municipality_id", "key"], true),
            index("quality_factor", &["municipality_id", "key"], true),
            index("indicator", &["municipality_id", "key"], true),
            index("indicator", &["kpi_id"], false),
            index("indicator_goal", &["indicator_id", "goal_id"], true),
            index("indicator_goal", &["goal_id"], false),
            index("indicator_quality_factor", &["indicator_id", "quality_factor_id"], true),
            index("target", &["indicator_id", "area_code", "period_from"], true),
            index("political_direction", &["municipality_id", "key"], true),
            index("assignment", &["municipality_id", "key"], true),
            index("follow_up", &["governance_model_id", "kind", "year", "month"], true),
            index("goal_assessment", &["follow_up_id", "goal_id"], true),
            index("budget", &["org_unit_id", "year", "kind", "line"], true),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "budget",
            "goal_assessment",
            "follow_up",
            "assignment",
            "political_direction",
            "target",
            "indicator_quality_factor",
            "indicator_goal",
            "indicator",
            "quality_factor",
            "basic_mission",
            "goal_parent",
            "goal",
            "focus_area",
            "vision",
            "governance_model",
            "org_unit",
        ] {
            m.drop_table(Table::drop().table(n(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
