-- The relay's events as the module hears them (ffi/callrelay/watch.lua):
-- which become input of the call state machine (through the call's legs,
-- relay_legs.lua's Legs:translate, into call/service.lua), which are the
-- trunk's health, what an operator finds in the log and what is counted
-- (jingle_sip.metrics). The module only wires it (plugin/mod_jingle_sip.lua).
local relay_legs = require "jingle_sip.call.relay_legs"
local numbers = require "jingle_sip.numbers"

local M = {}

-- CR_ERR_UNSUPPORTED (relay/include/callrelay.h): in an "error" event, the
-- SIP source filter is on some sockets only (TCP needs privileges).
local CR_ERR_UNSUPPORTED = -8

-- The state changes an operator needs to follow a call: one log line each.
local LOGGED = { selected_pair = true, dtls_connected = true, sip_answered = true, dtmf = true,
	first_media = true, sip_media_changed = true }

--- The number the trunk called, in our canonical E.164 form, if it is one.
function M.called_number(text)
	if not text then return nil end
	return numbers.normalize(text) or numbers.normalize("+" .. text)
end

--- The event handlers. deps:
--   relay()            the running relay (adopt_call), or nil
--   service            the call service (call/service.lua)
--   legs_by_relay_id   relay call id -> legs, shared with the module
--   legs_options(o)    completes the options of relay_legs.new
--   disabled()         why calls are refused, or nil
--   stats              jingle_sip.metrics object
--   health             jingle_sip.health object
--   publish_status()   the module status follows the health
--   log(level, fmt, ...)
-- Returns { on_event = fn(event) (the watcher's handler),
--   trunk_event = fn(event) (also fed at load from the relay's counters) }.
function M.new(deps)
	local log, stats = deps.log, deps.stats

	-- The trunk's health: OPTIONS answered or not (only on a change), each
	-- REGISTER result. Logged on a change, counted in the trunk_up and
	-- registered gauges, shown by status() and the module status.
	local function trunk_event(event)
		local level, line
		if event.type == "sip_trunk_state" then
			local up = event.value == 1
			level, line = deps.health:trunk_state(up, event.code)
			stats:trunk_state(up)
		else
			local ok = event.code >= 200 and event.code < 300
			level, line = deps.health:registration_result(event.code, event.value, event.text)
			stats:registration_state(ok)
		end
		if line then log(level, "%s", line) end
		deps.publish_status()
	end

	-- A relay event for a call the module knows.
	local function call_event(legs, event)
		local t = event.type
		if t == "call_closed" then deps.legs_by_relay_id[event.call_id] = nil end
		if t == "dtls_failed" then
			stats:media_failed("dtls", event.code == 2 and "fingerprint-mismatch" or "other")
		elseif t == "media_timeout" and event.code ~= 2 then
			-- (code 2: the trunk went silent, not the client's ICE consent)
			stats:media_failed("ice", "consent-lost")
		elseif t == "ice_failed" then
			stats:media_failed("ice", "timeout")
			log("info", "Relay call %d: %s", event.call_id, event.text)
		elseif LOGGED[t] then
			log("info", "Relay call %d: %s %s%s", event.call_id, t,
				t == "dtmf" and (event.code == 1 and "client->phone " or "phone->client ") or "",
				(event.text:gsub("\n", " ")))
		end
		local translated = legs:translate(event)
		if translated then deps.service:on_relay_event(event.call_id, translated) end
	end

	-- An INVITE from the trunk: the relay made a call, ours to take.
	local function incoming(event)
		local fields = event.fields or {}
		local relay = deps.relay()
		local call, err
		if relay then
			call, err = relay:adopt_call(event.call_id)
		else
			err = "the media relay is not running"
		end
		if not call then
			log("warn", "Cannot take inbound call %d: %s", event.call_id, tostring(err))
			return
		end
		local ok, legs = pcall(relay_legs.new, call, deps.legs_options({}))
		if not ok then
			log("error", "Cannot take inbound call %d: %s", event.call_id, tostring(legs))
			call:close("internal error")
			return
		end
		deps.legs_by_relay_id[call.id] = legs
		-- Every failure from here closes the relay call (service:guard).
		deps.service:guard({ legs = legs }, "taking an inbound call", function()
			legs:apply_sip_media(fields)
			local disabled = deps.disabled()
			if disabled then
				legs:sip_reject(503)
				legs:close(disabled)
				return
			end
			-- Inbound calls count from their INVITE; outbound ones when the
			-- call service starts them.
			stats:call_started("inbound")
			deps.service:on_incoming(legs, { caller = fields.caller, called = M.called_number(fields.called),
				trunk_pts = relay_legs.offered_codecs(fields) })
		end)
	end

	local function on_event(event)
		local t = event.type
		if t == "error" then
			-- Not about one call: out of descriptors (EMFILE), no source filter, ...
			log(event.code == CR_ERR_UNSUPPORTED and "warn" or "error", "Media relay: %s", event.text)
		elseif t == "sip_trunk_state" or t == "sip_registered" then
			trunk_event(event)
		elseif t == "sip_incoming" then
			incoming(event)
		else
			local legs = deps.legs_by_relay_id[event.call_id]
			if legs then
				deps.service:guard({ legs = legs }, "relay event " .. tostring(t), call_event, legs, event)
			end
		end
	end

	return { on_event = on_event, trunk_event = trunk_event }
end

return M
