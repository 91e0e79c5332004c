//! Property test: random arrivals, agents, statuses, accepts, declines, transfers, resolves and
//! ticks never lose a conversation, never give one to two agents, never exceed a capacity, and
//! a refused operation changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

const SKILLS: [&str; 3] = ["billing", "shipping", "legal"];
const GROUP: &str = "private_messages";
const T0: i64 = 1_700_000_000_000;

#[derive(Debug, Clone)]
struct AgentSpec {
    levels: Vec<Option<u8>>,
    capacity: u32,
    in_group: bool,
}

#[derive(Debug, Clone)]
enum Op {
    Arrive {
        skill: usize,
        priority: u8,
        delay_ms: Option<u32>,
    },
    SetStatus {
        agent: usize,
        status: u8,
    },
    Accept {
        pick: usize,
        wrong_agent: bool,
    },
    Decline {
        pick: usize,
    },
    Resolve {
        pick: usize,
        listed: bool,
    },
    HandBack {
        pick: usize,
    },
    Transfer {
        pick: usize,
        target: u8,
        to: usize,
    },
    Tick {
        advance_ms: u32,
    },
    Withdraw {
        pick: usize,
    },
    /// Rebuild the router from its rows, as the desk does before every operation.
    Restore,
}

fn agent_spec() -> impl Strategy<Value = AgentSpec> {
    (
        prop::collection::vec(prop::option::of(1u8..=5), SKILLS.len()),
        0u32..4,
        any::<bool>(),
    )
        .prop_map(|(levels, capacity, in_group)| AgentSpec {
            levels,
            capacity,
            in_group,
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..SKILLS.len(), 0u8..3, prop::option::of(0u32..60_000)).prop_map(
            |(skill, priority, delay_ms)| Op::Arrive { skill, priority, delay_ms }
        ),
        2 => (0usize..8, 0u8..3).prop_map(|(agent, status)| Op::SetStatus { agent, status }),
        4 => (any::<usize>(), prop::bool::weighted(0.2))
            .prop_map(|(pick, wrong_agent)| Op::Accept { pick, wrong_agent }),
        1 => any::<usize>().prop_map(|pick| Op::Decline { pick }),
        3 => (any::<usize>(), prop::bool::weighted(0.8))
            .prop_map(|(pick, listed)| Op::Resolve { pick, listed }),
        1 => any::<usize>().prop_map(|pick| Op::HandBack { pick }),
        1 => (any::<usize>(), 0u8..3, 0usize..8)
            .prop_map(|(pick, target, to)| Op::Transfer { pick, target, to }),
        4 => (0u32..40_000).prop_map(|advance_ms| Op::Tick { advance_ms }),
        1 => any::<usize>().prop_map(|pick| Op::Withdraw { pick }),
        2 => Just(Op::Restore),
    ]
}

fn build(specs: &[AgentSpec]) -> Switchboard {
    let config = RoutingConfig {
        sla_secs: 60,
        ..RoutingConfig::default()
    };
    let mut r = Switchboard::new(config).expect("default config is valid");
    for (i, s) in specs.iter().enumerate() {
        let id = i64::try_from(i).expect("few agents") + 1;
        let agent = Agent {
            id,
            login: format!("a{id}"),
            name: format!("A{id}"),
            role: Role::Agent,
            skills: SKILLS
                .iter()
                .zip(&s.levels)
                .filter_map(|(k, l)| l.map(|l| (k.to_string(), l)))
                .collect(),
            groups: if s.in_group {
                vec![GROUP.into()]
            } else {
                Vec::new()
            },
            capacity: s.capacity,
            status: Status::Online,
            idle_since_ms: T0,
        };
        r.upsert_agent(agent, T0).expect("levels are 1-5");
    }
    r
}

fn nth<T: Copy>(keys: impl ExactSizeIterator<Item = T>, pick: usize) -> Option<T> {
    let n = keys.len();
    let mut keys = keys;
    (n > 0).then(|| keys.nth(pick % n)).flatten()
}

/// The routing state that must not change when an operation is refused.
type Snapshot = (
    BTreeMap<i64, QueueItem>,
    BTreeMap<i64, OpenOffer>,
    BTreeMap<i64, Assignment>,
    Vec<Agent>,
);

fn snapshot(r: &Switchboard) -> Snapshot {
    (
        r.queue().clone(),
        r.offers().clone(),
        r.assignments().clone(),
        r.agents().values().cloned().collect(),
    )
}

