-- When the customer of a waiting conversation was last told they are still in the queue
-- (policy.still_queued), so a customer who keeps writing hears it at most once per interval.
-- Forward-only: never edit once landed; add a new file.
ALTER TABLE routing_items ADD COLUMN queue_notice_at BIGINT;
