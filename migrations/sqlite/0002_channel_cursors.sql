-- Where each polled channel (Mastodon) resumes: the platform's id of the newest item seen.
CREATE TABLE channel_cursors (
    channel TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
