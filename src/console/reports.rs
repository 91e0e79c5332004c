//! The reports page (`/console/reports`): the period's outcomes with a chart by day, response
//! and resolution times by channel and skill, escalation causes and agents' work. The figures
//! are `/v1/reports`'s; this page only lays them out.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::layout::{ago, render, Page};
use crate::desk::reports::{build, PeriodQuery};
use crate::desk::DeskError;
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::reports::{chart, Breakdown, Report, Stat};
use crate::routing::Role;

pub const ROUTES: &[(&str, &str, Role)] = &[("GET", "/console/reports", Role::Supervisor)];

pub fn router() -> Router<AppState> {
    Router::new().route("/console/reports", get(page))
}

#[derive(Template)]
#[template(path = "console/reports.html")]
struct ReportsPage {
    page: Page,
    from: String,
    to: String,
    error: Option<String>,
    report: Option<Report>,
    chart: String,
    legend: Vec<(&'static str, &'static str)>,
    breakdowns: Vec<BreakdownTable>,
    json_link: String,
}

struct BreakdownTable {
    title: &'static str,
    id: &'static str,
    key_label: &'static str,
    rows: Vec<Breakdown>,
}

/// How the page shows a figure; a dash where there is nothing to show.
trait Shown {
    fn shown(&self) -> String;
}

impl Shown for Stat {
    /// "p50 3 min · p90 12 min".
    fn shown(&self) -> String {
        match (self.p50_ms, self.p90_ms) {
            (Some(p50), Some(p90)) => format!("p50 {} · p90 {}", ago(p50), ago(p90)),
            _ => "—".into(),
        }
    }
}

/// A rate as a whole percentage.
impl Shown for Option<f64> {
    fn shown(&self) -> String {
        self.map_or("—".into(), |r| format!("{:.0}%", r * 100.0))
    }
}

/// A duration in ms.
impl Shown for Option<i64> {
    fn shown(&self) -> String {
        self.map_or("—".into(), ago)
    }
}

async fn page(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let (report, error) = match build(&state.engine, &q).await {
        Ok(r) => (Some(r), None),
        Err(DeskError::BadInput(e)) => (None, Some(e)),
        Err(e) => return Err(e.into()),
    };
    let (from, to) = match &report {
        Some(r) => (r.from.clone(), r.to.clone()),
        None => (q.from.unwrap_or_default(), q.to.unwrap_or_default()),
    };
    let json_link = format!(
        "/v1/reports?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("from", &from)
            .append_pair("to", &to)
            .finish()
    );
    let t = ReportsPage {
        page: Page::new(&p, &headers, "Reports", "reports"),
        chart: report
            .as_ref()
            .map(|r| chart::svg(&r.days))
            .unwrap_or_default(),
        legend: chart::SERIES.iter().map(|(c, l, _)| (*c, *l)).collect(),
        breakdowns: report
            .as_ref()
            .map(|r| {
                vec![
                    BreakdownTable {
                        title: "By channel",
                        id: "by-channel",
                        key_label: "Channel",
                        rows: r.by_channel.clone(),
                    },
                    BreakdownTable {
                        title: "By skill",
                        id: "by-skill",
                        key_label: "Skill",
                        rows: r.by_skill.clone(),
                    },
                ]
            })
            .unwrap_or_default(),
        from,
        to,
        error,
        report,
        json_link,
    };
    let mut resp = render(&t, &t.page);
    if t.error.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(resp)
}
