-- Typed outbox actions (PostgreSQL): every payload becomes the tagged, versioned JSON that
-- src/outbox/action.rs reads ({"type": "send"|"ticket"|"webhook", "v": 1, ...}), so actions
-- queued before the upgrade are still delivered. All rows are converted (sent and dead ones
-- too) so /v1/outbox shows one shape. A payload that is not JSON is left alone: the worker
-- dead-letters it with the reason. Forward-only: never edit once landed; add a new file.

-- payload is TEXT; a cast of a non-JSON text would abort the migration, so read it softly.
CREATE FUNCTION hearken_0006_jsonb(t TEXT) RETURNS JSONB LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN t::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

-- Webhook deliveries: {"subscriber", "event"} keep their fields.
UPDATE outbox o
   SET payload = (old.p || jsonb_build_object('type', 'webhook', 'v', 1))::text
  FROM (SELECT id, hearken_0006_jsonb(payload) AS p FROM outbox WHERE kind = 'webhook') AS old
 WHERE o.id = old.id AND jsonb_typeof(old.p) = 'object' AND NOT (old.p ? 'type');

-- Tickets: the flat reply_* / thread fields move under "reply"; tickets had no priority.
-- The defaults are the ones the untyped reader used for a missing field.
UPDATE outbox o
   SET payload = jsonb_build_object(
       'type', 'ticket',
       'v', 1,
       'title', COALESCE(old.p ->> 'title', 'Ticket from social'),
       'body', COALESCE(old.p ->> 'body', ''),
       'skill', COALESCE(old.p ->> 'skill', ''),
       'priority', 'normal',
       'fields', COALESCE(old.p -> 'fields', '{}'::jsonb),
       'reply', jsonb_build_object(
           'channel', COALESCE(old.p ->> 'channel', ''),
           'visibility', COALESCE(old.p ->> 'reply_visibility', 'private'),
           'template', COALESCE(old.p ->> 'reply_template', '{{ticket_url}}'),
           'thread_id', COALESCE(old.p ->> 'thread_id', ''),
           'target_message_id', old.p -> 'target_message_id',
           'recipient', COALESCE(old.p ->> 'recipient', '')))::text
  FROM (SELECT id, hearken_0006_jsonb(payload) AS p FROM outbox WHERE kind = 'ticket') AS old
 WHERE o.id = old.id AND jsonb_typeof(old.p) = 'object' AND NOT (old.p ? 'type');

-- Platform sends (reply, like, repost, ...): the Outbound fields and "author" stay at the
-- top; the channel, until now only a column, joins them.
UPDATE outbox o
   SET payload = (old.p || jsonb_build_object('type', 'send', 'v', 1, 'channel', o.channel))::text
  FROM (SELECT id, hearken_0006_jsonb(payload) AS p FROM outbox
         WHERE kind NOT IN ('webhook', 'ticket')) AS old
 WHERE o.id = old.id AND jsonb_typeof(old.p) = 'object' AND NOT (old.p ? 'type');

DROP FUNCTION hearken_0006_jsonb(TEXT);
