-- Jingle stanza -> plain description table.
--
-- The call state machine never touches XML: it gets tables from here and
-- hands tables to jingle_sip.jingle.build. Shapes (every field optional
-- unless marked):
--
--   session     = { action*, sid*, initiator, responder, contents = {content...},
--                   groups = {{semantics, contents = {name...}}}, reason, info,
--                   unknown = {stanza...} }
--   content     = { creator*, name*, senders, disposition, description, transport,
--                   creator_missing, unknown }
--   description = { namespace*, media, ssrc, ptime, maxptime, payload_types = {pt...},
--                   rtcp_mux, rtcp_reduced_size, rtcp_fb = {fb...}, rtcp_fb_trr_int,
--                   bandwidth = {{type, value}}, hdrexts = {{id, uri, senders}},
--                   extmap_allow_mixed, sources = {{ssrc, parameters = {{name, value}}}},
--                   ssrc_groups = {{semantics, sources = {ssrc...}}}, unknown }
--   pt          = { id*, name, clockrate, channels, ptime, maxptime,
--                   parameters = {{name, value}}, rtcp_fb = {{type, subtype}},
--                   rtcp_fb_trr_int, unknown_attrs }
--   transport   = { namespace*, ufrag, pwd, candidates = {cand...},
--                   fingerprints = {{hash, setup, value}}, end_of_candidates, unknown }
--   cand        = { component*, foundation*, ip*, port*, priority*, type*, protocol,
--                   generation, id, network, rel_addr, rel_port, tcptype, unknown_attrs }
--   reason      = { condition*, text, alternative_sid, rtp_condition, unknown_condition }
--   info        = { kind* ("ringing"|"active"|"hold"|"unhold"|"mute"|"unmute"|"dtmf"|"unknown"),
--                   creator, name, element, namespace,
--                   digits, duration, volume, error }   (dtmf: see parse_dtmf)
--
-- Unknown elements are kept in `unknown` lists (as stanza objects) and unknown
-- attributes in `unknown_attrs` maps, out of the way of the known fields:
-- a client's private extension is never a parse failure. Missing or
-- malformed *required* data returns nil plus an error table
-- { condition = "bad-request", jingle_condition = <XEP-0166 condition or nil>,
--   text = <what was wrong> } that jingle_sip.jingle.errors turns into a reply.

local ns = require "jingle_sip.jingle.ns"
local ice_grammar = require "jingle_sip.jingle.ice_grammar"

local tonumber, tostring, type, pairs, ipairs = tonumber, tostring, type, pairs, ipairs
local math_type = math.type

local M = {}

-- XEP-0166 v1.1.2 §7.2: every action; the state machine decides which it handles.
local ACTIONS = {}
for _, a in ipairs({
	"content-accept", "content-add", "content-modify", "content-reject", "content-remove",
	"description-info", "security-info", "session-accept", "session-info",
	"session-initiate", "session-terminate", "transport-accept", "transport-info",
	"transport-reject", "transport-replace",
}) do ACTIONS[a] = true end
M.ACTIONS = ACTIONS

-- Actions whose contents must each carry an application description.
local NEEDS_DESCRIPTION = {
	["session-initiate"] = true, ["session-accept"] = true,
	["content-add"] = true, ["content-accept"] = true, ["description-info"] = true,
}
-- Actions that make no sense without at least one <content/>.
local NEEDS_CONTENT = {
	["session-initiate"] = true, ["session-accept"] = true, ["content-add"] = true,
	["content-accept"] = true, ["content-modify"] = true, ["content-reject"] = true,
	["content-remove"] = true, ["transport-info"] = true, ["description-info"] = true,
	["transport-accept"] = true, ["transport-replace"] = true, ["transport-reject"] = true,
}

-- XEP-0166 v1.1.2 §7.4 reason conditions.
local REASONS = {}
for _, r in ipairs({
	"alternative-session", "busy", "cancel", "connectivity-error", "decline", "expired",
	"failed-application", "failed-transport", "general-error", "gone",
	"incompatible-parameters", "media-error", "security-error", "success", "timeout",
	"unsupported-applications", "unsupported-transports",
}) do REASONS[r] = true end
M.REASONS = REASONS

