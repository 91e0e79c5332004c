-- Typed outbox actions (SQLite): every payload becomes the tagged, versioned JSON that
-- src/outbox/action.rs reads ({"type": "send"|"ticket"|"webhook", "v": 1, ...}), so actions
-- queued before the upgrade are still delivered. All rows are converted (sent and dead ones
-- too) so /v1/outbox shows one shape. A payload that is not JSON is left alone: the worker
-- dead-letters it with the reason. Forward-only: never edit once landed; add a new file.

-- Webhook deliveries: {"subscriber", "event"} keep their fields.
UPDATE outbox
   SET payload = json_set(payload, '$.type', 'webhook', '$.v', 1)
 WHERE kind = 'webhook'
   AND json_valid(payload) AND json_type(payload) = 'object'
   AND json_extract(payload, '$.type') IS NULL;

-- Tickets: the flat reply_* / thread fields move under "reply"; tickets had no priority.
-- The defaults are the ones the untyped reader used for a missing field.
UPDATE outbox
   SET payload = json_object(
       'type', 'ticket',
       'v', 1,
       'title', COALESCE(json_extract(payload, '$.title'), 'Ticket from social'),
       'body', COALESCE(json_extract(payload, '$.body'), ''),
       'skill', COALESCE(json_extract(payload, '$.skill'), ''),
       'priority', 'normal',
       'fields', json(COALESCE(json_extract(payload, '$.fields'), '{}')),
       'reply', json_object(
           'channel', COALESCE(json_extract(payload, '$.channel'), ''),
           'visibility', COALESCE(json_extract(payload, '$.reply_visibility'), 'private'),
           'template', COALESCE(json_extract(payload, '$.reply_template'), '{{ticket_url}}'),
           'thread_id', COALESCE(json_extract(payload, '$.thread_id'), ''),
           'target_message_id', json_extract(payload, '$.target_message_id'),
           'recipient', COALESCE(json_extract(payload, '$.recipient'), '')))
 WHERE kind = 'ticket'
   AND json_valid(payload) AND json_type(payload) = 'object'
   AND json_extract(payload, '$.type') IS NULL;

-- Platform sends (reply, like, repost, ...): the Outbound fields and "author" stay at the
-- top; the channel, until now only a column, joins them.
UPDATE outbox
   SET payload = json_set(payload, '$.type', 'send', '$.v', 1, '$.channel', channel)
 WHERE kind NOT IN ('webhook', 'ticket')
   AND json_valid(payload) AND json_type(payload) = 'object'
   AND json_extract(payload, '$.type') IS NULL;
