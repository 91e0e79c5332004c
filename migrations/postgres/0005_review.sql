-- The bot designer's review loop (PostgreSQL): agents' "the bot misread this" marks on customer
-- messages, and what the reviewer did with each message. Forward-only: never edit once landed;
-- add a new file.

-- One row per mark: an agent (or the API) says the bot misread a customer message, optionally
-- naming the intent that was meant, with a short note.
CREATE TABLE misreads (
    id         BIGSERIAL PRIMARY KEY,
    message_id BIGINT NOT NULL REFERENCES messages (id),
    actor      TEXT   NOT NULL,
    intent     TEXT,
    note       TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX misreads_message ON misreads (message_id);

-- At most one outcome per message: assigned to an intent (its text became an example),
-- sent to out_of_scope, or dismissed; who did it, when, the file written and the figures of
-- the cross-validation before and after (JSON).
CREATE TABLE review_outcomes (
    message_id BIGINT PRIMARY KEY REFERENCES messages (id),
    outcome    TEXT   NOT NULL,
    intent     TEXT,
    file       TEXT,
    actor      TEXT   NOT NULL,
    figures    TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX review_outcomes_time ON review_outcomes (created_at);