-- XEP-0167 v1.2.2 §7 informational payloads.
local INFOS = { active = true, hold = true, unhold = true, mute = true, unmute = true, ringing = true }
M.INFOS = INFOS

local CREATORS = { initiator = true, responder = true }
local SENDERS = { both = true, initiator = true, responder = true, none = true }
local CANDIDATE_TYPES = { host = true, srflx = true, prflx = true, relay = true }

local function bad(text, jingle_condition)
	return { condition = "bad-request", jingle_condition = jingle_condition, text = text }
end

-- Integer attribute in [min, max]; nil when absent, false when malformed.
local function int_attr(el, name, min, max)
	local s = el.attr[name]
	if s == nil then return nil end
	if type(s) ~= "string" or not s:match("^%s*%-?%d+%s*$") then return false end
	local n = tonumber(s)
	if not n or math_type(n) ~= "integer" or n < min or n > max then return false end
	return n
end

-- Attributes not in `known`, so a round trip can keep them out of the way.
local function unknown_attrs(el, known)
	local extra
	for k, v in pairs(el.attr) do
		if k ~= "xmlns" and not known[k] and type(k) == "string" and not k:find("\1", 1, true) then
			extra = extra or {}
			extra[k] = v
		end
	end
	return extra
end

local function set(list)
	local s = {}
	for _, v in ipairs(list) do s[v] = true end
	return s
end

-- Every child element with its effective namespace. util.stanza's
-- childtags() only yields children in the parent's namespace, and stanzas
-- built locally leave inherited namespaces implicit, so track them here.
local function each_child(el, el_ns)
	local tags, i = el.tags or {}, 0
	return function()
		i = i + 1
		local child = tags[i]
		if child then
			return child, child.attr.xmlns or el_ns
		end
	end
end

---------------------------------------------------------------------------
-- XEP-0167 application
---------------------------------------------------------------------------

local PT_ATTRS = set({ "id", "name", "clockrate", "channels", "ptime", "maxptime" })

local function parse_rtcp_fb(el)
	if not el.attr.type or el.attr.type == "" then
		return nil, bad("rtcp-fb without type")
	end
	return { type = el.attr.type, subtype = el.attr.subtype }
end

