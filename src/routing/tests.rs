//! Unit tests of the assignment rules, one rule per test, named as the rule.

use std::collections::BTreeMap;

use super::*;

const T0: i64 = 1_700_000_000_000;
const SEC: i64 = 1000;

fn agent(id: i64, skills: &[(&str, u8)], capacity: u32) -> Agent {
    Agent {
        id,
        login: format!("agent{id}"),
        name: format!("Agent {id}"),
        role: Role::Agent,
        skills: skills
            .iter()
            .map(|(s, l)| (s.to_string(), *l))
            .collect::<BTreeMap<_, _>>(),
        groups: Vec::new(),
        capacity,
        status: Status::Online,
        idle_since_ms: T0 - 60 * SEC,
    }
}

fn router(agents: Vec<Agent>) -> Switchboard {
    router_with(RoutingConfig::default(), agents)
}

fn router_with(config: RoutingConfig, agents: Vec<Agent>) -> Switchboard {
    let mut r = Switchboard::new(config).expect("valid config");
    for a in agents {
        r.upsert_agent(a, T0).expect("valid agent");
    }
    r
}

fn item(conversation_id: i64, skill: &str, priority: Priority, at: i64) -> QueueItem {
    QueueItem::new(conversation_id, skill, priority, "negative sentiment", at)
}

fn offers(effects: &[Effect]) -> Vec<(i64, i64)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Offered {
                conversation_id,
                agent_id,
                ..
            } => Some((*conversation_id, *agent_id)),
            _ => None,
        })
        .collect()
}

/// Enqueue, offer and accept `conversation_id` for `agent_id` (the only free candidate).
fn assign(r: &mut Switchboard, conversation_id: i64, agent_id: i64, now: i64) {
    r.enqueue(item(conversation_id, "billing", Priority::Normal, now))
        .expect("enqueued");
    let e = r.tick(now);
    assert_eq!(offers(&e), vec![(conversation_id, agent_id)]);
    r.accept(conversation_id, agent_id, now).expect("accepted");
}

#[test]
fn the_least_loaded_agent_gets_the_offer() {
    let mut r = router(vec![
        agent(1, &[("billing", 3)], 3),
        agent(2, &[("billing", 3)], 3),
    ]);
    r.set_status(2, Status::Away, T0).unwrap();
    assign(&mut r, 10, 1, T0);
    r.set_status(2, Status::Online, T0).unwrap();
    r.enqueue(item(11, "billing", Priority::Normal, T0))
        .unwrap();
    assert_eq!(offers(&r.tick(T0 + SEC)), vec![(11, 2)]);
}

