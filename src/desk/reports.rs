//! The report of a period as an operation: the period a person or the API names, read from the
//! store and counted (`reports::build`), for `/v1/reports` and the console's reports page.

use serde::Deserialize;

use super::DeskError;
use crate::engine::Engine;
use crate::reports::{self, Facts, Period, Report};

/// The period as a query names it (`from`, `to`; the last seven days by default).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The report of the period `q` names; a period that does not parse is `BadInput`.
pub async fn build(engine: &Engine, q: &PeriodQuery) -> Result<Report, DeskError> {
    let period = Period::parse(
        q.from.as_deref(),
        q.to.as_deref(),
        engine.calendar.time_zone(),
        engine.clock.now(),
    )
    .map_err(|e| DeskError::BadInput(e.to_string()))?;
    let facts = Facts::read(&engine.store, &period).await?;
    Ok(reports::build(
        &period,
        &engine.settings.routing.dispositions,
        &facts,
        engine.clock.now_ms(),
    ))
}
