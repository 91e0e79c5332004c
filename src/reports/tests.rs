use chrono::{TimeZone, Utc};

use super::*;

const H: i64 = 3_600_000;
const M: i64 = 60_000;

fn period() -> Period {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
    Period::parse(Some("2026-11-30"), Some("2026-12-01"), chrono_tz::UTC, now).unwrap()
}

/// Unix ms of `hour` o'clock on 30 November (day 0) or 1 December (day 1), UTC.
fn at(day: i64, hour: i64) -> i64 {
    period().start_ms() + day * 24 * H + hour * H
}

fn conv(id: i64, created_at: i64, flags: &str) -> ConversationFacts {
    ConversationFacts {
        id,
        channel: "x".into(),
        created_at,
        escalated: flags.contains('e'),
        replied: flags.contains('r'),
        liked: flags.contains('l'),
        ticketed: flags.contains('t'),
    }
}

fn work(conversation_id: i64, agent: (i64, &str), escalated_at: i64) -> WorkFact {
    WorkFact {
        conversation_id,
        agent_id: agent.0,
        login: agent.1.into(),
        name: agent.1.to_uppercase(),
        channel: "x".into(),
        skill: "billing".into(),
        escalated_at,
        enqueued_at: escalated_at,
        accepted_at: escalated_at + M,
        first_reply_at: None,
        ended_at: None,
        outcome: None,
        disposition: None,
    }
}

fn dispositions() -> Vec<String> {
    vec!["refund_issued".into(), "answered".into()]
}

#[test]
fn percentiles_are_nearest_rank_values_that_occurred() {
    let v: Vec<i64> = (1..=10).collect();
    assert_eq!(percentile(&v, 50), Some(5));
    assert_eq!(percentile(&v, 90), Some(9));
    assert_eq!(percentile(&[7], 90), Some(7));
    assert_eq!(percentile(&[], 50), None);
    let s = Stat::of(vec![30, 10, 20]);
    assert_eq!((s.count, s.p50_ms, s.p90_ms), (3, Some(20), Some(30)));
}

#[test]
fn each_conversation_counts_once_under_the_furthest_it_went() {
    let facts = Facts {
        conversations: vec![
            conv(1, at(0, 9), "r"),
            conv(2, at(0, 10), "rl"),
            conv(3, at(0, 11), "l"),
            conv(4, at(1, 9), "re"),
            conv(5, at(1, 9), "t"),
            conv(6, at(1, 10), ""),
        ],
        ..Facts::default()
    };
    let r = build(&period(), &dispositions(), &facts, at(1, 12));
    let o = &r.conversations;
    assert_eq!(
        (
            o.total,
            o.auto_answered,
            o.liked,
            o.escalated,
            o.ticketed,
            o.unanswered
        ),
        (6, 2, 1, 1, 1, 1)
    );
    // Escalated and ticketed conversations needed a person: 4 of 6 were contained.
    assert_eq!(r.containment_rate, Some(4.0 / 6.0));
    assert_eq!(r.days.len(), 2);
    assert_eq!((r.days[0].outcomes.total, r.days[1].outcomes.total), (3, 3));
    assert_eq!(r.days[0].containment_rate, Some(1.0));
    assert_eq!(r.days[1].containment_rate, Some(1.0 / 3.0));
}

#[test]
fn an_empty_period_has_no_rates_and_no_times() {
    let r = build(&period(), &dispositions(), &Facts::default(), at(1, 12));
    assert_eq!(r.containment_rate, None);
    assert_eq!(r.first_response, Stat::default());
    assert_eq!(r.resolved.total, 0);
    // Every configured disposition is listed, even at zero, in the configured order.
    let keys: Vec<_> = r
        .resolved
        .by_disposition
        .iter()
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(keys, ["refund_issued", "answered"]);
}

