//! `$metadata`: the service's entity model as CSDL XML (OData v4.0), generated from the
//! exported tables: one entity type and set per table, keys, and navigation properties with
//! their referential constraints, so that Power BI proposes the relationships itself.

use styrhub_domain::export::{ColumnKind, Table};

/// The schema's namespace.
pub const NAMESPACE: &str = "Styrhub";

/// A table's entity set name: `Observations`, `OrgUnits` …
pub fn set_name(table: Table) -> String {
    table
        .name()
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A table's entity type name: the set's singular.
pub fn type_name(table: Table) -> &'static str {
    match table {
        Table::Observations => "Observation",
        Table::Kpis => "Kpi",
        Table::Areas => "Area",
        Table::Municipalities => "Municipality",
        Table::OrgUnits => "OrgUnit",
        Table::Goals => "Goal",
        Table::GoalEdges => "GoalEdge",
        Table::Indicators => "Indicator",
        Table::GoalIndicators => "GoalIndicator",
        Table::Targets => "Target",
        Table::FollowUps => "FollowUp",
        Table::Assessments => "Assessment",
        Table::Assignments => "Assignment",
        Table::Budgets => "Budget",
        Table::Statuses => "Status",
    }
}

/// The table of an entity set name.
pub fn table_of(set: &str) -> Option<Table> {
    Table::ALL.into_iter().find(|t| set_name(*t) == set)
}

/// The EDM type of a column.
pub fn edm(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Text => "Edm.String",
        ColumnKind::Int => "Edm.Int64",
        ColumnKind::Num => "Edm.Double",
        ColumnKind::Bool => "Edm.Boolean",
        ColumnKind::Date => "Edm.Date",
        ColumnKind::Timestamp => "Edm.DateTimeOffset",
    }
}

/// A navigation property: (name, from column, target table, target column).
type Nav = (&'static str, &'static str, Table, &'static str);

/// The single-valued navigation of each table, by its foreign keys.
pub fn navigation(table: Table) -> &'static [Nav] {
    match table {
        Table::Observations => &[
            ("Kpi", "kpi", Table::Kpis, "id"),
            ("Indicator", "indicator_id", Table::Indicators, "id"),
            ("Area", "area", Table::Areas, "code"),
        ],
        Table::OrgUnits => &[("Parent", "parent_id", Table::OrgUnits, "id")],
        Table::Goals => &[("Owner", "owner_id", Table::OrgUnits, "id")],
        Table::GoalEdges => &[("Goal", "goal_id", Table::Goals, "id"), ("Parent", "parent_id", Table::Goals, "id")],
        Table::Indicators => &[("Kpi", "kpi", Table::Kpis, "id"), ("Owner", "owner_id", Table::OrgUnits, "id")],
        Table::GoalIndicators => &[
            ("Indicator", "indicator_id", Table::Indicators, "id"),
            ("Goal", "goal_id", Table::Goals, "id"),
        ],
        Table::Targets => &[("Indicator", "indicator_id", Table::Indicators, "id")],
        Table::Assessments => &[
            ("FollowUp", "follow_up_id", Table::FollowUps, "id"),
            ("Goal", "goal_id", Table::Goals, "id"),
        ],
        Table::Assignments => &[
            ("FromUnit", "from_org_unit_id", Table::OrgUnits, "id"),
            ("ToUnit", "to_org_unit_id", Table::OrgUnits, "id"),
            ("Goal", "goal_id", Table::Goals, "id"),
        ],
        Table::Budgets => &[("OrgUnit", "org_unit_id", Table::OrgUnits, "id")],
        Table::Statuses => &[
            ("Indicator", "indicator_id", Table::Indicators, "id"),
            ("Area", "area", Table::Areas, "code"),
            ("Target", "target_id", Table::Targets, "id"),
        ],
        Table::Kpis | Table::Areas | Table::Municipalities | Table::FollowUps => &[],
    }
}

/// The whole `$metadata` document.
pub fn document() -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\n\
         <edmx:DataServices>\n",
    );
    x.push_str(&format!(
        "<Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"{NAMESPACE}\">\n"
    ));
    for t in Table::ALL {
        x.push_str(&format!("<EntityType Name=\"{}\">\n<Key>", type_name(t)));
        for k in t.key() {
            x.push_str(&format!("<PropertyRef Name=\"{k}\"/>"));
        }
        x.push_str("</Key>\n");
        for c in t.columns() {
            let key = t.key().contains(&c.name);
            x.push_str(&format!(
                "<Property Name=\"{}\" Type=\"{}\" Nullable=\"{}\"/>\n",
                c.name,
                edm(c.kind),
                if key { "false" } else { "true" }
            ));
        }
        for (name, from, target, to) in navigation(t) {
            x.push_str(&format!(
                "<NavigationProperty Name=\"{name}\" Type=\"{NAMESPACE}.{}\"><ReferentialConstraint Property=\"{from}\" ReferencedProperty=\"{to}\"/></NavigationProperty>\n",
                type_name(*target)
            ));
        }
        x.push_str("</EntityType>\n");
    }
    x.push_str("<EntityContainer Name=\"Container\">\n");
    for t in Table::ALL {
        x.push_str(&format!(
            "<EntitySet Name=\"{}\" EntityType=\"{NAMESPACE}.{}\">",
            set_name(t),
            type_name(t)
        ));
        for (name, _, target, _) in navigation(t) {
            x.push_str(&format!(
                "<NavigationPropertyBinding Path=\"{name}\" Target=\"{}\"/>",
                set_name(*target)
            ));
        }
        x.push_str("</EntitySet>\n");
    }
    x.push_str("</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_a_set_whose_navigation_names_real_columns() {
        for t in Table::ALL {
            assert_eq!(table_of(&set_name(t)), Some(t));
            for (_, from, target, to) in navigation(t) {
                assert!(t.column(from).is_some(), "{}.{from}", t.name());
                assert!(target.column(to).is_some(), "{}.{to}", target.name());
            }
        }
        assert_eq!(set_name(Table::OrgUnits), "OrgUnits");
        let doc = document();
        assert!(doc.contains("<EntitySet Name=\"Observations\" EntityType=\"Styrhub.Observation\">"));
    }
}
