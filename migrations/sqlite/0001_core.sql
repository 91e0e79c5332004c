-- hearken core schema (SQLite). Forward-only: never edit once landed; add a new file.
-- Times are unix milliseconds (UTC); JSON is stored as TEXT.

CREATE TABLE inbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    channel       TEXT    NOT NULL,
    event_id      TEXT    NOT NULL,
    received_at   BIGINT  NOT NULL,
    event         TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'pending',
    attempts      INTEGER NOT NULL DEFAULT 0,
    claimed_until BIGINT  NOT NULL DEFAULT 0,
    last_error    TEXT,
    processed_at  BIGINT,
    UNIQUE (channel, event_id)
);
CREATE INDEX inbox_pending ON inbox (status, id);

CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    display_name TEXT,
    created_at   BIGINT NOT NULL
);

CREATE TABLE identities (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id   BIGINT NOT NULL REFERENCES contacts (id),
    channel      TEXT   NOT NULL,
    handle       TEXT   NOT NULL,
    display_name TEXT,
    created_at   BIGINT NOT NULL,
    UNIQUE (channel, handle)
);
CREATE INDEX identities_contact ON identities (contact_id);

CREATE TABLE identity_links (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    identity_id  BIGINT NOT NULL REFERENCES identities (id),
    from_contact BIGINT NOT NULL,
    to_contact   BIGINT NOT NULL,
    evidence     TEXT   NOT NULL,
    actor        TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    undone_at    BIGINT,
    undone_by    TEXT
);

CREATE TABLE conversations (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    channel            TEXT    NOT NULL,
    visibility         TEXT    NOT NULL,
    thread_key         TEXT    NOT NULL,
    contact_id         BIGINT  NOT NULL REFERENCES contacts (id),
    owner              TEXT    NOT NULL DEFAULT 'bot',
    skill              TEXT,
    priority           INTEGER,
    not_before         BIGINT,
    linked_to          BIGINT,
    notice_sent        INTEGER NOT NULL DEFAULT 0,
    ticket_url         TEXT,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    UNIQUE (channel, thread_key)
);
CREATE INDEX conversations_contact ON conversations (contact_id);
CREATE INDEX conversations_owner ON conversations (owner, priority, updated_at);

CREATE TABLE messages (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id     BIGINT NOT NULL REFERENCES conversations (id),
    inbox_id            BIGINT UNIQUE,
    outbox_id           BIGINT UNIQUE,
    direction           TEXT   NOT NULL,
    visibility          TEXT   NOT NULL,
    author              TEXT   NOT NULL,
    text                TEXT   NOT NULL,
    platform_message_id TEXT,
    analysis            TEXT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

CREATE TABLE decisions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    message_id      BIGINT,
    kind            TEXT   NOT NULL,
    reason          TEXT   NOT NULL,
    detail          TEXT   NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX decisions_conversation ON decisions (conversation_id, id);

CREATE TABLE transitions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    from_owner      TEXT   NOT NULL,
    to_owner        TEXT   NOT NULL,
    actor           TEXT   NOT NULL,
    reason          TEXT   NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX transitions_conversation ON transitions (conversation_id, id);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key  TEXT    NOT NULL UNIQUE,
    conversation_id  BIGINT,
    channel          TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    deadline_at      BIGINT  NOT NULL,
    claimed_until    BIGINT  NOT NULL DEFAULT 0,
    last_error       TEXT,
    external_id      TEXT,
    created_at       BIGINT  NOT NULL,
    sent_at          BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid            TEXT   NOT NULL UNIQUE,
    kind            TEXT   NOT NULL,
    conversation_id BIGINT,
    payload         TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    dispatched      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_undispatched ON events (dispatched, id);

CREATE TABLE switches (
    name       TEXT PRIMARY KEY,
    is_on      INTEGER NOT NULL,
    message    TEXT,
    actor      TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