#[test]
fn open_offers_count_as_load_when_spreading_work() {
    let mut r = router(vec![
        agent(1, &[("billing", 3)], 3),
        agent(2, &[("billing", 3)], 3),
    ]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    r.enqueue(item(11, "billing", Priority::Normal, T0))
        .unwrap();
    let mut got = offers(&r.tick(T0));
    got.sort();
    assert_eq!(got, vec![(10, 1), (11, 2)]);
}

#[test]
fn with_equal_load_the_longest_idle_agent_gets_the_offer() {
    let mut a1 = agent(1, &[("billing", 3)], 2);
    let mut a2 = agent(2, &[("billing", 3)], 2);
    a1.idle_since_ms = T0 - 10 * SEC;
    a2.idle_since_ms = T0 - 90 * SEC;
    let mut r = router(vec![a1, a2]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    assert_eq!(offers(&r.tick(T0)), vec![(10, 2)]);
}

#[test]
fn with_equal_load_and_idle_time_the_lowest_id_gets_the_offer() {
    let mut r = router(vec![
        agent(7, &[("billing", 3)], 2),
        agent(3, &[("billing", 3)], 2),
    ]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    assert_eq!(offers(&r.tick(T0)), vec![(10, 3)]);
}

#[test]
fn agents_without_the_skill_get_no_offer() {
    let mut r = router(vec![
        agent(1, &[("shipping", 5)], 2),
        agent(2, &[("billing", 1)], 2),
    ]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    assert_eq!(offers(&r.tick(T0)), vec![(10, 2)]);
}

#[test]
fn agents_below_the_minimum_skill_level_get_no_offer() {
    let config = RoutingConfig {
        min_skill_level: 3,
        ..RoutingConfig::default()
    };
    let mut r = router_with(
        config,
        vec![
            agent(1, &[("billing", 2)], 2),
            agent(2, &[("billing", 3)], 2),
        ],
    );
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    assert_eq!(offers(&r.tick(T0)), vec![(10, 2)]);
}

#[test]
fn skill_levels_outside_one_to_five_are_refused() {
    let mut r = router(vec![]);
    let err = r
        .upsert_agent(agent(1, &[("billing", 6)], 1), T0)
        .unwrap_err();
    assert!(matches!(err, RoutingError::BadSkillLevel { level: 6, .. }));
    assert!(r.upsert_agent(agent(1, &[("billing", 0)], 1), T0).is_err());
}

#[test]
fn an_agent_at_capacity_gets_no_more_offers() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 1)]);
    assign(&mut r, 10, 1, T0);
    r.enqueue(item(11, "billing", Priority::Urgent, T0))
        .unwrap();
    assert!(offers(&r.tick(T0 + SEC)).is_empty());
    r.resolve(10, 1, "resolved", T0 + 2 * SEC).unwrap();
    assert_eq!(offers(&r.tick(T0 + 2 * SEC)), vec![(11, 1)]);
}

#[test]
fn open_offers_count_against_capacity() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 1)]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    r.enqueue(item(11, "billing", Priority::Normal, T0))
        .unwrap();
    assert_eq!(offers(&r.tick(T0)), vec![(10, 1)]);
    assert!(r.queue().contains_key(&11));
}

#[test]
fn higher_priority_is_offered_first_then_the_longest_waiting() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 1)]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    r.enqueue(item(11, "billing", Priority::High, T0 + 2 * SEC))
        .unwrap();
    r.enqueue(item(12, "billing", Priority::High, T0 + SEC))
        .unwrap();
    let order: Vec<i64> = (0..3)
        .map(|k| {
            let now = T0 + (10 + k) * SEC;
            let got = offers(&r.tick(now));
            assert_eq!(got.len(), 1, "one slot, one offer");
            r.accept(got[0].0, 1, now).unwrap();
            r.resolve(got[0].0, 1, "resolved", now).unwrap();
            got[0].0
        })
        .collect();
    assert_eq!(order, vec![12, 11, 10]);
}

#[test]
fn wait_only_order_ignores_priority() {
    let config = RoutingConfig {
        priority_order: QueueOrder::WaitOnly,
        ..RoutingConfig::default()
    };
    let mut r = router_with(config, vec![agent(1, &[("billing", 3)], 1)]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    r.enqueue(item(11, "billing", Priority::Urgent, T0 + SEC))
        .unwrap();
    assert_eq!(offers(&r.tick(T0 + 2 * SEC)), vec![(10, 1)]);
}

#[test]
fn an_item_is_not_offered_before_its_not_before_time() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 2)]);
    let mut waiting = item(10, "billing", Priority::Urgent, T0);
    waiting.not_before_ms = Some(T0 + 3600 * SEC);
    r.enqueue(waiting).unwrap();
    assert!(r.tick(T0 + 60 * SEC).is_empty(), "no offer, no notice");
    assert_eq!(offers(&r.tick(T0 + 3600 * SEC)), vec![(10, 1)]);
}

