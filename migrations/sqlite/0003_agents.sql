-- Agents, the routing queue, console sessions and the history reports read (SQLite).
-- Forward-only: never edit once landed; add a new file.

-- People who work in the console. Skills are JSON {"billing": 3}; agent_groups JSON ["private"].
CREATE TABLE agents (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    skills        TEXT    NOT NULL DEFAULT '{}',
    agent_groups  TEXT    NOT NULL DEFAULT '[]',
    capacity      INTEGER NOT NULL DEFAULT 3,
    status        TEXT    NOT NULL DEFAULT 'offline',
    idle_since    BIGINT  NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

-- One row per escalated conversation until it is resolved or handed back: queued, offered to
-- one agent, or assigned to one. Only the routing desk changes a row once it exists.
CREATE TABLE routing_items (
    conversation_id     BIGINT  PRIMARY KEY REFERENCES conversations (id),
    state               TEXT    NOT NULL,
    skill               TEXT    NOT NULL,
    grp                 TEXT,
    priority            INTEGER NOT NULL,
    reason              TEXT    NOT NULL,
    cause               TEXT    NOT NULL,
    channel             TEXT    NOT NULL,
    escalated_at        BIGINT  NOT NULL,
    enqueued_at         BIGINT  NOT NULL,
    not_before          BIGINT,
    sla_raised          INTEGER NOT NULL DEFAULT 0,
    declined_by         TEXT    NOT NULL DEFAULT '[]',
    waiting_notice_sent INTEGER NOT NULL DEFAULT 0,
    agent_id            BIGINT,
    offered_at          BIGINT,
    expires_at          BIGINT,
    accepted_at         BIGINT
);
CREATE INDEX routing_items_agent ON routing_items (agent_id);

-- One row: the lock every routing operation takes first, and a counter of routing changes
-- (live views poll it).
CREATE TABLE routing_state (
    id      INTEGER PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO routing_state (id, version) VALUES (1, 0);

-- Every escalation, for reports (reason and cause).
CREATE TABLE escalations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    channel         TEXT   NOT NULL,
    skill           TEXT   NOT NULL,
    priority        INTEGER NOT NULL,
    cause           TEXT   NOT NULL,
    reason          TEXT   NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX escalations_time ON escalations (created_at);

-- One row per accepted assignment: who worked it, how long it waited, how it ended.
CREATE TABLE work (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    agent_id        BIGINT NOT NULL REFERENCES agents (id),
    channel         TEXT   NOT NULL,
    skill           TEXT   NOT NULL,
    escalated_at    BIGINT NOT NULL,
    enqueued_at     BIGINT NOT NULL,
    accepted_at     BIGINT NOT NULL,
    first_reply_at  BIGINT,
    ended_at        BIGINT,
    outcome         TEXT,
    disposition     TEXT,
    note            TEXT
);
CREATE INDEX work_conversation ON work (conversation_id, id);
CREATE INDEX work_agent ON work (agent_id, accepted_at);

-- Console sessions: the cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    token_hash TEXT   PRIMARY KEY,
    agent_id   BIGINT NOT NULL REFERENCES agents (id),
    csrf       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_agent ON sessions (agent_id);

-- Failed logins, for the rate limit (by login and by address).
CREATE TABLE login_failures (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    login      TEXT   NOT NULL,
    address    TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX login_failures_login ON login_failures (login, created_at);
CREATE INDEX login_failures_address ON login_failures (address, created_at);
