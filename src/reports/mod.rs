//! Reports: what happened to conversations in a period (outcomes, containment, response and
//! resolution times, queue wait, escalation causes, agents' work), by day. Pure: the store
//! reads the facts, `build` counts them.

pub mod chart;
pub mod period;

use std::collections::BTreeMap;

use serde::Serialize;

pub use period::{Period, PeriodError};

use crate::store::reports::{ConversationFacts, EscalationFact, WorkFact};
use crate::store::{self, Store, StoreError};

/// Everything a report is made of, as read from the store.
#[derive(Debug, Default)]
pub struct Facts {
    pub conversations: Vec<ConversationFacts>,
    pub escalations: Vec<EscalationFact>,
    pub work: Vec<WorkFact>,
    /// Skills of the conversations waiting in the queue now, with when they were queued.
    pub waiting: Vec<(String, i64)>,
}

impl Facts {
    pub async fn read(store: &Store, period: &Period) -> Result<Self, StoreError> {
        let (from, to) = (period.start_ms(), period.end_ms());
        let waiting = store::routing::all(store)
            .await?
            .into_iter()
            .filter(|r| r.placed.place.agent_id().is_none())
            .map(|r| (r.placed.item.skill, r.placed.item.enqueued_at_ms))
            .collect();
        Ok(Self {
            conversations: store::reports::conversations(store, from, to).await?,
            escalations: store::reports::escalations(store, from, to).await?,
            work: store::reports::work(store, from, to).await?,
            waiting,
        })
    }
}

/// Count, median and 90th percentile of a duration (ms); no figures without samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stat {
    pub count: usize,
    pub p50_ms: Option<i64>,
    pub p90_ms: Option<i64>,
}

impl Stat {
    pub fn of(mut samples: Vec<i64>) -> Self {
        samples.sort_unstable();
        Self {
            count: samples.len(),
            p50_ms: percentile(&samples, 50),
            p90_ms: percentile(&samples, 90),
        }
    }
}

/// Nearest-rank percentile of sorted samples: a value that really occurred.
pub fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// What became of the conversations that started in the period. Each counts once, under the
/// furthest it went: escalated, else ticketed, else answered by the bot, else liked.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcomes {
    pub total: usize,
    pub auto_answered: usize,
    pub liked: usize,
    pub ticketed: usize,
    pub escalated: usize,
    /// The bot neither answered nor reacted (silence, notices only).
    pub unanswered: usize,
}

impl Outcomes {
    fn add(&mut self, c: &ConversationFacts) {
        self.total += 1;
        if c.escalated {
            self.escalated += 1;
        } else if c.ticketed {
            self.ticketed += 1;
        } else if c.replied {
            self.auto_answered += 1;
        } else if c.liked {
            self.liked += 1;
        } else {
            self.unanswered += 1;
        }
    }