#[test]
fn an_expired_offer_goes_back_to_the_queue_and_to_the_next_agent() {
    let mut r = router(vec![
        agent(1, &[("billing", 3)], 2),
        agent(2, &[("billing", 3)], 2),
    ]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    assert_eq!(offers(&r.tick(T0)), vec![(10, 1)]);
    assert!(offers(&r.tick(T0 + 29 * SEC)).is_empty(), "not yet expired");
    let e = r.tick(T0 + 30 * SEC);
    assert!(e.contains(&Effect::OfferExpired {
        conversation_id: 10,
        agent_id: 1
    }));
    assert_eq!(offers(&e), vec![(10, 2)]);
    assert_eq!(r.offers()[&10].item.declined_by, vec![1]);
}

#[test]
fn an_expired_offer_returns_to_the_same_agent_when_nobody_else_qualifies() {
    let mut r = router(vec![
        agent(1, &[("billing", 3)], 2),
        agent(2, &[("shipping", 3)], 2),
    ]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    r.tick(T0);
    assert_eq!(offers(&r.tick(T0 + 30 * SEC)), vec![(10, 1)]);
}

#[test]
fn a_declined_offer_goes_to_the_next_agent() {
    let mut r = router(vec![
        agent(1, &[("billing", 3)], 2),
        agent(2, &[("billing", 3)], 2),
    ]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    r.tick(T0);
    let e = r.decline(10, 1).unwrap();
    assert!(matches!(
        e[..],
        [Effect::Requeued {
            conversation_id: 10,
            agent_id: Some(1),
            reason: RequeueReason::Declined
        }]
    ));
    assert_eq!(offers(&r.tick(T0 + SEC)), vec![(10, 2)]);
    assert!(matches!(
        r.decline(10, 1),
        Err(RoutingError::OfferedToAnother { .. })
    ));
}

#[test]
fn going_offline_returns_open_offers_but_keeps_accepted_conversations() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 2)]);
    assign(&mut r, 10, 1, T0);
    r.enqueue(item(11, "billing", Priority::Normal, T0))
        .unwrap();
    assert_eq!(offers(&r.tick(T0)), vec![(11, 1)]);
    let e = r.set_status(1, Status::Offline, T0 + SEC).unwrap();
    assert_eq!(
        e,
        vec![Effect::Requeued {
            conversation_id: 11,
            agent_id: Some(1),
            reason: RequeueReason::AgentUnavailable
        }]
    );
    assert!(r.queue().contains_key(&11));
    assert_eq!(r.assignments()[&10].agent_id, 1);
    assert_eq!(r.load(1), 1);
}

#[test]
fn going_away_returns_open_offers_and_away_agents_get_none() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 2)]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    r.tick(T0);
    r.set_status(1, Status::Away, T0).unwrap();
    assert!(r.offers().is_empty());
    assert!(offers(&r.tick(T0 + SEC)).is_empty());
}

#[test]
fn coming_online_counts_idle_time_from_then() {
    let mut r = router(vec![
        agent(1, &[("billing", 3)], 2),
        agent(2, &[("billing", 3)], 2),
    ]);
    r.set_status(1, Status::Offline, T0).unwrap();
    r.set_status(1, Status::Online, T0 + SEC).unwrap();
    assert_eq!(r.agents()[&1].idle_since_ms, T0 + SEC);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    assert_eq!(offers(&r.tick(T0 + 2 * SEC)), vec![(10, 2)]);
}

#[test]
fn accept_assigns_the_conversation_and_counts_it_as_load() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 2)]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    r.tick(T0);
    let e = r.accept(10, 1, T0 + 5 * SEC).unwrap();
    assert_eq!(
        e,
        vec![Effect::Assigned {
            conversation_id: 10,
            agent_id: 1
        }]
    );
    assert_eq!(r.load(1), 1);
    assert!(r.offers().is_empty() && r.queue().is_empty());
}

