-- Indexes the reports read by: conversations by start time, escalations by conversation, work
-- by when it ended. Forward-only: never edit once landed; add a new file.
CREATE INDEX conversations_created ON conversations (created_at);
CREATE INDEX escalations_conversation ON escalations (conversation_id);
CREATE INDEX work_ended ON work (ended_at);
