//! sea-orm entities, one file per table, matching the columns of the migrations in
//! `migrations/` (the store tests run those migrations and load every table).

pub mod api_token;
pub mod area;
pub mod area_group;
pub mod area_group_member;
pub mod assignment;
pub mod audit_entry;
pub mod basic_mission;
pub mod budget;
pub mod focus_area;
pub mod follow_up;
pub mod goal;
pub mod goal_assessment;
pub mod goal_parent;
pub mod governance_model;
pub mod indicator;
pub mod indicator_goal;
pub mod indicator_quality_factor;
pub mod indicator_status;
pub mod ingest_run;
pub mod kpi;
pub mod observation;
pub mod observation_revision;
pub mod org_unit;
pub mod political_direction;
pub mod quality_factor;
pub mod series_digest;
pub mod target;
pub mod vision;