#[test]
fn accept_by_another_agent_is_refused() {
    let mut r = router(vec![
        agent(1, &[("billing", 3)], 2),
        agent(2, &[("billing", 3)], 2),
    ]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    r.tick(T0);
    let err = r.accept(10, 2, T0 + SEC).unwrap_err();
    assert_eq!(
        err,
        RoutingError::OfferedToAnother {
            conversation_id: 10,
            agent_id: 2
        }
    );
    assert_eq!(r.load(2), 0);
    assert_eq!(r.offers()[&10].offer.agent_id, 1);
}

#[test]
fn accept_after_expiry_is_refused() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 2)]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    r.tick(T0);
    let err = r.accept(10, 1, T0 + 30 * SEC).unwrap_err();
    assert!(matches!(err, RoutingError::OfferExpired { .. }));
    assert_eq!(r.load(1), 0);
    assert!(matches!(
        r.accept(99, 1, T0),
        Err(RoutingError::NotOffered(99))
    ));
}

#[test]
fn transfer_to_an_online_agent_with_capacity_is_a_direct_offer() {
    let mut r = router(vec![
        agent(1, &[("billing", 3)], 2),
        agent(2, &[("shipping", 3)], 2),
    ]);
    assign(&mut r, 10, 1, T0);
    let e = r.transfer(10, Target::Agent(2), T0 + SEC).unwrap();
    assert_eq!(
        offers(&e),
        vec![(10, 2)],
        "skill not required for a named agent"
    );
    assert_eq!(r.load(1), 0);
    assert_eq!(r.agents()[&1].idle_since_ms, T0 + SEC);
    r.accept(10, 2, T0 + 2 * SEC).unwrap();
    assert_eq!(r.load(2), 1);
}

#[test]
fn transfer_to_an_unavailable_or_full_agent_is_refused_and_changes_nothing() {
    let mut r = router(vec![
        agent(1, &[("billing", 3)], 2),
        agent(2, &[("billing", 3)], 1),
    ]);
    r.set_status(1, Status::Away, T0).unwrap();
    assign(&mut r, 10, 2, T0);
    r.set_status(1, Status::Online, T0).unwrap();
    assign(&mut r, 11, 1, T0);
    assert!(matches!(
        r.transfer(11, Target::Agent(2), T0),
        Err(RoutingError::AgentAtCapacity { agent_id: 2, .. })
    ));
    r.set_status(2, Status::Offline, T0).unwrap();
    assert!(matches!(
        r.transfer(11, Target::Agent(2), T0),
        Err(RoutingError::AgentUnavailable {
            status: Status::Offline,
            ..
        })
    ));
    assert!(matches!(
        r.transfer(11, Target::Agent(9), T0),
        Err(RoutingError::UnknownAgent(9))
    ));
    assert_eq!(r.assignments()[&11].agent_id, 1);
    assert_eq!(r.load(1), 1);
}

#[test]
fn transfer_to_a_group_requeues_for_its_members_only() {
    let mut member = agent(2, &[], 2);
    member.groups = vec!["private_messages".into()];
    let mut r = router(vec![
        agent(1, &[("billing", 3)], 2),
        member,
        agent(3, &[("billing", 5)], 2),
    ]);
    r.set_status(2, Status::Away, T0).unwrap();
    r.set_status(3, Status::Away, T0).unwrap();
    assign(&mut r, 10, 1, T0);
    r.set_status(2, Status::Online, T0).unwrap();
    r.set_status(3, Status::Online, T0).unwrap();
    let e = r
        .transfer(10, Target::Group("private_messages".into()), T0 + SEC)
        .unwrap();
    assert!(matches!(
        e[..],
        [Effect::Requeued {
            conversation_id: 10,
            agent_id: Some(1),
            reason: RequeueReason::Transferred
        }]
    ));
    assert_eq!(r.queue()[&10].enqueued_at_ms, T0 + SEC, "a fresh wait");
    assert_eq!(offers(&r.tick(T0 + SEC)), vec![(10, 2)]);
}

#[test]
fn transfer_to_a_skill_requeues_with_that_skill() {
    let mut r = router(vec![
        agent(1, &[("billing", 3)], 2),
        agent(2, &[("legal", 3)], 2),
    ]);
    assign(&mut r, 10, 1, T0);
    r.transfer(10, Target::Skill("legal".into()), T0 + SEC)
        .unwrap();
    assert_eq!(r.queue()[&10].skill, "legal");
    assert_eq!(offers(&r.tick(T0 + SEC)), vec![(10, 2)]);
    assert!(matches!(
        r.transfer(99, Target::Skill("legal".into()), T0),
        Err(RoutingError::UnknownConversation(99))
    ));
}