    /// Share of conversations no person had to touch (neither escalated nor ticketed).
    pub fn containment_rate(&self) -> Option<f64> {
        let contained = self.total - self.escalated - self.ticketed;
        (self.total > 0).then(|| contained as f64 / self.total as f64)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Resolved {
    pub total: usize,
    /// Every configured disposition, in the configured order (zero counts included), then any
    /// code no longer configured.
    pub by_disposition: Vec<Count>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    pub key: String,
    pub count: usize,
}

/// Response and resolution figures of one channel or one skill.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Breakdown {
    pub key: String,
    pub escalations: usize,
    pub resolved: usize,
    pub first_response: Stat,
    pub time_to_resolve: Stat,
    pub queue_wait: Stat,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AgentFigures {
    pub agent_id: i64,
    pub login: String,
    pub name: String,
    /// Assignments that ended in the period, however they ended.
    pub handled: usize,
    pub resolved: usize,
    pub handed_back: usize,
    pub transferred: usize,
    /// From accepting to the agent's first reply.
    pub first_response: Stat,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Day {
    pub date: String,
    #[serde(flatten)]
    pub outcomes: Outcomes,
    pub containment_rate: Option<f64>,
    pub resolved: usize,
    pub first_response: Stat,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WaitingNow {
    pub count: usize,
    pub longest_ms: Option<i64>,
    pub by_skill: Vec<Count>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub time_zone: String,
    pub conversations: Outcomes,
    pub containment_rate: Option<f64>,
    pub resolved: Resolved,
    pub handed_back: usize,
    /// From escalation to the first reply a person sent.
    pub first_response: Stat,
    /// From escalation to resolution.
    pub time_to_resolve: Stat,
    /// From entering the queue to an agent accepting.
    pub queue_wait: Stat,
    pub by_channel: Vec<Breakdown>,
    pub by_skill: Vec<Breakdown>,
    pub escalation_causes: Vec<Count>,
    pub agents: Vec<AgentFigures>,
    pub days: Vec<Day>,
    pub waiting_now: WaitingNow,
}

/// One escalation's assignments taken together (transfers make several).
struct Episode<'a> {
    rows: Vec<&'a WorkFact>,
}

impl Episode<'_> {
    fn first(&self) -> &WorkFact {
        self.rows[0]
    }

    fn last(&self) -> &WorkFact {
        self.rows[self.rows.len() - 1]
    }

    fn first_reply_at(&self) -> Option<i64> {
        self.rows.iter().filter_map(|w| w.first_reply_at).min()
    }

    /// When and how it was resolved, if its last assignment ended so.
    fn resolution(&self) -> Option<(i64, &str)> {
        let w = self.last();
        match (w.outcome.as_deref(), w.ended_at) {
            (Some("resolved"), Some(at)) => Some((at, w.disposition.as_deref().unwrap_or(""))),
            _ => None,
        }
    }
}

fn episodes(work: &[WorkFact]) -> Vec<Episode<'_>> {
    let mut out: Vec<Episode> = Vec::new();
    for w in work {
        match out.last_mut() {
            Some(e)
                if e.first().conversation_id == w.conversation_id
                    && e.first().escalated_at == w.escalated_at =>
            {
                e.rows.push(w)
            }
            _ => out.push(Episode { rows: vec![w] }),
        }
    }
    out
}

#[derive(Default)]
struct Samples {
    escalations: usize,
    resolved: usize,
    first_response: Vec<i64>,
    time_to_resolve: Vec<i64>,
    queue_wait: Vec<i64>,
}

impl Samples {
    fn finish(self, key: String) -> Breakdown {
        Breakdown {
            key,
            escalations: self.escalations,
            resolved: self.resolved,
            first_response: Stat::of(self.first_response),
            time_to_resolve: Stat::of(self.time_to_resolve),
            queue_wait: Stat::of(self.queue_wait),
        }
    }
}

fn counts(map: BTreeMap<String, usize>) -> Vec<Count> {
    let mut v: Vec<Count> = map
        .into_iter()
        .map(|(key, count)| Count { key, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v
}

/// The report of `period` from `facts`; `now_ms` dates the waiting queue.
pub fn build(period: &Period, dispositions: &[String], facts: &Facts, now_ms: i64) -> Report {
    let dates = period.dates();
    let mut days: Vec<Day> = dates
        .iter()
        .map(|d| Day {
            date: d.to_string(),
            ..Day::default()
        })
        .collect();
    let mut day_frt: Vec<Vec<i64>> = vec![Vec::new(); days.len()];

    let mut outcomes = Outcomes::default();
    for c in &facts.conversations {
        outcomes.add(c);
        if let Some(i) = period.day_index(c.created_at) {
            days[i].outcomes.add(c);
        }
    }

    let (mut by_channel, mut by_skill) = (
        BTreeMap::<String, Samples>::new(),
        BTreeMap::<String, Samples>::new(),
    );
    let mut causes = BTreeMap::<String, usize>::new();
    for e in &facts.escalations {
        *causes.entry(e.cause.clone()).or_default() += 1;
        by_channel.entry(e.channel.clone()).or_default().escalations += 1;
        by_skill.entry(e.skill.clone()).or_default().escalations += 1;
    }

    let mut all = Samples::default();
    let mut resolved_by = BTreeMap::<String, usize>::new();
    let mut handed_back = 0;
    for ep in episodes(&facts.work) {
        let (channel, skill) = (ep.first().channel.clone(), ep.first().skill.clone());
        let escalated_at = ep.first().escalated_at;
        let mut frt = None;
        if let Some(at) = ep.first_reply_at().filter(|at| period.contains(*at)) {
            frt = Some(at - escalated_at);
            if let Some(i) = period.day_index(at) {
                day_frt[i].push(at - escalated_at);
            }
        }
        let resolved = ep.resolution().filter(|(at, _)| period.contains(*at));
        if let Some((at, code)) = resolved {
            *resolved_by.entry(code.to_string()).or_default() += 1;
            if let Some(i) = period.day_index(at) {
                days[i].resolved += 1;
            }
        }
        let last = ep.last();
        if last.outcome.as_deref() == Some("handed_back")
            && last.ended_at.is_some_and(|at| period.contains(at))
        {
            handed_back += 1;
        }
        let waits: Vec<i64> = ep
            .rows
            .iter()
            .filter(|w| period.contains(w.accepted_at))
            .map(|w| w.accepted_at - w.enqueued_at)
            .collect();
        for s in [
            &mut all,
            by_channel.entry(channel).or_default(),
            by_skill.entry(skill).or_default(),
        ] {
            if let Some(ms) = frt {
                s.first_response.push(ms);
            }
            if let Some((at, _)) = resolved {
                s.resolved += 1;
                s.time_to_resolve.push(at - escalated_at);
            }
            s.queue_wait.extend(&waits);
        }
    }

    let mut agents = BTreeMap::<i64, (AgentFigures, Vec<i64>)>::new();
    for w in &facts.work {
        let (a, frts) = agents.entry(w.agent_id).or_insert_with(|| {
            let figures = AgentFigures {
                agent_id: w.agent_id,
                login: w.login.clone(),
                name: w.name.clone(),
                ..AgentFigures::default()
            };
            (figures, Vec::new())
        });
        if let Some(at) = w.first_reply_at.filter(|at| period.contains(*at)) {
            frts.push(at - w.accepted_at);
        }
        if w.ended_at.is_some_and(|at| period.contains(at)) {
            a.handled += 1;
            match w.outcome.as_deref() {
                Some("resolved") => a.resolved += 1,
                Some("handed_back") => a.handed_back += 1,
                Some("transferred") => a.transferred += 1,
                _ => {}
            }
        }
    }
    let mut agents: Vec<AgentFigures> = agents
        .into_values()
        .map(|(mut a, frts)| {
            a.first_response = Stat::of(frts);
            a
        })
        .collect();
    agents.sort_by(|a, b| b.handled.cmp(&a.handled).then(a.login.cmp(&b.login)));

    let mut by_disposition: Vec<Count> = dispositions
        .iter()
        .map(|d| Count {
            key: d.clone(),
            count: resolved_by.remove(d).unwrap_or(0),
        })
        .collect();
    by_disposition.extend(counts(resolved_by));

    for (day, frts) in days.iter_mut().zip(day_frt) {
        day.containment_rate = day.outcomes.containment_rate();
        day.first_response = Stat::of(frts);
    }

    let mut waiting_by = BTreeMap::<String, usize>::new();
    for (skill, _) in &facts.waiting {
        *waiting_by.entry(skill.clone()).or_default() += 1;
    }
    let waiting_now = WaitingNow {
        count: facts.waiting.len(),
        longest_ms: facts.waiting.iter().map(|(_, at)| now_ms - at).max(),
        by_skill: counts(waiting_by),
    };

    Report {
        from: period.from.to_string(),
        to: period.to.to_string(),
        time_zone: period.tz.name().to_string(),
        containment_rate: outcomes.containment_rate(),
        conversations: outcomes,
        resolved: Resolved {
            total: by_disposition.iter().map(|c| c.count).sum(),
            by_disposition,
        },
        handed_back,
        first_response: Stat::of(all.first_response),
        time_to_resolve: Stat::of(all.time_to_resolve),
        queue_wait: Stat::of(all.queue_wait),
        by_channel: by_channel.into_iter().map(|(k, s)| s.finish(k)).collect(),
        by_skill: by_skill.into_iter().map(|(k, s)| s.finish(k)).collect(),
        escalation_causes: counts(causes),
        agents,
        days,
        waiting_now,
    }
}

#[cfg(test)]
mod tests;