local function parse_payload_type(el, media_ns)
	local id = int_attr(el, "id", 0, 127)
	if not id then
		return nil, bad("payload-type needs a numeric id (0-127)")
	end
	local pt = { id = id, name = el.attr.name, parameters = {}, rtcp_fb = {} }
	for _, f in ipairs({ "clockrate", "channels", "ptime", "maxptime" }) do
		local v = int_attr(el, f, 0, 0x7fffffff)
		if v == false then
			return nil, bad("payload-type " .. id .. " has a malformed " .. f)
		end
		pt[f] = v
	end
	pt.unknown_attrs = unknown_attrs(el, PT_ATTRS)
	for child, cns in each_child(el, media_ns) do
		if child.name == "parameter" and cns == ns.RTP then
			if not child.attr.name then
				return nil, bad("payload-type " .. id .. " has a parameter without name")
			end
			pt.parameters[#pt.parameters + 1] = { name = child.attr.name, value = child.attr.value or "" }
		elseif child.name == "rtcp-fb" and cns == ns.RTCP_FB then
			local fb, err = parse_rtcp_fb(child)
			if not fb then return nil, err end
			pt.rtcp_fb[#pt.rtcp_fb + 1] = fb
		elseif child.name == "rtcp-fb-trr-int" and cns == ns.RTCP_FB then
			pt.rtcp_fb_trr_int = int_attr(child, "value", 0, 0x7fffffff) or nil
		else
			pt.unknown = pt.unknown or {}
			pt.unknown[#pt.unknown + 1] = child
		end
	end
	return pt
end

local function parse_source(el)
	local src = { ssrc = el.attr.ssrc, parameters = {} }
	if not src.ssrc or not src.ssrc:match("^%d+$") then
		return nil, bad("source needs a numeric ssrc")
	end
	for p in each_child(el, ns.SSMA) do
		if p.name == "parameter" then
			src.parameters[#src.parameters + 1] = { name = p.attr.name, value = p.attr.value }
		end
	end
	return src
end

local function parse_ssrc_group(el)
	local g = { semantics = el.attr.semantics, sources = {} }
	for s in each_child(el, ns.SSMA) do
		if s.name == "source" then
			g.sources[#g.sources + 1] = s.attr.ssrc
		end
	end
	return g
end

local function parse_rtp_description(el)
	local d = {
		namespace = ns.RTP, media = el.attr.media, ssrc = el.attr.ssrc,
		payload_types = {}, rtcp_fb = {}, bandwidth = {}, hdrexts = {},
		sources = {}, ssrc_groups = {}, rtcp_mux = false,
	}
	-- COMPAT: Movim (SDPtoJingle.php) puts a=ptime/a=maxptime on <description>.
	d.ptime = int_attr(el, "ptime", 0, 0x7fffffff) or nil
	d.maxptime = int_attr(el, "maxptime", 0, 0x7fffffff) or nil
	for child, cns in each_child(el, ns.RTP) do
		local name = child.name
		if name == "payload-type" and cns == ns.RTP then
			local pt, err = parse_payload_type(child, ns.RTP)
			if not pt then return nil, err end
			d.payload_types[#d.payload_types + 1] = pt
		elseif name == "rtcp-mux" and cns == ns.RTP then
			d.rtcp_mux = true
		elseif name == "rtcp-reduced-size" and cns == ns.RTP then
			d.rtcp_reduced_size = true
		elseif name == "bandwidth" and cns == ns.RTP then
			-- XEP-0167 puts the value in text; COMPAT: Movim uses value=''.
			local value = child:get_text()
			if value == "" then value = child.attr.value end
			d.bandwidth[#d.bandwidth + 1] = { type = child.attr.type, value = value }
		elseif name == "rtcp-fb" and cns == ns.RTCP_FB then
			local fb, err = parse_rtcp_fb(child)
			if not fb then return nil, err end
			d.rtcp_fb[#d.rtcp_fb + 1] = fb
		elseif name == "rtcp-fb-trr-int" and cns == ns.RTCP_FB then
			d.rtcp_fb_trr_int = int_attr(child, "value", 0, 0x7fffffff) or nil
		elseif name == "rtp-hdrext" and cns == ns.HDREXT then
			local id = int_attr(child, "id", 1, 4095)
			if not id or not child.attr.uri then
				return nil, bad("rtp-hdrext needs a numeric id and a uri")
			end
			d.hdrexts[#d.hdrexts + 1] = { id = id, uri = child.attr.uri, senders = child.attr.senders }
		elseif name == "extmap-allow-mixed" and cns == ns.HDREXT then
			d.extmap_allow_mixed = true
		elseif name == "source" and cns == ns.SSMA then
			local src, err = parse_source(child)
			if not src then return nil, err end
			d.sources[#d.sources + 1] = src
		elseif name == "ssrc-group" and cns == ns.SSMA then
			d.ssrc_groups[#d.ssrc_groups + 1] = parse_ssrc_group(child)
		else
			d.unknown = d.unknown or {}
			d.unknown[#d.unknown + 1] = child
		end
	end
	return d
end

---------------------------------------------------------------------------
-- XEP-0176 transport
---------------------------------------------------------------------------

local CAND_ATTRS = set({
	"component", "foundation", "generation", "id", "ip", "network", "port", "priority",
	"protocol", "rel-addr", "rel-port", "tcptype", "type",
})

-- One <candidate/>; XEP-0176 v1.1 §5.2 lists every attribute.
function M.candidate(el)
	if type(el) ~= "table" or type(el.attr) ~= "table" then
		return nil, bad("candidate is not an element")
	end
	local c = {
		foundation = el.attr.foundation, ip = el.attr.ip, type = el.attr.type,
		protocol = el.attr.protocol, id = el.attr.id, rel_addr = el.attr["rel-addr"],
		tcptype = el.attr.tcptype,
	}
	c.component = int_attr(el, "component", 1, 256)
	c.port = int_attr(el, "port", 0, 65535)
	c.priority = int_attr(el, "priority", 0, 0xffffffff)
	c.generation = int_attr(el, "generation", 0, 255)
	c.network = int_attr(el, "network", 0, 0x7fffffff)
	c.rel_port = int_attr(el, "rel-port", 0, 65535)
	for _, f in ipairs({ "component", "port", "priority" }) do
		if not c[f] then
			return nil, bad("candidate has a missing or malformed " .. f)
		end
	end
	-- Optional numbers: a malformed one is as bad as a malformed required one,
	-- since the client clearly meant something else.
	for _, f in ipairs({ "generation", "network", "rel_port" }) do
		if c[f] == false then
			return nil, bad("candidate has a malformed " .. f:gsub("_", "-"))
		end
	end
	if not c.foundation or c.foundation == "" or not c.ip or c.ip == "" then
		return nil, bad("candidate needs foundation and ip")
	end
	-- Each of these becomes a field of the SDP candidate line the relay
	-- (libnice) parses: nothing outside RFC 8839's grammar gets that far.
	local ok, why = ice_grammar.foundation(c.foundation)
	if ok then ok, why = ice_grammar.address(c.ip) end
	if ok and c.rel_addr then ok, why = ice_grammar.address(c.rel_addr, "candidate rel-addr") end
	if ok then ok, why = ice_grammar.protocol(c.protocol) end
	if not ok then return nil, bad(why) end
	-- Dino (0176_jingle_ice_udp/candidate.vala) rejects other types too.
	if not CANDIDATE_TYPES[c.type or ""] then
		return nil, bad("candidate type must be host, srflx, prflx or relay")
	end
	c.unknown_attrs = unknown_attrs(el, CAND_ATTRS)
	return c
end

-- XEP-0176 v1.1 §5.1: ufrag and pwd (RFC 8839 §5.4 lengths and characters),
-- checked here so that a session-initiate carrying bad ones is refused
-- before any relay call exists. A transport-info may name the ufrag alone
-- (StanzaJS does, to tie candidates to their credentials).
local function check_credentials(t)
	local ok, why = true, nil
	if t.ufrag ~= nil then ok, why = ice_grammar.ufrag(t.ufrag) end
	if ok and t.pwd ~= nil then ok, why = ice_grammar.pwd(t.pwd) end
	return ok, why
end

local function parse_ice_transport(el)
	local t = {
		namespace = ns.ICE_UDP, ufrag = el.attr.ufrag, pwd = el.attr.pwd,
		candidates = {}, fingerprints = {},
	}
	local credentials_ok, why = check_credentials(t)
	if not credentials_ok then return nil, bad(why) end
	for child, cns in each_child(el, ns.ICE_UDP) do
		if child.name == "candidate" and cns == ns.ICE_UDP then
			local c, err = M.candidate(child)
			if not c then return nil, err end
			t.candidates[#t.candidates + 1] = c
		elseif child.name == "fingerprint" and cns == ns.DTLS then
			-- XEP-0320 v0.4: hash and setup attributes, fingerprint as text.
			local fp = {
				hash = child.attr.hash, setup = child.attr.setup,
				value = (child:get_text() or ""):match("^%s*(.-)%s*$"),
			}
			local fp_ok, fp_why = ice_grammar.fingerprint(fp)
			if not fp_ok then return nil, bad(fp_why) end
			t.fingerprints[#t.fingerprints + 1] = fp
		elseif child.name == "gathering-complete" and cns == ns.ICE_UDP then
			-- COMPAT: legastero/stanza (ICESession.ts onIceEndOfCandidates)
			-- signals end-of-candidates this way.
			t.end_of_candidates = true
		else
			t.unknown = t.unknown or {}
			t.unknown[#t.unknown + 1] = child
		end
	end
	return t
end

---------------------------------------------------------------------------
-- XEP-0166 session level
---------------------------------------------------------------------------

local function parse_content(el, action)
	local c = {
		creator = el.attr.creator, name = el.attr.name, senders = el.attr.senders,
		disposition = el.attr.disposition,
	}
	if not c.name or c.name == "" then
		return nil, bad("content without name")
	end
	if c.creator == nil then
		-- COMPAT: XEP-0166 requires creator, but Dino (content_node.vala)
		-- treats a missing one as initiator; so do we, and say so.
		c.creator = "initiator"
		c.creator_missing = true
	elseif not CREATORS[c.creator] then
		return nil, bad("content creator must be initiator or responder")
	end
	if c.senders ~= nil and not SENDERS[c.senders] then
		return nil, bad("content senders must be both, initiator, responder or none")
	end
	for child, cns in each_child(el, ns.JINGLE) do
		if child.name == "description" and not c.description then
			if cns == ns.RTP then
				local d, err = parse_rtp_description(child)
				if not d then return nil, err end
				c.description = d
			else
				c.description = { namespace = cns, unsupported = true }
			end
		elseif child.name == "transport" and not c.transport then
			if cns == ns.ICE_UDP then
				local t, err = parse_ice_transport(child)
				if not t then return nil, err end
				c.transport = t
			else
				c.transport = { namespace = cns, unsupported = true }
			end
		else
			c.unknown = c.unknown or {}
			c.unknown[#c.unknown + 1] = child
		end
	end
	if NEEDS_DESCRIPTION[action] then
		if not c.description then
			return nil, bad("content " .. c.name .. " has no description")
		end
		if c.description.namespace == ns.RTP and not c.description.media then
			return nil, bad("content " .. c.name .. " has an RTP description without media")
		end
	end
	return c
end

local function parse_reason(el)
	local r = {}
	for child, cns in each_child(el, ns.JINGLE) do
		if child.name == "text" then
			r.text = child:get_text()
		elseif cns == ns.RTP_ERRORS then
			r.rtp_condition = child.name
		elseif not r.condition then
			if REASONS[child.name] then
				r.condition = child.name
				if child.name == "alternative-session" then
					for sid in each_child(child, cns) do
						if sid.name == "sid" then r.alternative_sid = sid:get_text() end
					end
				end
			else
				-- An unknown condition is still a reason to end; keep its name.
				r.condition = "general-error"
				r.unknown_condition = child.name
			end
		end
	end
	if not r.condition then
		r.condition = r.rtp_condition and "security-error" or "general-error"
		r.condition_missing = true
	end
	return r
end

-- A <reason/> element (XEP-0166 §7.4), also used inside XEP-0353 messages.
function M.reason(el)
	if type(el) ~= "table" or type(el.attr) ~= "table" then return nil end
	local ok, r = pcall(parse_reason, el)
	return ok and r or nil
end

-- XEP-0181 v0.12 <dtmf code='5' duration='100' volume='10'/>: digits (a
-- string), duration in ms (default 100), volume 0..63 or nil. A code or
-- number the gateway cannot use gives `error` (the XEP's
-- feature-not-implemented) instead of failing the whole session-info.
local DTMF_CODE = "^[0-9#%*A-D]+$"
local function parse_dtmf(el)
	local info = { kind = "dtmf" }
	local code = el.attr.code
	-- COMPAT: XEP-0181 before v0.12 allowed several digits in one code; a-d
	-- are the same keys as A-D.
	code = type(code) == "string" and code:upper() or nil
	if not code or #code > 32 or not code:match(DTMF_CODE) then
		info.error = "DTMF code must be 0-9, *, # or A-D, got " .. tostring(el.attr.code)
		return info
	end
	info.digits = code
	local duration = int_attr(el, "duration", 0, 3600000)
	local volume = int_attr(el, "volume", 0, 63)
	if duration == false then
		info.error = "DTMF duration must be a whole number of milliseconds"
	elseif volume == false then
		info.error = "DTMF volume must be 0..63"
	end
	info.duration = duration or 100
	info.volume = volume or nil
	return info
end

local function parse_info(jingle)
	for child, cns in each_child(jingle, ns.JINGLE) do
		if cns == ns.DTMF and child.name == "dtmf" then
			return parse_dtmf(child)
		elseif cns == ns.RTP_INFO and INFOS[child.name] then
			-- XEP-0167 mute/unmute carry creator+name; COMPAT: Movim sends
			-- name only (Moxl/Stanza/Jingle.php sessionMute).
			return { kind = child.name, creator = child.attr.creator, name = child.attr.name }
		elseif child.name ~= "reason" and cns ~= ns.JINGLE then
			return { kind = "unknown", element = child.name, namespace = cns }
		end
	end
	return nil -- an empty session-info is a ping (XEP-0166 §7.2.10)
end

local function find_jingle(stanza)
	if type(stanza) ~= "table" or type(stanza.attr) ~= "table" or type(stanza.name) ~= "string" then
		return nil
	end
	if stanza.name == "jingle" and stanza.attr.xmlns == ns.JINGLE then
		return stanza
	end
	if stanza.name == "iq" and type(stanza.get_child) == "function" then
		return stanza:get_child("jingle", ns.JINGLE)
	end
	return nil
end

local function parse_jingle(stanza)
	local jingle = find_jingle(stanza)
	if not jingle then
		return nil, bad("no jingle element")
	end
	local action, sid = jingle.attr.action, jingle.attr.sid
	if not action or action == "" then
		return nil, bad("jingle element without action")
	end
	if not sid or sid == "" then
		return nil, bad("jingle element without sid")
	end
	if not ACTIONS[action] then
		-- XEP-0166 §7.2: an unknown action is a plain bad-request.
		return nil, bad("unknown jingle action " .. action)
	end
	local s = {
		action = action, sid = sid, initiator = jingle.attr.initiator,
		responder = jingle.attr.responder, contents = {}, groups = {},
	}
	local seen = {}
	for child, cns in each_child(jingle, ns.JINGLE) do
		if child.name == "content" and cns == ns.JINGLE then
			local c, err = parse_content(child, action)
			if not c then return nil, err end
			local key = c.creator .. "\0" .. c.name
			if seen[key] then
				return nil, bad("two contents named " .. c.name)
			end
			seen[key] = true
			s.contents[#s.contents + 1] = c
		elseif child.name == "reason" and cns == ns.JINGLE then
			s.reason = parse_reason(child)
		elseif child.name == "group" and cns == ns.GROUPING then
			local g = { semantics = child.attr.semantics, contents = {} }
			for gc in each_child(child, ns.GROUPING) do
				if gc.name == "content" then
					g.contents[#g.contents + 1] = gc.attr.name
				end
			end
			s.groups[#s.groups + 1] = g
		elseif not (action == "session-info" and (cns == ns.RTP_INFO or cns == ns.DTMF)) then
			s.unknown = s.unknown or {}
			s.unknown[#s.unknown + 1] = child
		end
	end
	if NEEDS_CONTENT[action] and #s.contents == 0 then
		return nil, bad(action .. " without content")
	end
	if action == "session-info" then
		s.info = parse_info(jingle)
	end
	return s
end

-- Parse an <iq/> carrying <jingle/> (or the <jingle/> element itself).
-- Returns the session table, or nil and an error table. Never raises.
function M.jingle(stanza)
	local ok, s, err = pcall(parse_jingle, stanza)
	if not ok then
		return nil, bad("unparsable jingle payload: " .. tostring(s))
	end
	return s, err
end

-- Find a content by creator and name, the key XEP-0166 uses (Gajim keys its
-- contents the same way, so both parts must match).
function M.find_content(session, creator, name)
	for _, c in ipairs(session and session.contents or {}) do
		if c.name == name and c.creator == creator then
			return c
		end
	end
	return nil
end

return M
