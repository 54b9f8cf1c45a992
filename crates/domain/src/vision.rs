//! Vision, values and focus areas: the top of the governance chain.

use serde::{Deserialize, Serialize};

/// A long-term vision with its values (värdegrund).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vision {
    /// Database id.
    pub id: i64,
    /// The municipality it belongs to.
    pub municipality_id: i64,
    /// Natural key, e.g. `vision-2040`.
    pub key: String,
    /// Title, e.g. "Vision 2040".
    pub title: String,
    /// The vision statement as written.
    pub statement: String,
    /// The year the vision looks to.
    pub horizon_year: Option<i32>,
    /// Values (värdegrund) that go with it.
    pub values: Vec<String>,
}

/// A focus area (fokusområde, målområde) that groups goals under a vision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FocusArea {
    /// Database id.
    pub id: i64,
    /// The vision it belongs to.
    pub vision_id: i64,
    /// Natural key, e.g. `livskvalitet`.
    pub key: String,
    /// Title as written.
    pub title: String,
    /// Description as written.
    pub description: Option<String>,
    /// Order under the vision.
    pub position: i32,
}
