-- Which of a user's online devices can take a phone call, and how.
--
-- An inbound call rings a user with one JMI propose to the bare JID; a
-- client without JMI (XEP-0353) never sees it, so it can only be called with
-- a direct session-initiate to its full JID. To choose, the gateway reads
-- each available device of the owner (local sessions, or the presence the
-- owner shares with the component: jingle_sip.presence_book) from its
-- verified caps, or asks it for its disco#info (XEP-0030), and reads the
-- Jingle features from the answers. Bounded in time: a device that
-- does not answer counts as unknown, and the call never waits longer than
-- `timeout` seconds before ringing.

local st = require "util.stanza"
local ns = require "jingle_sip.jingle.ns"
local book_mod = require "jingle_sip.presence_book"

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

--- The available devices in a local user's sessions (Prosody's
-- bare_sessions entry, nil when offline), in the shape of
-- jingle_sip.presence_book's devices(): { { jid, priority, caps } }.
function M.from_sessions(user_sessions)
	local list = {}
	for _, session in pairs(user_sessions and user_sessions.sessions or {}) do
		local presence, full_jid = session.presence, session.full_jid
		if full_jid and presence and (presence.attr.type == nil or presence.attr.type == "available") then
			-- A hibernated session (XEP-0198, its link lost) would answer only
			-- once woken: asking it would delay the ring and spend the wake-up
			-- push on a disco query instead of the call.
			list[#list + 1] = { jid = full_jid, priority = session.priority or 0, caps = book_mod.caps_of(presence),
				asleep = session.hibernating and true or nil }
		end
	end
	return list
end

--- Finds out what each device of `list` speaks and calls done(devices)
-- once, with devices = { { jid, priority, jmi, jingle_audio, answered } }.
-- `list`: { { jid, priority, caps } } (from_sessions(), or the presence
-- book's for users of other servers); a bare_sessions entry is taken too.
-- A device whose caps (XEP-0115) the book verified before is not asked;
-- the others get a disco#info, whose answer the book checks against the
-- announced caps and keeps for the next call.
-- o = { from = the asking JID, send_iq(stanza, timeout) -> promise,
--       new_id() -> string, timeout = seconds, book = presence book or nil }
function M.discover(list, o, done)
	if list == nil or list.sessions then list = M.from_sessions(list) end
	local devices, pending, finished = {}, 0, false
	local function finish()
		if finished or pending > 0 then return end
		finished = true
		done(devices)
	end
	for _, d in ipairs(list) do
		local device = { jid = d.jid, priority = d.priority or 0, jmi = false, jingle_audio = false, answered = false }
		devices[#devices + 1] = device
		local known = o.book and o.book:caps_features(d.caps)
		if known then
			device.jmi, device.jingle_audio, device.answered = known.jmi, known.jingle_audio, true
		elseif d.asleep then
			device.asleep = true -- not asked: it may speak JMI, the propose wakes it (M.wants_jmi)
		else
			pending = pending + 1
			-- Without the caps node (XEP-0115 §6.2 asks with node#ver): some
			-- clients answer only the plain query, and both must list the
			-- same identities and features, which the hash check verifies.
			local iq = st.iq({ type = "get", from = o.from, to = d.jid, id = o.new_id() })
				:tag("query", { xmlns = DISCO_INFO })
			o.send_iq(iq, o.timeout):next(function(event)
				local query = event.stanza:get_child("query", DISCO_INFO)
				if query then
					local f = M.features(query)
					device.jmi, device.jingle_audio, device.answered = f.jmi, f.jingle_audio, true
					if o.book then o.book:remember_caps(d.caps, query, f) end
				end
			end, function() end):finally(function()
				pending = pending - 1
				finish()
			end)
		end
	end
	finish()
end

--- The device to call directly (a session-initiate to its full JID), or
-- nil: the answering device with the highest priority that does Jingle RTP
-- audio over ICE-UDP but not JMI, which a propose would never reach. The
-- relay's client leg offers to one device at a time, so one such device
-- rings beside the JMI ones (M.wants_jmi).
function M.direct_target(devices)
	local best
	for _, d in ipairs(devices or {}) do
		if d.answered and not d.jmi and d.jingle_audio and (not best or d.priority > best.priority) then best = d end
	end
	return best
end

--- Whether a JMI propose should go out too: some device speaks JMI, or
-- did not say (it might), or nothing is known of the owner's devices (a
-- user of another server who shares no presence: their server delivers the
-- propose to whatever is online, or keeps it).
function M.wants_jmi(devices)
	if devices == nil or #devices == 0 then return true end
	for _, d in ipairs(devices) do
		if d.jmi or not d.answered then return true end
	end
	return false
end

return M