fn check(r: &Switchboard, live: &BTreeSet<i64>) -> Result<(), TestCaseError> {
    let (q, o, a) = (r.queue(), r.offers(), r.assignments());
    // Exactly one place each: the maps are keyed by conversation, so together with the total
    // count this rules out both loss and duplication.
    prop_assert_eq!(q.len() + o.len() + a.len(), live.len());
    for c in live {
        let places = usize::from(q.contains_key(c))
            + usize::from(o.contains_key(c))
            + usize::from(a.contains_key(c));
        prop_assert_eq!(places, 1, "conversation {} is in {} places", c, places);
    }
    for (k, i) in q {
        prop_assert_eq!(*k, i.conversation_id);
    }
    for (k, open) in o {
        prop_assert_eq!(*k, open.offer.conversation_id);
        prop_assert_eq!(*k, open.item.conversation_id);
        let agent = &r.agents()[&open.offer.agent_id];
        prop_assert_eq!(
            agent.status,
            Status::Online,
            "offer held by an absent agent"
        );
    }
    for (k, asg) in a {
        prop_assert_eq!(*k, asg.item.conversation_id);
    }
    for agent in r.agents().values() {
        let assigned = a.values().filter(|x| x.agent_id == agent.id).count();
        prop_assert_eq!(usize::try_from(r.load(agent.id)).ok(), Some(assigned));
        prop_assert!(
            r.load(agent.id) + r.open_offers(agent.id) <= agent.capacity,
            "agent {} above capacity {}",
            agent.id,
            agent.capacity
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn routing_never_loses_duplicates_or_overloads_a_conversation(
        specs in prop::collection::vec(agent_spec(), 1..5),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut r = build(&specs);
        let n_agents = specs.len();
        let agent_id = |i: usize| i64::try_from(i % n_agents).unwrap_or(0) + 1;
        let mut live = BTreeSet::new();
        let mut next_conversation = 1i64;
        let mut now = T0;
        for op in ops {
            let before = snapshot(&r);
            let result = match op {
                Op::Arrive { skill, priority, delay_ms } => {
                    let priority = [Priority::Urgent, Priority::High, Priority::Normal][usize::from(priority)];
                    let mut item = QueueItem::new(next_conversation, SKILLS[skill], priority, "test", now);
                    item.not_before_ms = delay_ms.map(|d| now + i64::from(d));
                    live.insert(next_conversation);
                    next_conversation += 1;
                    r.enqueue(item).map(|()| Vec::new())
                }
                Op::SetStatus { agent, status } => {
                    let status = [Status::Online, Status::Away, Status::Offline][usize::from(status)];
                    r.set_status(agent_id(agent), status, now)
                }
                Op::Accept { pick, wrong_agent } => match nth(r.offers().values().map(|o| o.offer), pick) {
                    Some(offer) => {
                        let who = if wrong_agent { offer.agent_id % 8 + 1 } else { offer.agent_id };
                        r.accept(offer.conversation_id, who, now)
                    }
                    None => continue,
                },
                Op::Decline { pick } => match nth(r.offers().values().map(|o| o.offer), pick) {
                    Some(offer) => r.decline(offer.conversation_id, offer.agent_id),
                    None => continue,
                },
                Op::Resolve { pick, listed } => {
                    match nth(r.assignments().iter().map(|(c, a)| (*c, a.agent_id)), pick) {
                        Some((c, agent)) => {
                            let code = if listed { "resolved" } else { "made_up" };
                            let res = r.resolve(c, agent, code, now);
                            if res.is_ok() {
                                live.remove(&c);
                            }
                            res
                        }
                        None => continue,
                    }
                }
                Op::HandBack { pick } => match nth(r.assignments().keys().copied(), pick) {
                    Some(c) => {
                        let res = r.hand_back(c, now);
                        if res.is_ok() {
                            live.remove(&c);
                        }
                        res
                    }
                    None => continue,
                },
                Op::Transfer { pick, target, to } => match nth(live.iter().copied(), pick) {
                    Some(c) => {
                        let target = match target {
                            0 => Target::Agent(agent_id(to)),
                            1 => Target::Group(GROUP.into()),
                            _ => Target::Skill(SKILLS[to % SKILLS.len()].into()),
                        };
                        r.transfer(c, target, now)
                    }
                    None => continue,
                },
                Op::Tick { advance_ms } => {
                    now += i64::from(advance_ms);
                    Ok(r.tick(now))
                }
                Op::Withdraw { pick } => match nth(live.iter().copied(), pick) {
                    Some(c) => {
                        let res = r.withdraw(c, now);
                        if res.is_ok() {
                            live.remove(&c);
                        }
                        res
                    }
                    None => continue,
                },
                Op::Restore => {
                    let placed = r.placements();
                    let agents = r.agents().values().cloned().collect();
                    let back = Switchboard::restore(r.config().clone(), agents, placed.values().cloned().collect())
                        .expect("the config was valid");
                    prop_assert_eq!(snapshot(&back), snapshot(&r), "restoring changed the router");
                    r = back;
                    Ok(Vec::new())
                }
            };
            match result {
                Ok(effects) => {
                    let mut offered = BTreeSet::new();
                    for e in &effects {
                        if let Effect::Offered { conversation_id, .. } = e {
                            prop_assert!(offered.insert(*conversation_id), "offered twice in one step");
                        }
                    }
                }
                Err(_) => prop_assert_eq!(snapshot(&r), before, "a refused operation changed state"),
            }
            check(&r, &live)?;
        }
    }
}
