//! Goal attainment over the hierarchy, as every protocol reports it: the indicators of the goal
//! and of every goal below it judged for an area (as of a year, when given), rolled up with the
//! domain's `roll_up_tree`.

use std::collections::HashMap;

use styrhub_domain::goal::Goal;
use styrhub_domain::ids::{AreaCode, GoalId, IndicatorId};
use styrhub_domain::indicator::Indicator;
use styrhub_domain::rules::evaluate::TargetStatus;
use styrhub_domain::rules::rollup::{roll_up_tree, Attainment};
use styrhub_domain::RepoError;

use crate::read::status::judge;
use crate::read::{load, Batch, LoadError, Loaders};

/// Each indicator's verdict for `area` (as of a year, when given): the verdicts a list prefetched
/// in this request where it has them, the others judged together (and, through the loaders,
/// together with the attainments of sibling goals in a list).
pub async fn statuses<'a>(
    l: &Loaders,
    indicators: impl Iterator<Item = &'a Indicator>,
    area: &AreaCode,
    as_of: Option<i32>,
    batch: Batch,
) -> Result<HashMap<i64, TargetStatus>, LoadError> {
    let mut out = HashMap::new();
    let mut rest = Vec::new();
    for i in indicators {
        // The prefetched verdicts are of the latest values.
        match l.facts_of(IndicatorId(i.id)).filter(|f| f.area == area.as_str() && as_of.is_none()) {
            Some(f) => {
                out.insert(i.id, f.judged.status.status);
            }
            None => rest.push(i.clone()),
        }
    }
    let judged = judge(l, &rest, area, as_of, batch).await?;
    out.extend(rest.iter().zip(judged).map(|(i, j)| (i.id, j.status.status)));
    Ok(out)
}

/// The attainment of `goal` for `area`, rolled up from its indicators and, recursively, the
/// goals below it (archived goals do not count).
pub async fn attainment(l: &Loaders, goal: &Goal, area: &AreaCode, as_of: Option<i32>, batch: Batch) -> Result<Attainment, LoadError> {
    let mut all = attainments(l, goal, area, as_of, batch, &[goal.id]).await?;
    all.remove(&goal.id)
        .ok_or_else(|| std::sync::Arc::new(RepoError::Internal(format!("no attainment for goal {}", goal.id))))
}

/// The attainment of each goal of `nodes` (`root` or goals below it), as [`attainment`] judges
/// each, from one read of the tree below `root`: the goals, their indicators, their verdicts.
pub async fn attainments(
    l: &Loaders,
    root: &Goal,
    area: &AreaCode,
    as_of: Option<i32>,
    batch: Batch,
    nodes: &[i64],
) -> Result<HashMap<i64, Attainment>, LoadError> {
    let graph = load(&l.goal_graph, vec![root.municipality_id], batch)
        .await?
        .remove(&root.municipality_id)
        .ok_or_else(|| std::sync::Arc::new(RepoError::Internal("goal graph missing".into())))?;
    let all: Vec<i64> = std::iter::once(root.id)
        .chain(graph.descendants(root.id, None).into_iter().map(|r| r.id))
        .collect();
    let keys: Vec<GoalId> = all.iter().copied().map(GoalId).collect();
    let goals = load(&l.goal, keys.clone(), batch).await?;
    let indicators = load(&l.indicators_of_goal, keys, batch).await?;
    let unique: HashMap<i64, &Indicator> = indicators.values().flatten().map(|i| (i.id, i)).collect();
    let statuses = statuses(l, unique.into_values(), area, as_of, batch).await?;
    let own = |id: i64| -> Vec<TargetStatus> {
        indicators
            .get(&GoalId(id))
            .into_iter()
            .flatten()
            .filter_map(|i| statuses.get(&i.id).copied())
            .collect()
    };
    let counts = |id: i64| goals.get(&GoalId(id)).is_some_and(|g| !g.archived);
    Ok(nodes.iter().map(|n| (*n, roll_up_tree(*n, &graph, counts, own))).collect())
}