#[test]
fn resolve_needs_a_listed_disposition_and_the_error_names_the_allowed_codes() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 2)]);
    assign(&mut r, 10, 1, T0);
    let err = r.resolve(10, 1, "fixed", T0).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("\"fixed\""), "{text}");
    assert!(text.contains("resolved, refund_issued, replacement_sent, no_response, spam"));
    assert!(
        r.resolve(10, 1, "", T0).is_err(),
        "a disposition is required"
    );
    assert_eq!(r.load(1), 1, "nothing changed");
    let e = r.resolve(10, 1, "refund_issued", T0 + SEC).unwrap();
    assert_eq!(
        e,
        vec![Effect::Resolved {
            conversation_id: 10,
            agent_id: 1,
            disposition: "refund_issued".into()
        }]
    );
    assert!(r.assignments().is_empty());
}

#[test]
fn resolve_by_another_agent_is_refused() {
    let mut r = router(vec![
        agent(1, &[("billing", 3)], 2),
        agent(2, &[("billing", 3)], 2),
    ]);
    assign(&mut r, 10, 1, T0);
    assert_eq!(
        r.resolve(10, 2, "resolved", T0),
        Err(RoutingError::NotAssignedTo {
            conversation_id: 10,
            agent_id: 2
        })
    );
}

#[test]
fn resolving_the_last_conversation_makes_the_agent_idle_from_then() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 2)]);
    assign(&mut r, 10, 1, T0);
    r.enqueue(item(11, "billing", Priority::Normal, T0))
        .unwrap();
    r.tick(T0);
    r.accept(11, 1, T0).unwrap();
    r.resolve(10, 1, "resolved", T0 + SEC).unwrap();
    assert_eq!(r.agents()[&1].idle_since_ms, T0 - 60 * SEC, "still busy");
    r.resolve(11, 1, "resolved", T0 + 2 * SEC).unwrap();
    assert_eq!(r.agents()[&1].idle_since_ms, T0 + 2 * SEC);
    assert_eq!(r.load(1), 0);
}

#[test]
fn hand_back_frees_the_agent_and_leaves_routing() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 2)]);
    assign(&mut r, 10, 1, T0);
    let e = r.hand_back(10, T0 + SEC).unwrap();
    assert_eq!(
        e,
        vec![Effect::HandBack {
            conversation_id: 10,
            agent_id: 1
        }]
    );
    assert_eq!(r.load(1), 0);
    assert!(r.assignments().is_empty() && r.queue().is_empty());
    assert_eq!(r.hand_back(10, T0), Err(RoutingError::NotAssigned(10)));
    r.enqueue(item(10, "billing", Priority::Normal, T0 + 5 * SEC))
        .expect("can escalate again");
}

#[test]
fn the_waiting_notice_is_sent_once_when_no_online_agent_has_the_skill() {
    let mut r = router(vec![
        agent(1, &[("billing", 3)], 2),
        agent(2, &[("legal", 3)], 2),
    ]);
    r.set_status(2, Status::Offline, T0).unwrap();
    r.enqueue(item(10, "legal", Priority::Normal, T0)).unwrap();
    let notices = |e: &[Effect]| {
        e.iter()
            .filter(|e| matches!(e, Effect::WaitingNotice { .. }))
            .count()
    };
    let e = r.tick(T0);
    assert_eq!(notices(&e), 1);
    assert!(
        matches!(&e[0], Effect::WaitingNotice { conversation_id: 10, message }
        if *message == RoutingConfig::default().waiting_message)
    );
    assert_eq!(notices(&r.tick(T0 + SEC)), 0);
    r.set_status(2, Status::Online, T0 + 2 * SEC).unwrap();
    assert_eq!(offers(&r.tick(T0 + 2 * SEC)), vec![(10, 2)]);
}

