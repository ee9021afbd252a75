-- Codec choice for the two legs of a call (docs/INTEROP.md#14).
--
-- Payload types are matched by name, clock rate and channels, never by
-- number: each leg keeps its own dynamic numbers (the client's on the Jingle
-- leg, the trunk's on the SIP leg) and the relay rewrites them. When both
-- sides share a codec the relay passes RTP through untouched; otherwise it
-- transcodes between one codec it can decode on each side.
-- telephone-event (RFC 4733) is chosen per leg at the clock rate of that
-- leg's audio codec where possible, so phone menus work.

local ipairs, type, tostring = ipairs, type, tostring

local M = {}

-- RFC 3551 §6 static payload types a client may send without name/clockrate.
M.STATIC = {
	[0] = { name = "PCMU", clockrate = 8000 },
	[3] = { name = "GSM", clockrate = 8000 },
	[8] = { name = "PCMA", clockrate = 8000 },
	-- G.722 samples at 16 kHz but its RTP clock is 8000 (RFC 3551 §4.5.2).
	[9] = { name = "G722", clockrate = 8000 },
	[13] = { name = "CN", clockrate = 8000 },
	[18] = { name = "G729", clockrate = 8000 },
}

-- Codecs the relay can decode and encode, in the order we prefer them
-- when we must transcode.
M.TRANSCODABLE = { "opus/48000/2", "g722/8000/1", "pcmu/8000/1", "pcma/8000/1" }

-- Normalised name/clockrate/channels of a payload type.
function M.resolve(pt)
	if type(pt) ~= "table" then return nil end
	local static = pt.id and M.STATIC[pt.id]
	local name = pt.name or (static and static.name)
	if not name then return nil end
	name = name:lower()
	local clockrate = pt.clockrate or (static and static.clockrate)
	local channels = pt.channels or 1
	if name == "opus" then
		-- RFC 7587 §7: opus is always opus/48000/2 in SDP; COMPAT: some
		-- Jingle clients omit channels, which would read as 1.
		channels = 2
		clockrate = clockrate or 48000
	end
	return name, clockrate, channels
end

-- "name/clockrate/channels", the identity used for matching.
function M.key(pt)
	local name, clockrate, channels = M.resolve(pt)
	if not name or not clockrate then return nil end
	return name .. "/" .. tostring(clockrate) .. "/" .. tostring(channels)
end

function M.same(a, b)
	local ka = M.key(a)
	return ka ~= nil and ka == M.key(b)
end

-- First entry of `list` matching `pt`.
function M.find(list, pt)
	for _, candidate in ipairs(list or {}) do
		if M.same(candidate, pt) then return candidate end
	end
	return nil
end

function M.is_telephone_event(pt)
	return (M.resolve(pt)) == "telephone-event"
end

-- Audio codecs we never pick as "the" codec of a leg.
local NOT_AUDIO = { ["telephone-event"] = true, cn = true, red = true, ["ulpfec"] = true, rtx = true }

-- Can the relay decode and encode this codec?
function M.is_transcodable(pt)
	local k = M.key(pt)
	for _, t in ipairs(M.TRANSCODABLE) do
		if k == t then return true end
	end
	return false
end

-- telephone-event on a leg: the one at the audio codec's clock rate, else any.
local function pick_dtmf(list, audio)
	local _, rate = M.resolve(audio)
	local any
	for _, pt in ipairs(list or {}) do
		if M.is_telephone_event(pt) then
			local _, r = M.resolve(pt)
			if r == rate then return pt end
			any = any or pt
		end
	end
	return any
end

local function first_transcodable(list)
	for _, t in ipairs(M.TRANSCODABLE) do
		for _, pt in ipairs(list or {}) do
			if M.key(pt) == t then return pt end
		end
	end
	return nil
end

-- Choose what each leg carries.
--   client_pts: payload types from the client's description, its preference order.
--   trunk_pts:  what the trunk offers or accepts, its preference order
--               (same shape: { id, name, clockrate, channels }).
-- Returns { mode = "passthrough"|"transcode", client = pt, trunk = pt,
--           client_dtmf = pt|nil, trunk_dtmf = pt|nil,
--           dtmf = "both"|"client-only"|"trunk-only"|"none" }
-- or nil, reason (a XEP-0166 condition) and a text.
function M.choose(client_pts, trunk_pts)
	local client, trunk
	for _, pt in ipairs(client_pts or {}) do
		local name = M.resolve(pt)
		if name and not NOT_AUDIO[name] then
			local shared = M.find(trunk_pts, pt)
			if shared then
				client, trunk = pt, shared
				break
			end
		end
	end
	local mode = "passthrough"
	if not client then
		mode = "transcode"
		client = first_transcodable(client_pts)
		trunk = first_transcodable(trunk_pts)
		if not client or not trunk then
			return nil, "incompatible-parameters", "no codec in common and none the relay can transcode"
		end
	end
	local choice = {
		mode = mode, client = client, trunk = trunk,
		client_dtmf = pick_dtmf(client_pts, client),
		trunk_dtmf = pick_dtmf(trunk_pts, trunk),
	}
	if choice.client_dtmf and choice.trunk_dtmf then
		choice.dtmf = "both"
	elseif choice.client_dtmf then
		choice.dtmf = "client-only"
	elseif choice.trunk_dtmf then
		-- Dino offers no telephone-event: the call still works, DTMF from
		-- the phone side is simply not forwarded to the client.
		choice.dtmf = "trunk-only"
	else
		choice.dtmf = "none"
	end
	return choice
end

-- Inbound: the codecs of the client's session-accept. An answer lists them
-- in the answerer's order of preference (RFC 3264 §6.1), and clients send
-- the first (libwebrtc, aiortc): every payload type of the answer is a
-- stream the client may send. When that first codec is not the trunk's,
-- the relay transcodes it (mode "transcode", `also` = the codec the client
-- shares with the trunk, passed through should the client switch to it);
-- `fallback` is the passthrough choice for when transcoding is refused.
-- Otherwise as M.choose.
function M.choose_answer(client_pts, trunk_pts, can_transcode)
	local shared, condition, text = M.choose(client_pts, trunk_pts)
	if not shared or shared.mode == "transcode" then return shared, condition, text end
	local first
	for _, pt in ipairs(client_pts or {}) do
		local name = M.resolve(pt)
		if name and not NOT_AUDIO[name] then
			first = pt
			break
		end
	end
	if not first or M.same(first, shared.client) or not can_transcode
		or not (M.is_transcodable(first) and M.is_transcodable(shared.trunk)) then
		return shared
	end
	local choice = {
		mode = "transcode", client = first, trunk = shared.trunk, also = shared.client,
		client_dtmf = pick_dtmf(client_pts, first), trunk_dtmf = shared.trunk_dtmf,
		fallback = shared,
	}
	choice.dtmf = shared.dtmf
	return choice
end

-- What we offer the trunk for a client's offer: every audio codec the client
-- offered that the trunk takes, in the client's order, so the trunk's answer
-- can land on any of them and media passes through untouched; then, when the
-- relay can transcode, the trunk's other transcodable codecs, so a trunk
-- sharing nothing with the client can still answer. The trunk's own entries
-- are returned (their names are what the SIP leg offers).
function M.trunk_offer(client_pts, trunk_pts, can_transcode)
	local list, seen = {}, {}
	local function add(pt)
		local k = M.key(pt)
		if k and not seen[k] then
			seen[k] = true
			list[#list + 1] = pt
		end
	end
	for _, pt in ipairs(client_pts or {}) do
		local name = M.resolve(pt)
		if name and not NOT_AUDIO[name] then
			local shared = M.find(trunk_pts, pt)
			if shared then add(shared) end
		end
	end
	if can_transcode then
		for _, t in ipairs(M.TRANSCODABLE) do
			for _, pt in ipairs(trunk_pts or {}) do
				if M.key(pt) == t then add(pt) end
			end
		end
	end
	return list
end

local function copy_pt(pt)
	local params = {}
	for i, p in ipairs(pt.parameters or {}) do
		params[i] = { name = p.name, value = p.value }
	end
	local name, clockrate, channels = M.resolve(pt)
	-- Keep the client's spelling of the name; fill in what static types omit,
	-- because Gajim and Movim need name and clockrate.
	return {
		id = pt.id, name = pt.name or (M.STATIC[pt.id] and M.STATIC[pt.id].name) or name,
		clockrate = clockrate, channels = channels > 1 and channels or nil,
		ptime = pt.ptime, maxptime = pt.maxptime,
		parameters = params, rtcp_fb = {},
	}
end

-- Payload types for our session-accept: the chosen codec first (Dino takes
-- the first payload-type of an answer as the agreed one, 0167_jingle_rtp/
-- content_parameters.vala handle_accept), then telephone-event. Client ids
-- and fmtp parameters are kept; rtcp-fb is dropped, the relay does none.
function M.answer_payload_types(choice)
	local list = { copy_pt(choice.client) }
	if choice.client_dtmf then
		list[2] = copy_pt(choice.client_dtmf)
	end
	return list
end

-- What we offer a client when we initiate (inbound phone calls). Ids follow
-- libwebrtc's defaults so browsers see familiar numbers; `first` (a payload
-- type, e.g. the trunk's codec) is moved to the front so the client picks
-- passthrough when it can.
function M.offer_payload_types(first)
	local list = {
		{ id = 111, name = "opus", clockrate = 48000, channels = 2,
			parameters = { { name = "minptime", value = "10" }, { name = "useinbandfec", value = "1" } },
			rtcp_fb = {} },
		{ id = 9, name = "G722", clockrate = 8000, parameters = {}, rtcp_fb = {} },
		{ id = 0, name = "PCMU", clockrate = 8000, parameters = {}, rtcp_fb = {} },
		{ id = 8, name = "PCMA", clockrate = 8000, parameters = {}, rtcp_fb = {} },
		-- No fmtp: RFC 4733's default (events 0-15) is what phones send, and a
		-- value-only parameter has no Jingle form Conversations can read
		-- (RtpDescription.Parameter.ofSdpString needs name=value).
		{ id = 110, name = "telephone-event", clockrate = 48000, parameters = {}, rtcp_fb = {} },
		{ id = 126, name = "telephone-event", clockrate = 8000, parameters = {}, rtcp_fb = {} },
	}
	if first then
		for i, pt in ipairs(list) do
			if M.same(pt, first) then
				table.remove(list, i)
				table.insert(list, 1, pt)
				break
			end
		end
	end
	return list
end

return M