#[test]
fn a_transferred_escalation_is_measured_whole_from_escalation_to_resolution() {
    let esc = at(0, 9);
    let mut first = work(1, (1, "ana"), esc);
    first.first_reply_at = Some(esc + 5 * M);
    first.ended_at = Some(esc + 10 * M);
    first.outcome = Some("transferred".into());
    let mut second = work(1, (2, "bo"), esc);
    second.enqueued_at = esc + 10 * M;
    second.accepted_at = esc + 12 * M;
    second.first_reply_at = Some(esc + 15 * M);
    second.ended_at = Some(esc + H);
    second.outcome = Some("resolved".into());
    second.disposition = Some("refund_issued".into());
    let facts = Facts {
        work: vec![first, second],
        ..Facts::default()
    };
    let r = build(&period(), &dispositions(), &facts, at(1, 12));
    // First response is the first reply anyone sent; resolution is the last assignment's end.
    assert_eq!(r.first_response.p50_ms, Some(5 * M));
    assert_eq!(r.first_response.count, 1);
    assert_eq!(r.time_to_resolve.p50_ms, Some(H));
    // Both waits count: one minute before ana, two before bo.
    assert_eq!(r.queue_wait.count, 2);
    assert_eq!(
        (r.queue_wait.p50_ms, r.queue_wait.p90_ms),
        (Some(M), Some(2 * M))
    );
    assert_eq!(r.resolved.total, 1);
    assert_eq!(r.resolved.by_disposition[0].count, 1);
    assert_eq!(r.days[0].resolved, 1);
    assert_eq!(r.by_skill[0].key, "billing");
    assert_eq!(r.by_skill[0].resolved, 1);
    let agents: Vec<_> = r
        .agents
        .iter()
        .map(|a| (a.login.as_str(), a.handled, a.resolved, a.transferred))
        .collect();
    assert_eq!(agents, [("ana", 1, 0, 1), ("bo", 1, 1, 0)]);
    // An agent's own first response runs from their acceptance.
    assert_eq!(r.agents[1].first_response.p50_ms, Some(3 * M));
}

#[test]
fn work_outside_the_period_is_not_counted_in_it() {
    let esc = period().start_ms() - 2 * H;
    let mut w = work(1, (1, "ana"), esc);
    w.first_reply_at = Some(esc + 30 * M); // the day before the period
    w.ended_at = Some(at(0, 1)); // inside
    w.outcome = Some("handed_back".into());
    let facts = Facts {
        work: vec![w],
        ..Facts::default()
    };
    let r = build(&period(), &dispositions(), &facts, at(1, 12));
    assert_eq!(r.first_response.count, 0);
    assert_eq!(r.queue_wait.count, 0);
    assert_eq!(r.handed_back, 1);
    assert_eq!(r.agents[0].handled, 1);
}

#[test]
fn escalation_causes_are_counted_most_frequent_first_with_the_queue_now() {
    let e = |cause: &str, skill: &str| EscalationFact {
        conversation_id: 1,
        channel: "slack".into(),
        skill: skill.into(),
        cause: cause.into(),
        created_at: at(0, 9),
    };
    let facts = Facts {
        escalations: vec![
            e("unsure", "general"),
            e("negative_sentiment", "billing"),
            e("negative_sentiment", "billing"),
        ],
        waiting: vec![("billing".into(), at(1, 11)), ("billing".into(), at(1, 10))],
        ..Facts::default()
    };
    let r = build(&period(), &dispositions(), &facts, at(1, 12));
    let causes: Vec<_> = r
        .escalation_causes
        .iter()
        .map(|c| (c.key.as_str(), c.count))
        .collect();
    assert_eq!(causes, [("negative_sentiment", 2), ("unsure", 1)]);
    assert_eq!(r.by_channel[0].key, "slack");
    assert_eq!(r.by_channel[0].escalations, 3);
    assert_eq!(r.waiting_now.count, 2);
    assert_eq!(r.waiting_now.longest_ms, Some(2 * H));
    assert_eq!(r.waiting_now.by_skill[0].count, 2);
}
