//! The event kinds, as they appear in `kind`, subjects and webhook headers.

pub const MESSAGE_RECEIVED: &str = "message.received";
pub const MESSAGE_CLASSIFIED: &str = "message.classified";
pub const DECISION_MADE: &str = "decision.made";
pub const REPLY_SENT: &str = "reply.sent";
pub const REPLY_FAILED: &str = "reply.failed";
pub const ACTION_SENT: &str = "action.sent";
pub const CONVERSATION_ESCALATED: &str = "conversation.escalated";
pub const CONVERSATION_OWNER_CHANGED: &str = "conversation.owner_changed";
pub const CONVERSATION_ASSIGNED: &str = "conversation.assigned";
pub const CONVERSATION_RESOLVED: &str = "conversation.resolved";
pub const CONTACT_CREATED: &str = "contact.created";
pub const CONTACT_LINKED: &str = "contact.linked";
pub const CONTACT_UNLINKED: &str = "contact.unlinked";
pub const TICKET_OPENED: &str = "ticket.opened";
pub const EMERGENCY_CHANGED: &str = "emergency.changed";
pub const CHANNEL_UNHEALTHY: &str = "channel.unhealthy";
pub const CHANNEL_HEALTHY: &str = "channel.healthy";
pub const CONVERSATION_TRANSFERRED: &str = "conversation.transferred";
pub const ROUTING_OFFERED: &str = "routing.offered";
pub const ROUTING_OFFER_EXPIRED: &str = "routing.offer_expired";
pub const ROUTING_REQUEUED: &str = "routing.requeued";
pub const ROUTING_WAITING_NOTICE: &str = "routing.waiting_notice";
pub const ROUTING_SLA_BREACHED: &str = "routing.sla_breached";
pub const AGENT_STATUS_CHANGED: &str = "agent.status_changed";
pub const NLU_RELOADED: &str = "nlu.reloaded";
pub const NLU_RELOAD_FAILED: &str = "nlu.reload_failed";
pub const ALL: [&str; 26] = [
    MESSAGE_RECEIVED,
    MESSAGE_CLASSIFIED,
    DECISION_MADE,
    REPLY_SENT,
    REPLY_FAILED,
    ACTION_SENT,
    CONVERSATION_ESCALATED,
    CONVERSATION_OWNER_CHANGED,
    CONVERSATION_ASSIGNED,
    CONVERSATION_RESOLVED,
    CONTACT_CREATED,
    CONTACT_LINKED,
    CONTACT_UNLINKED,
    TICKET_OPENED,
    EMERGENCY_CHANGED,
    CHANNEL_UNHEALTHY,
    CHANNEL_HEALTHY,
    CONVERSATION_TRANSFERRED,
    ROUTING_OFFERED,
    ROUTING_OFFER_EXPIRED,
    ROUTING_REQUEUED,
    ROUTING_WAITING_NOTICE,
    ROUTING_SLA_BREACHED,
    AGENT_STATUS_CHANGED,
    NLU_RELOADED,
    NLU_RELOAD_FAILED,
];
