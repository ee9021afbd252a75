-- Which of a user's online devices can take a phone call, and how.
--
-- An inbound call rings a user with one JMI propose to the bare JID; a
-- client without JMI (XEP-0353) never sees it, so it can only be called with
-- a direct session-initiate to its full JID. To choose, the gateway asks each
-- available device of the (local) owner for its disco#info (XEP-0030) and
-- reads the Jingle features from the answers. Bounded in time: a device that
-- does not answer counts as unknown, and the call never waits longer than
-- `timeout` seconds before ringing.

local st = require "util.stanza"
local ns = require "jingle_sip.jingle.ns"

local M = {}

local DISCO_INFO = "http://jabber.org/protocol/disco#info"
local JMI = { ns.JMI, ns.JMI_1, ns.JMI_STANZAJS }

--- What one disco#info answer says: { jmi = bool, jingle_audio = bool }.
function M.features(query)
	local set = {}
	-- Parsed stanzas carry each child's xmlns, built ones inherit it (nil).
	for _, feature in ipairs(query.tags) do
		local xmlns = feature.attr.xmlns
		if feature.name == "feature" and (xmlns == nil or xmlns == DISCO_INFO) and feature.attr.var then
			set[feature.attr.var] = true
		end
	end
	local jmi = false
	for _, var in ipairs(JMI) do jmi = jmi or set[var] == true end
	return {
		jmi = jmi,
		jingle_audio = set[ns.JINGLE] == true and set[ns.RTP] == true and set[ns.RTP_AUDIO] == true
			and set[ns.ICE_UDP] == true,
	}
end

--- Can anything of a local owner ring now? `user_sessions`: Prosody's
-- bare_sessions entry (nil when offline); `push_services`: the owner's
-- XEP-0357 registrations as mod_cloud_notify keeps them (nil or empty when
-- none). "online" (a session is bound: smacks-hibernated ones count, they
-- come back), "push" (a push service can wake a mobile client), "offline".
function M.reachability(user_sessions, push_services)
	if user_sessions and next(user_sessions.sessions or {}) ~= nil then return "online" end
	if type(push_services) == "table" and next(push_services) ~= nil then return "push" end
	return "offline"
end

--- Asks every available session of `user_sessions` (Prosody's bare_sessions
-- entry, nil when the user is offline) and calls done(devices) once, with
-- devices = { { jid, priority, jmi, jingle_audio, answered } }.
-- o = { from = the asking JID, send_iq(stanza, timeout) -> promise,
--       new_id() -> string, timeout = seconds }
function M.discover(user_sessions, o, done)
	local devices, pending, finished = {}, 0, false
	local function finish()
		if finished or pending > 0 then return end
		finished = true
		done(devices)
	end
	for _, session in pairs(user_sessions and user_sessions.sessions or {}) do
		local presence, full_jid = session.presence, session.full_jid
		if full_jid and presence and (presence.attr.type == nil or presence.attr.type == "available") then
			local device = { jid = full_jid, priority = session.priority or 0, jmi = false,
				jingle_audio = false, answered = false }
			devices[#devices + 1] = device
			pending = pending + 1
			local iq = st.iq({ type = "get", from = o.from, to = full_jid, id = o.new_id() })
				:tag("query", { xmlns = DISCO_INFO })
			o.send_iq(iq, o.timeout):next(function(event)
				local query = event.stanza:get_child("query", DISCO_INFO)
				if query then
					local f = M.features(query)
					device.jmi, device.jingle_audio, device.answered = f.jmi, f.jingle_audio, true
				end
			end, function() end):finally(function()
				pending = pending - 1
				finish()
			end)
		end
	end
	finish()
end

--- The device to call directly, or nil to ring with JMI. Only when no
-- answering device speaks JMI (a propose reaches those, and the relay's
-- client leg can ring one device directly, not several), the available
-- device with the highest priority that does Jingle RTP audio over ICE-UDP.
-- A device that did not answer might speak JMI: then JMI it is.
function M.direct_target(devices)
	local best
	for _, d in ipairs(devices or {}) do
		if d.jmi or not d.answered then return nil end
		if d.jingle_audio and (not best or d.priority > best.priority) then best = d end
	end
	return best
end

return M
