//! The router: queue, open offers and assignments, changed only through operations that return
//! the effects (offers, expiries, assignments, notices) the store layer persists and publishes.
//! Each conversation is in at most one place at a time: the queue, one open offer, or assigned.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{
    Agent, Offer, Priority, QueueItem, QueueOrder, RoutingConfig, RoutingError, Status, Target,
    MAX_SKILL_LEVEL,
};

/// A conversation proposed to an agent; the item travels with the offer so nothing is lost
/// when the offer lapses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenOffer {
    pub offer: Offer,
    pub item: QueueItem,
}

/// A conversation an agent accepted; the item is kept so a transfer can requeue it as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub agent_id: i64,
    pub accepted_at_ms: i64,
    pub item: QueueItem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequeueReason {
    Declined,
    /// The agent went away or offline with the offer open.
    AgentUnavailable,
    Transferred,
}

/// What happened, for the caller to store and turn into events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    Offered {
        conversation_id: i64,
        agent_id: i64,
        expires_at_ms: i64,
    },
    OfferExpired {
        conversation_id: i64,
        agent_id: i64,
    },
    Assigned {
        conversation_id: i64,
        agent_id: i64,
    },
    Requeued {
        conversation_id: i64,
        /// The agent it came from, if any.
        agent_id: Option<i64>,
        reason: RequeueReason,
    },
    WaitingNotice {
        conversation_id: i64,
        message: String,
    },
    SlaBreached {
        conversation_id: i64,
        priority: Priority,
    },
    Resolved {
        conversation_id: i64,
        agent_id: i64,
        disposition: String,
    },
    HandBack {
        conversation_id: i64,
        agent_id: i64,
    },
    /// Taken out of routing by someone outside it (an API caller set the owner directly).
    Withdrawn {
        conversation_id: i64,
        agent_id: Option<i64>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Switchboard {
    config: RoutingConfig,
    pub(super) agents: BTreeMap<i64, Agent>,
    pub(super) queue: BTreeMap<i64, QueueItem>,
    pub(super) offers: BTreeMap<i64, OpenOffer>,
    pub(super) assigned: BTreeMap<i64, Assignment>,
    /// Accepted conversations per agent.
    pub(super) loads: BTreeMap<i64, u32>,
}

impl Switchboard {
    pub fn new(config: RoutingConfig) -> Result<Self, RoutingError> {
        config.validate()?;
        Ok(Self {
            config,
            ..Self::default()
        })
    }

    pub fn config(&self) -> &RoutingConfig {
        &self.config
    }

    pub fn agents(&self) -> &BTreeMap<i64, Agent> {
        &self.agents
    }

    pub fn queue(&self) -> &BTreeMap<i64, QueueItem> {
        &self.queue
    }

    pub fn offers(&self) -> &BTreeMap<i64, OpenOffer> {
        &self.offers
    }

    pub fn assignments(&self) -> &BTreeMap<i64, Assignment> {
        &self.assigned
    }

    /// Accepted conversations of `agent_id`.
    pub fn load(&self, agent_id: i64) -> u32 {
        self.loads.get(&agent_id).copied().unwrap_or(0)
    }

    /// Open offers held by `agent_id`.
    pub fn open_offers(&self, agent_id: i64) -> u32 {
        let n = self
            .offers
            .values()
            .filter(|o| o.offer.agent_id == agent_id)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Adds or replaces an agent. A status other than Online returns the agent's open offers,
    /// exactly as `set_status` would.
    pub fn upsert_agent(&mut self, agent: Agent, now_ms: i64) -> Result<Vec<Effect>, RoutingError> {
        if let Some((skill, level)) = agent
            .skills
            .iter()
            .find(|(_, l)| !(1..=MAX_SKILL_LEVEL).contains(*l))
        {
            return Err(RoutingError::BadSkillLevel {
                agent_id: agent.id,
                skill: skill.clone(),
                level: *level,
            });
        }
        let (id, status) = (agent.id, agent.status);
        self.agents.insert(id, agent);
        if status == Status::Online {
            return Ok(Vec::new());
        }
        self.set_status(id, status, now_ms)
    }

    /// A new escalation waits in the queue; offers are made by the next `tick`.
    pub fn enqueue(&mut self, item: QueueItem) -> Result<(), RoutingError> {
        let id = item.conversation_id;
        if self.is_routed(id) {
            return Err(RoutingError::AlreadyRouted(id));
        }
        self.queue.insert(id, item);
        Ok(())
    }

    /// Time passes: expire offers, raise priorities past the SLA, tell customers nobody can take
    /// them yet, then offer waiting items to free agents.
    pub fn tick(&mut self, now_ms: i64) -> Vec<Effect> {
        let mut out = Vec::new();
        self.expire_offers(now_ms, &mut out);
        self.raise_sla(now_ms, &mut out);
        self.waiting_notices(now_ms, &mut out);
        self.make_offers(now_ms, &mut out);
        out
    }

    /// Only the offered agent, and only before the offer expires.
    pub fn accept(
        &mut self,
        conversation_id: i64,
        agent_id: i64,
        now_ms: i64,
    ) -> Result<Vec<Effect>, RoutingError> {
        let open = self.offer_of(conversation_id, agent_id)?;
        if now_ms >= open.offer.expires_at_ms {
            // Left in place: the next tick returns it to the queue with its expiry effect.
            return Err(RoutingError::OfferExpired {
                conversation_id,
                expires_at_ms: open.offer.expires_at_ms,
            });
        }
        let Some(open) = self.offers.remove(&conversation_id) else {
            return Err(RoutingError::NotOffered(conversation_id));
        };
        *self.loads.entry(agent_id).or_insert(0) += 1;
        self.assigned.insert(
            conversation_id,
            Assignment {
                agent_id,
                accepted_at_ms: now_ms,
                item: open.item,
            },
        );
        Ok(vec![Effect::Assigned {
            conversation_id,
            agent_id,
        }])
    }

    /// The offered agent says no: the item goes back and the next offer prefers someone else.
    pub fn decline(
        &mut self,
        conversation_id: i64,
        agent_id: i64,
    ) -> Result<Vec<Effect>, RoutingError> {
        self.offer_of(conversation_id, agent_id)?;
        self.return_offer(conversation_id, true, RequeueReason::Declined)
            .map(|e| vec![e])
            .ok_or(RoutingError::NotOffered(conversation_id))
    }

    /// Away and Offline return the agent's open offers; accepted conversations stay theirs.
    pub fn set_status(
        &mut self,
        agent_id: i64,
        status: Status,
        now_ms: i64,
    ) -> Result<Vec<Effect>, RoutingError> {
        let load = self.load(agent_id);
        let agent = self
            .agents
            .get_mut(&agent_id)
            .ok_or(RoutingError::UnknownAgent(agent_id))?;
        let was = agent.status;
        agent.status = status;
        if status == Status::Online {
            // Someone just logging on has not been waiting for work longer than those online.
            if was != Status::Online && load == 0 {
                agent.idle_since_ms = now_ms;
            }
            return Ok(Vec::new());
        }
        let theirs: Vec<i64> = self
            .offers
            .values()
            .filter(|o| o.offer.agent_id == agent_id)
            .map(|o| o.offer.conversation_id)
            .collect();
        Ok(theirs
            .into_iter()
            .filter_map(|c| self.return_offer(c, false, RequeueReason::AgentUnavailable))
            .collect())
    }

    /// Moves a queued, offered or assigned conversation: to one agent as a direct offer, or back
    /// to the queue for a group or a skill (a fresh wait: SLA and declines start over).
    pub fn transfer(
        &mut self,
        conversation_id: i64,
        target: Target,
        now_ms: i64,
    ) -> Result<Vec<Effect>, RoutingError> {
        if let Target::Agent(to) = target {
            self.check_can_take(conversation_id, to)?;
        }
        let (mut item, from) = self.take(conversation_id, now_ms)?;
        item.declined_by.clear();
        item.sla_raised = false;
        item.not_before_ms = None;
        item.enqueued_at_ms = now_ms;
        let mut out = Vec::new();
        match target {
            Target::Agent(to) => {
                // A person chose this agent: the skill requirement does not apply.
                out.push(self.offer(item, to, now_ms));
            }
            Target::Group(group) => {
                item.group = Some(group);
                out.push(self.requeue(item, from));
            }
            Target::Skill(skill) => {
                item.skill = skill;
                item.group = None;
                out.push(self.requeue(item, from));
            }
        }
        Ok(out)
    }

    /// The agent gives the conversation back to the bot.
    pub fn hand_back(
        &mut self,
        conversation_id: i64,
        now_ms: i64,
    ) -> Result<Vec<Effect>, RoutingError> {
        let a = self
            .assigned
            .get(&conversation_id)
            .ok_or(RoutingError::NotAssigned(conversation_id))?;
        let agent_id = a.agent_id;
        self.unassign(conversation_id, now_ms);
        Ok(vec![Effect::HandBack {
            conversation_id,
            agent_id,
        }])
    }

    /// Closes the conversation; the disposition must be one of the configured codes.
    pub fn resolve(
        &mut self,
        conversation_id: i64,
        agent_id: i64,
        disposition: &str,
        now_ms: i64,
    ) -> Result<Vec<Effect>, RoutingError> {
        if !self.config.dispositions.iter().any(|d| d == disposition) {
            return Err(RoutingError::UnknownDisposition {
                given: disposition.to_string(),
                allowed: self.config.dispositions.join(", "),
            });
        }
        match self.assigned.get(&conversation_id) {
            None => return Err(RoutingError::NotAssigned(conversation_id)),
            Some(a) if a.agent_id != agent_id => {
                return Err(RoutingError::NotAssignedTo {
                    conversation_id,
                    agent_id,
                })
            }
            Some(_) => {}
        }
        self.unassign(conversation_id, now_ms);
        Ok(vec![Effect::Resolved {
            conversation_id,
            agent_id,
            disposition: disposition.to_string(),
        }])
    }

    /// Takes the conversation out of routing wherever it is, freeing its agent.
    pub fn withdraw(
        &mut self,
        conversation_id: i64,
        now_ms: i64,
    ) -> Result<Vec<Effect>, RoutingError> {
        let (_, agent_id) = self.take(conversation_id, now_ms)?;
        Ok(vec![Effect::Withdrawn {
            conversation_id,
            agent_id,
        }])
    }

    fn is_routed(&self, id: i64) -> bool {
        self.queue.contains_key(&id)
            || self.offers.contains_key(&id)
            || self.assigned.contains_key(&id)
    }

    fn offer_of(&self, conversation_id: i64, agent_id: i64) -> Result<&OpenOffer, RoutingError> {
        let open = self
            .offers
            .get(&conversation_id)
            .ok_or(RoutingError::NotOffered(conversation_id))?;
        if open.offer.agent_id != agent_id {
            return Err(RoutingError::OfferedToAnother {
                conversation_id,
                agent_id,
            });
        }
        Ok(open)
    }

    fn check_can_take(&self, conversation_id: i64, agent_id: i64) -> Result<(), RoutingError> {
        let agent = self
            .agents
            .get(&agent_id)
            .ok_or(RoutingError::UnknownAgent(agent_id))?;
        if !self.is_routed(conversation_id) {
            return Err(RoutingError::UnknownConversation(conversation_id));
        }
        if agent.status != Status::Online {
            return Err(RoutingError::AgentUnavailable {
                agent_id,
                status: agent.status,
            });
        }
        // The conversation's own slot with this agent is freed by the transfer, so it does not
        // count against them.
        let own = match (
            self.offers.get(&conversation_id),
            self.assigned.get(&conversation_id),
        ) {
            (Some(o), _) if o.offer.agent_id == agent_id => 1,
            (_, Some(a)) if a.agent_id == agent_id => 1,
            _ => 0,
        };
        if self.busy(agent_id).saturating_sub(own) >= agent.capacity {
            return Err(RoutingError::AgentAtCapacity {
                agent_id,
                capacity: agent.capacity,
            });
        }
        Ok(())
    }

    /// Accepted conversations plus open offers: what counts against capacity.
    fn busy(&self, agent_id: i64) -> u32 {
        self.load(agent_id) + self.open_offers(agent_id)
    }

    /// Removes the conversation from wherever it is; returns the item and the agent it was with.
    fn take(
        &mut self,
        conversation_id: i64,
        now_ms: i64,
    ) -> Result<(QueueItem, Option<i64>), RoutingError> {
        if let Some(item) = self.queue.remove(&conversation_id) {
            return Ok((item, None));
        }
        if let Some(open) = self.offers.remove(&conversation_id) {
            return Ok((open.item, Some(open.offer.agent_id)));
        }
        match self.unassign(conversation_id, now_ms) {
            Some(a) => Ok((a.item, Some(a.agent_id))),
            None => Err(RoutingError::UnknownConversation(conversation_id)),
        }
    }

    fn unassign(&mut self, conversation_id: i64, now_ms: i64) -> Option<Assignment> {
        let a = self.assigned.remove(&conversation_id)?;
        let load = self.loads.entry(a.agent_id).or_insert(0);
        *load = load.saturating_sub(1);
        if *load == 0 {
            self.loads.remove(&a.agent_id);
            if let Some(agent) = self.agents.get_mut(&a.agent_id) {
                agent.idle_since_ms = now_ms;
            }
        }
        Some(a)
    }

    fn requeue(&mut self, item: QueueItem, from: Option<i64>) -> Effect {
        let conversation_id = item.conversation_id;
        self.queue.insert(conversation_id, item);
        Effect::Requeued {
            conversation_id,
            agent_id: from,
            reason: RequeueReason::Transferred,
        }
    }

    fn offer(&mut self, item: QueueItem, agent_id: i64, now_ms: i64) -> Effect {
        let conversation_id = item.conversation_id;
        let expires_at_ms = now_ms.saturating_add(self.config.offer_timeout_ms());
        self.offers.insert(
            conversation_id,
            OpenOffer {
                offer: Offer {
                    conversation_id,
                    agent_id,
                    offered_at_ms: now_ms,
                    expires_at_ms,
                },
                item,
            },
        );
        Effect::Offered {
            conversation_id,
            agent_id,
            expires_at_ms,
        }
    }

    /// Moves an open offer back to the queue. The original enqueue time is kept: the customer has
    /// been waiting all along.
    fn return_offer(
        &mut self,
        conversation_id: i64,
        record_decline: bool,
        reason: RequeueReason,
    ) -> Option<Effect> {
        let OpenOffer { offer, mut item } = self.offers.remove(&conversation_id)?;
        if record_decline && !item.declined_by.contains(&offer.agent_id) {
            item.declined_by.push(offer.agent_id);
        }
        self.queue.insert(conversation_id, item);
        Some(Effect::Requeued {
            conversation_id,
            agent_id: Some(offer.agent_id),
            reason,
        })
    }

    fn expire_offers(&mut self, now_ms: i64, out: &mut Vec<Effect>) {
        let lapsed: Vec<(i64, i64)> = self
            .offers
            .values()
            .filter(|o| o.offer.expires_at_ms <= now_ms)
            .map(|o| (o.offer.conversation_id, o.offer.agent_id))
            .collect();
        for (conversation_id, agent_id) in lapsed {
            // A lapsed offer counts as a decline, so the next offer goes to someone else.
            if self
                .return_offer(conversation_id, true, RequeueReason::Declined)
                .is_some()
            {
                out.push(Effect::OfferExpired {
                    conversation_id,
                    agent_id,
                });
            }
        }
    }

    fn raise_sla(&mut self, now_ms: i64, out: &mut Vec<Effect>) {
        let sla_ms = self.config.sla_ms();
        let waiting = self
            .queue
            .values_mut()
            .chain(self.offers.values_mut().map(|o| &mut o.item));
        for item in waiting {
            if item.sla_raised || now_ms.saturating_sub(waiting_since(item)) < sla_ms {
                continue;
            }
            item.sla_raised = true;
            item.priority = raised(item.priority);
            out.push(Effect::SlaBreached {
                conversation_id: item.conversation_id,
                priority: item.priority,
            });
        }
    }

    /// Items no online agent qualifies for, whatever their load: the customer would wait
    /// indefinitely, so they are told once.
    fn waiting_notices(&mut self, now_ms: i64, out: &mut Vec<Effect>) {
        if self.config.waiting_message.trim().is_empty() {
            return; // switched off
        }
        let stranded: Vec<i64> = self
            .queue
            .values()
            .filter(|i| !i.waiting_notice_sent && is_due(i, now_ms))
            .filter(|i| {
                !self
                    .agents
                    .values()
                    .any(|a| a.status == Status::Online && qualifies(&self.config, a, i))
            })
            .map(|i| i.conversation_id)
            .collect();
        for conversation_id in stranded {
            if let Some(item) = self.queue.get_mut(&conversation_id) {
                item.waiting_notice_sent = true;
                out.push(Effect::WaitingNotice {
                    conversation_id,
                    message: self.config.waiting_message.clone(),
                });
            }
        }
    }

    fn make_offers(&mut self, now_ms: i64, out: &mut Vec<Effect>) {
        let mut due: Vec<&QueueItem> = self.queue.values().filter(|i| is_due(i, now_ms)).collect();
        match self.config.priority_order {
            QueueOrder::PriorityThenWait => {
                due.sort_by_key(|i| (i.priority, i.enqueued_at_ms, i.conversation_id))
            }
            QueueOrder::WaitOnly => due.sort_by_key(|i| (i.enqueued_at_ms, i.conversation_id)),
        }
        let mut busy: BTreeMap<i64, u32> =
            self.agents.keys().map(|&id| (id, self.busy(id))).collect();
        let mut picks = Vec::new();
        for item in due {
            let free: Vec<&Agent> = self
                .agents
                .values()
                .filter(|a| a.status == Status::Online && qualifies(&self.config, a, item))
                .filter(|a| busy.get(&a.id).copied().unwrap_or(0) < a.capacity)
                .collect();
            let rank = |a: &&&Agent| (busy.get(&a.id).copied().unwrap_or(0), a.idle_since_ms, a.id);
            // Someone who has not passed on it yet; when everyone has, start over rather than
            // leave the customer waiting.
            let pick = free
                .iter()
                .filter(|a| !item.declined_by.contains(&a.id))
                .min_by_key(rank)
                .or_else(|| free.iter().min_by_key(rank))
                .map(|a| a.id);
            if let Some(agent_id) = pick {
                *busy.entry(agent_id).or_insert(0) += 1;
                picks.push((item.conversation_id, agent_id));
            }
        }
        for (conversation_id, agent_id) in picks {
            if let Some(item) = self.queue.remove(&conversation_id) {
                out.push(self.offer(item, agent_id, now_ms));
            }
        }
    }
}

fn qualifies(config: &RoutingConfig, agent: &Agent, item: &QueueItem) -> bool {
    match &item.group {
        Some(group) => agent.groups.iter().any(|g| g == group),
        None => agent
            .skills
            .get(&item.skill)
            .is_some_and(|&level| level >= config.min_skill_level),
    }
}

/// Items escalated while closed wait for the opening time.
fn is_due(item: &QueueItem, now_ms: i64) -> bool {
    item.not_before_ms.is_none_or(|t| t <= now_ms)
}

/// The wait counts from the opening time for items escalated while closed.
fn waiting_since(item: &QueueItem) -> i64 {
    item.not_before_ms
        .map_or(item.enqueued_at_ms, |t| t.max(item.enqueued_at_ms))
}

/// One step more urgent; Urgent stays Urgent.
fn raised(p: Priority) -> Priority {
    match p {
        Priority::Normal => Priority::High,
        Priority::High | Priority::Urgent => Priority::Urgent,
    }
}
