-- wrk script: POST a distinct web chat message per request (unique session:message ids), so
-- every request is a new inbox row committed before its 202.
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"session_id":"bench-%04d-%08d","message_id":"m%d","text":"where is my order? it was due yesterday"}',
    tid, counter % 5000, counter)
  return wrk.format("POST", "/v1/webchat/messages", { ["content-type"] = "application/json" }, body)
end
