-- What to accept from a client's offer: this is a phone gateway, so a call
-- offered with audio + video proceeds with audio only, declining the rest
-- in the way each client's parser can take.
--
-- Declining styles, from the clients' sources:
--   "inactive"  keep the content in session-accept with senders='none'.
--               Conversations 2.12 terminates with security-error when the
--               session-accept's media differ from its session-initiate
--               (JingleRtpConnection.receiveSessionAccept compares
--               getMedia() sets), so it must see the video content;
--               browsers (Movim, StanzaJS) take it as an a=inactive m-line.
--   "omit"      leave it out. Dino's Senders.parse throws bad-request on
--               senders='none' (0166_jingle/jingle_structs.vala) and answers
--               content-reject/content-remove with feature-not-implemented.
--   "omit-then-remove"  leave it out, then content-remove it: Gajim keeps
--               contents by (creator, name) and drops one on content-remove
--               (gajim/common/jingle_session.py __on_content_remove).

local ns = require "jingle_sip.jingle.ns"
local build = require "jingle_sip.jingle.build"

local ipairs, type = ipairs, type

local M = {}

-- Declining style for a client, from its XEP-0115 caps node.
function M.decline_style(caps_node)
	if type(caps_node) == "string" then
		if caps_node:find("dino.im", 1, true) then return "omit" end
		if caps_node:find("gajim.org", 1, true) then return "omit-then-remove" end
	end
	return "inactive"
end

local function usable_audio(c)
	local d, t = c.description, c.transport
	return d and d.namespace == ns.RTP and d.media == "audio" and c.senders ~= "none"
		and t and t.namespace == ns.ICE_UDP
end

-- Split an offer (a parsed session-initiate or content-add) into the audio
-- content we carry and the contents we decline.
-- Returns audio, declined; or nil, condition, text when nothing is usable.
function M.split(offer)
	local audio, declined = nil, {}
	for _, c in ipairs(offer and offer.contents or {}) do
		if not audio and usable_audio(c) then
			audio = c
		else
			declined[#declined + 1] = c
		end
	end
	if audio then return audio, declined end
	for _, c in ipairs(offer and offer.contents or {}) do
		if c.description and c.description.media == "audio" then
			return nil, "unsupported-transports", "audio needs ICE-UDP"
		end
	end
	return nil, "unsupported-applications", "this gateway carries audio only"
end

-- Our local transport for a content: credentials and fingerprint shared by
-- every content (Conversations wants distinct-but-identical credentials
-- across contents, RtpContentMap.getDistinctCredentials).
local function local_transport(ours)
	local fps = {}
	for i, fp in ipairs(ours.fingerprints or {}) do
		fps[i] = { hash = fp.hash, setup = fp.setup, value = fp.value }
	end
	local cands = {}
	for i, c in ipairs(ours.candidates or {}) do cands[i] = c end
	return { namespace = ns.ICE_UDP, ufrag = ours.ufrag, pwd = ours.pwd, fingerprints = fps, candidates = cands }
end

-- The session-accept for `offer`.
--   opts.payload_types  our answer codecs (jingle_sip.jingle.codecs.answer_payload_types)
--   opts.transport      { ufrag, pwd, fingerprints = {{hash, setup, value}}, candidates }
--   opts.sources        our { {ssrc, parameters = {{name, value}}} } (optional;
--                       Conversations needs each parameter to have a value)
--   opts.responder      our full JID (XEP-0166: RECOMMENDED in session-accept)
--   opts.style          declining style, see above
-- Returns accept (session table), followups (session tables to send after
-- the accept is acknowledged), or nil, condition, text.
function M.session_accept(offer, opts)
	local audio, declined, why = M.split(offer)
	if not audio then return nil, declined, why end
	local style = opts.style or "inactive"
	local accepted = {
		-- docs/INTEROP.md#10: creator and name exactly as offered.
		{
			creator = audio.creator, name = audio.name, senders = audio.senders,
			description = {
				namespace = ns.RTP, media = "audio", payload_types = opts.payload_types or {},
				rtcp_mux = audio.description.rtcp_mux, rtcp_fb = {}, hdrexts = {},
				sources = opts.sources or {}, ssrc_groups = {}, bandwidth = {},
			},
			transport = local_transport(opts.transport or {}),
		},
	}
	local followups = {}
	for _, c in ipairs(declined) do
		if style == "inactive" and c.description and c.description.namespace == ns.RTP then
			local first = c.description.payload_types and c.description.payload_types[1]
			local pts = {}
			if first then
				pts[1] = { id = first.id, name = first.name, clockrate = first.clockrate,
					channels = first.channels, parameters = {}, rtcp_fb = {} }
			end
			local t = local_transport(opts.transport or {})
			t.candidates = {}
			accepted[#accepted + 1] = {
				creator = c.creator, name = c.name, senders = "none",
				description = {
					namespace = ns.RTP, media = c.description.media, payload_types = pts,
					rtcp_mux = c.description.rtcp_mux, rtcp_fb = {}, hdrexts = {},
					sources = {}, ssrc_groups = {}, bandwidth = {},
				},
				transport = t,
			}
		end
	end
	if style == "omit-then-remove" and #declined > 0 then
		followups[1] = build.content_refusal("content-remove", offer.sid, declined,
			"unsupported-applications", "Audio calls only")
	end
	-- XEP-0338: keep BUNDLE, listing only the contents we answer with.
	local groups = {}
	for _, g in ipairs(offer.groups or {}) do
		local names = {}
		for _, name in ipairs(g.contents or {}) do
			for _, c in ipairs(accepted) do
				if c.name == name then names[#names + 1] = name end
			end
		end
		if #names > 0 then groups[#groups + 1] = { semantics = g.semantics, contents = names } end
	end
	return {
		action = "session-accept", sid = offer.sid, initiator = offer.initiator,
		responder = opts.responder, contents = accepted, groups = groups,
	}, followups
end

return M
