-- Shared by the jingle specs: load fixtures and encode what each client's
-- own parser requires of the stanzas we send it (facts from their sources,
-- cited per check).

local xml = require "util.xml"
local parse = require "jingle_sip.jingle.parse"

local H = {}

H.dir = "spec/fixtures/jingle/"

-- Fixture file -> util.stanza (the XML comment on top says where it is from;
-- util.xml refuses comments, so it is stripped here).
function H.stanza(name)
	local f = assert(io.open(H.dir .. name, "r"), "missing fixture " .. name)
	local text = f:read("a")
	f:close()
	text = text:gsub("<!%-%-.-%-%->", ""):gsub("^%s+", ""):gsub("%s+$", "")
	return assert(xml.parse(text))
end

-- Serialise and parse again, as the wire would.
function H.rewire(stanza)
	return assert(xml.parse(tostring(stanza)))
end

-- Canonical text of a stanza: attributes sorted, namespaces written only
-- where they change, so expected XML can be spelled out in specs.
function H.canon(el, parent_ns)
	if type(el) == "string" then
		return (el:gsub("&", "&amp;"):gsub("<", "&lt;"))
	end
	local el_ns = el.attr.xmlns or parent_ns
	local keys = {}
	for k in pairs(el.attr) do
		if k ~= "xmlns" then keys[#keys + 1] = k end
	end
	table.sort(keys)
	local out = { "<", el.name }
	if el_ns ~= parent_ns then
		out[#out + 1] = " xmlns='" .. el_ns .. "'"
	end
	for _, k in ipairs(keys) do
		out[#out + 1] = " " .. k .. "='" .. el.attr[k] .. "'"
	end
	if #el == 0 then
		out[#out + 1] = "/>"
	else
		out[#out + 1] = ">"
		for _, child in ipairs(el) do
			out[#out + 1] = H.canon(child, el_ns)
		end
		out[#out + 1] = "</" .. el.name .. ">"
	end
	return table.concat(out)
end

-- Drop the out-of-the-way fields (unknown elements/attributes) for comparisons.
function H.strip_unknown(t)
	if type(t) ~= "table" then return t end
	local out = {}
	for k, v in pairs(t) do
		if k ~= "unknown" and k ~= "unknown_attrs" then
			out[k] = H.strip_unknown(v)
		end
	end
	return out
end

local function has_whitespace(s)
	return type(s) == "string" and s:find("%s") ~= nil
end

local function media_set(session)
	local set = {}
	for _, c in ipairs(session.contents) do
		set[c.description and c.description.media or "?"] = true
	end
	return set
end

-- Conversations 2.12.8: RtpContentMap.requireContentDescriptions,
-- requireDTLSFingerprint, getDistinctCredentials, SessionDescription.of,
-- JingleRtpConnection.receiveSessionAccept (same media set as its offer).
function H.conversations_accepts(accept_stanza, offer)
	local s = assert(parse.jingle(H.rewire(accept_stanza)))
	local creds
	for _, c in ipairs(s.contents) do
		assert(c.description, "content " .. c.name .. " needs a description")
		local t = assert(c.transport, "content needs a transport")
		assert(t.ufrag and t.ufrag ~= "" and not has_whitespace(t.ufrag), "ufrag")
		assert(t.pwd and t.pwd ~= "" and not has_whitespace(t.pwd), "pwd")
		local key = t.ufrag .. " " .. t.pwd
		assert(creds == nil or creds == key, "credentials must be the same on every content")
		creds = key
		local fp = assert(t.fingerprints[1], "DTLS-SRTP fingerprint required")
		assert(fp.hash and fp.hash ~= "" and fp.value and fp.value ~= "", "fingerprint hash and value")
		assert(fp.setup == "active" or fp.setup == "passive", "answer setup must be active or passive")
		for _, pt in ipairs(c.description.payload_types) do
			assert(math.type(pt.id) == "integer", "numeric payload id")
			assert(pt.name and not has_whitespace(pt.name), "payload name")
			for _, p in ipairs(pt.parameters) do
				assert(p.name and p.value and not has_whitespace(p.value), "parameter name=value")
			end
		end
		for _, src in ipairs(c.description.sources) do
			for _, p in ipairs(src.parameters) do
				assert(p.name and p.name ~= "" and p.value and p.value ~= "", "ssrc parameter value")
			end
		end
	end
	if offer then
		local want, got = media_set(offer), media_set(s)
		for m in pairs(want) do assert(got[m], "session-accept lacks offered media " .. m) end
		for m in pairs(got) do assert(want[m], "session-accept adds media " .. m) end
	end
	return true
end

-- Dino: Senders.parse only knows both/initiator/responder
-- (0166_jingle/jingle_structs.vala); Candidate.Type.parse only host/srflx/
-- prflx/relay; handle_accept takes the first payload-type as the agreed one
-- and warns when it is not one Dino offered.
function H.dino_accepts(accept_stanza, offer)
	local s = assert(parse.jingle(H.rewire(accept_stanza)))
	assert(#s.contents > 0, "missing content node")
	for _, c in ipairs(s.contents) do
		assert(c.senders == nil or c.senders == "both" or c.senders == "initiator"
			or c.senders == "responder", "Dino rejects senders=" .. tostring(c.senders))
		assert(not c.creator_missing, "creator")
		assert(c.transport.namespace == "urn:xmpp:jingle:transports:ice-udp:1")
		for _, cand in ipairs(c.transport.candidates) do
			assert(({ host = 1, srflx = 1, prflx = 1, relay = 1 })[cand.type])
		end
		local offered = parse.find_content(offer, c.creator, c.name)
		assert(offered, "answered content must exist in Dino's offer")
		local first = c.description.payload_types[1]
		local found = false
		for _, pt in ipairs(offered.description.payload_types) do
			if pt.id == first.id and pt.name == first.name then found = true end
		end
		assert(found, "first payload-type must be one Dino offered")
	end
	return true
end

-- Gajim: contents keyed by (creator, name) (jingle_session.py
-- __on_content_accept et al. answer bad-request otherwise); payload-types
-- without id, name or clockrate are ignored (jingle_rtp.py __on_remote_codecs).
function H.gajim_accepts(accept_stanza, offer)
	local s = assert(parse.jingle(H.rewire(accept_stanza)))
	for _, c in ipairs(s.contents) do
		assert(parse.find_content(offer, c.creator, c.name), "Gajim: content does not exist")
		assert(#c.description.payload_types > 0)
		for _, pt in ipairs(c.description.payload_types) do
			assert(pt.id and pt.name and pt.clockrate, "Gajim ignores payload-types without id/name/clockrate")
		end
	end
	return true
end

-- Movim JingletoSDP.php: a=ice-ufrag only with pwd; rtpmap needs name and
-- clockrate; m-line formats from payload ids; fingerprint needs hash.
function H.movim_accepts(accept_stanza)
	local s = assert(parse.jingle(H.rewire(accept_stanza)))
	for _, c in ipairs(s.contents) do
		assert(c.transport.ufrag and c.transport.pwd, "ufrag and pwd together")
		for _, pt in ipairs(c.description.payload_types) do
			assert(pt.name and pt.clockrate, "rtpmap needs name/clockrate")
		end
		assert(c.transport.fingerprints[1] and c.transport.fingerprints[1].hash, "fingerprint hash")
	end
	return true
end

-- StanzaJS xep0167.ts/xep0176.ts: integer attributes must be integers,
-- contents need creator/name, senders in its enum.
function H.stanzajs_accepts(accept_stanza)
	local s = assert(parse.jingle(H.rewire(accept_stanza)))
	for _, c in ipairs(s.contents) do
		assert(c.creator == "initiator" or c.creator == "responder")
		for _, h in ipairs(c.description.hdrexts) do assert(math.type(h.id) == "integer") end
		for _, pt in ipairs(c.description.payload_types) do assert(math.type(pt.clockrate) == "integer") end
	end
	return true
end

return H