#[test]
fn an_empty_waiting_message_switches_the_notice_off() {
    let config = RoutingConfig {
        waiting_message: "  ".into(),
        ..RoutingConfig::default()
    };
    let mut r = router_with(config, vec![agent(1, &[("billing", 3)], 2)]);
    r.enqueue(item(10, "legal", Priority::Normal, T0)).unwrap();
    assert!(r.tick(T0).is_empty());
}

#[test]
fn no_waiting_notice_when_qualified_agents_are_only_busy() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 1)]);
    assign(&mut r, 10, 1, T0);
    r.enqueue(item(11, "billing", Priority::Normal, T0))
        .unwrap();
    assert!(r.tick(T0 + SEC).is_empty());
}

#[test]
fn the_sla_raises_priority_once_and_emits_an_event() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 1)]);
    assign(&mut r, 10, 1, T0);
    r.enqueue(item(11, "billing", Priority::Normal, T0))
        .unwrap();
    assert!(r.tick(T0 + 299 * SEC).is_empty());
    assert_eq!(
        r.tick(T0 + 300 * SEC),
        vec![Effect::SlaBreached {
            conversation_id: 11,
            priority: Priority::High
        }]
    );
    assert!(r.tick(T0 + 900 * SEC).is_empty(), "raised once");
    assert_eq!(r.queue()[&11].priority, Priority::High);
}

#[test]
fn the_sla_counts_from_the_opening_time_for_items_escalated_while_closed() {
    let mut r = router(vec![]);
    let mut waiting = item(10, "billing", Priority::Normal, T0);
    waiting.not_before_ms = Some(T0 + 3600 * SEC);
    waiting.waiting_notice_sent = true;
    r.enqueue(waiting).unwrap();
    assert!(r.tick(T0 + 3600 * SEC + 299 * SEC).is_empty());
    assert_eq!(r.tick(T0 + 3600 * SEC + 300 * SEC).len(), 1);
}

#[test]
fn a_conversation_cannot_be_enqueued_twice() {
    let mut r = router(vec![agent(1, &[("billing", 3)], 2)]);
    r.enqueue(item(10, "billing", Priority::Normal, T0))
        .unwrap();
    assert_eq!(
        r.enqueue(item(10, "billing", Priority::Normal, T0)),
        Err(RoutingError::AlreadyRouted(10))
    );
    r.tick(T0);
    assert!(r
        .enqueue(item(10, "billing", Priority::Normal, T0))
        .is_err());
}

#[test]
fn routing_config_defaults_parse_and_unknown_keys_are_refused() {
    let c: RoutingConfig = toml::from_str("").unwrap();
    assert_eq!(c, RoutingConfig::default());
    assert_eq!(c.offer_timeout_secs, 30);
    assert_eq!(c.sla_secs, 300);
    assert_eq!(c.priority_order, QueueOrder::PriorityThenWait);
    assert_eq!(c.min_skill_level, 1);
    let c: RoutingConfig =
        toml::from_str("priority_order = \"wait_only\"\ndispositions = [\"done\"]").unwrap();
    assert_eq!(c.priority_order, QueueOrder::WaitOnly);
    assert!(toml::from_str::<RoutingConfig>("offer_timeout = 5").is_err());
}

#[test]
fn routing_config_without_dispositions_or_with_a_zero_timeout_is_refused() {
    let empty = RoutingConfig {
        dispositions: Vec::new(),
        ..RoutingConfig::default()
    };
    assert!(matches!(
        Switchboard::new(empty),
        Err(RoutingError::Config(_))
    ));
    let zero = RoutingConfig {
        offer_timeout_secs: 0,
        ..RoutingConfig::default()
    };
    assert!(zero.validate().is_err());
    let level = RoutingConfig {
        min_skill_level: 6,
        ..RoutingConfig::default()
    };
    assert!(level.validate().is_err());
}
