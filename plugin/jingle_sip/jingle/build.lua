-- Plain description table -> util.stanza Jingle elements.
--
-- Takes the same shapes jingle_sip.jingle.parse returns (see the comment at
-- the top of parse.lua), so parse -> build -> parse is the identity on the
-- known fields. Unknown elements/attributes a client sent are only written
-- back with opts.keep_unknown: echoing a client's private extension (e.g.
-- Conversations' OMEMO verification) to someone else would be a lie.
--
-- What the clients' parsers need from us, and why it is always written:
--   * content creator+name exactly as received (docs/INTEROP.md#10; Gajim keys
--     contents by (creator, name) in gajim/common/jingle_session.py).
--   * payload-type clockrate (Gajim jingle_rtp.py skips payload-types without
--     id, name or clockrate; Movim JingletoSDP.php needs it for a=rtpmap).
--   * transport ufrag and pwd together (Conversations SessionDescription.of
--     throws without either; Movim emits a=ice-ufrag only with a pwd).
--   * fingerprint hash+setup+value (Conversations RtpContentMap
--     requireDTLSFingerprint).

local st = require "util.stanza"
local ns = require "jingle_sip.jingle.ns"

local tostring, pairs, ipairs, type = tostring, pairs, ipairs, type

local M = {}

local function str(v)
	if v == nil then return nil end
	return tostring(v)
end

local function add_unknown_attrs(attr, unknown, opts)
	if opts and opts.keep_unknown and unknown then
		for k, v in pairs(unknown) do
			if attr[k] == nil then attr[k] = v end
		end
	end
	return attr
end

local function add_unknown_children(el, unknown, opts)
	if opts and opts.keep_unknown and unknown then
		for _, child in ipairs(unknown) do
			el:add_direct_child(st.clone(child))
		end
	end
end

local function rtcp_fb(el, list, trr_int)
	for _, fb in ipairs(list or {}) do
		el:tag("rtcp-fb", { xmlns = ns.RTCP_FB, type = fb.type, subtype = fb.subtype }):up()
	end
	if trr_int then
		el:tag("rtcp-fb-trr-int", { xmlns = ns.RTCP_FB, value = str(trr_int) }):up()
	end
end

-- One <payload-type/> (XEP-0167 v1.2.2 §5).
function M.payload_type(pt, opts)
	local attr = add_unknown_attrs({
		id = str(pt.id), name = pt.name, clockrate = str(pt.clockrate),
		channels = str(pt.channels), ptime = str(pt.ptime), maxptime = str(pt.maxptime),
	}, pt.unknown_attrs, opts)
	local el = st.stanza("payload-type", attr)
	for _, p in ipairs(pt.parameters or {}) do
		el:tag("parameter", { name = p.name, value = p.value or "" }):up()
	end
	rtcp_fb(el, pt.rtcp_fb, pt.rtcp_fb_trr_int)
	add_unknown_children(el, pt.unknown, opts)
	return el
end

-- <description xmlns='urn:xmpp:jingle:apps:rtp:1'/> with everything we model.
function M.description(d, opts)
	local el = st.stanza("description", {
		xmlns = ns.RTP, media = d.media, ssrc = d.ssrc,
		ptime = str(d.ptime), maxptime = str(d.maxptime),
	})
	for _, pt in ipairs(d.payload_types or {}) do
		el:add_direct_child(M.payload_type(pt, opts))
	end
	for _, bw in ipairs(d.bandwidth or {}) do
		el:tag("bandwidth", { type = bw.type }):text(str(bw.value) or ""):up()
	end
	rtcp_fb(el, d.rtcp_fb, d.rtcp_fb_trr_int)
	for _, h in ipairs(d.hdrexts or {}) do
		el:tag("rtp-hdrext", { xmlns = ns.HDREXT, id = str(h.id), uri = h.uri, senders = h.senders }):up()
	end
	if d.extmap_allow_mixed then
		el:tag("extmap-allow-mixed", { xmlns = ns.HDREXT }):up()
	end
	for _, g in ipairs(d.ssrc_groups or {}) do
		el:tag("ssrc-group", { xmlns = ns.SSMA, semantics = g.semantics })
		for _, ssrc in ipairs(g.sources or {}) do
			el:tag("source", { ssrc = str(ssrc) }):up()
		end
		el:up()
	end
	for _, src in ipairs(d.sources or {}) do
		el:tag("source", { xmlns = ns.SSMA, ssrc = str(src.ssrc) })
		for _, p in ipairs(src.parameters or {}) do
			el:tag("parameter", { name = p.name, value = p.value }):up()
		end
		el:up()
	end
	if d.rtcp_mux then
		el:tag("rtcp-mux"):up()
	end
	if d.rtcp_reduced_size then
		el:tag("rtcp-reduced-size"):up()
	end
	add_unknown_children(el, d.unknown, opts)
	return el
end

-- One ICE-UDP <candidate/> (XEP-0176 v1.1 §5.2).
function M.candidate(c, opts)
	local attr = add_unknown_attrs({
		component = str(c.component), foundation = str(c.foundation),
		generation = str(c.generation), id = c.id, ip = c.ip, network = str(c.network),
		port = str(c.port), priority = str(c.priority), protocol = c.protocol,
		["rel-addr"] = c.rel_addr, ["rel-port"] = str(c.rel_port), tcptype = c.tcptype,
		type = c.type,
	}, c.unknown_attrs, opts)
	return st.stanza("candidate", attr)
end

function M.transport(t, opts)
	local el = st.stanza("transport", { xmlns = t.namespace or ns.ICE_UDP, ufrag = t.ufrag, pwd = t.pwd })
	for _, fp in ipairs(t.fingerprints or {}) do
		el:tag("fingerprint", { xmlns = ns.DTLS, hash = fp.hash, setup = fp.setup }):text(fp.value or ""):up()
	end
	for _, c in ipairs(t.candidates or {}) do
		el:add_direct_child(M.candidate(c, opts))
	end
	if t.end_of_candidates then
		-- COMPAT: only legastero/stanza reads this; others ignore it.
		el:tag("gathering-complete"):up()
	end
	add_unknown_children(el, t.unknown, opts)
	return el
end

function M.content(c, opts)
	local el = st.stanza("content", {
		creator = c.creator, name = c.name, senders = c.senders, disposition = c.disposition,
	})
	if c.description and not c.description.unsupported then
		el:add_direct_child(M.description(c.description, opts))
	end
	if c.transport and not c.transport.unsupported then
		el:add_direct_child(M.transport(c.transport, opts))
	end
	add_unknown_children(el, c.unknown, opts)
	return el
end

-- <reason/>; `reason` is a table (as parsed) or just a condition name.
function M.reason(reason)
	if type(reason) == "string" then reason = { condition = reason } end
	local el = st.stanza("reason", { xmlns = ns.JINGLE })
	el:tag(reason.condition or "general-error")
	if reason.condition == "alternative-session" and reason.alternative_sid then
		el:text_tag("sid", reason.alternative_sid)
	end
	el:up()
	if reason.rtp_condition then
		el:tag(reason.rtp_condition, { xmlns = ns.RTP_ERRORS }):up()
	end
	if reason.text then
		el:text_tag("text", reason.text)
	end
	return el
end

-- The <jingle/> element for a whole session table.
function M.jingle(s, opts)
	local el = st.stanza("jingle", {
		xmlns = ns.JINGLE, action = s.action, sid = s.sid,
		initiator = s.initiator, responder = s.responder,
	})
	for _, g in ipairs(s.groups or {}) do
		el:tag("group", { xmlns = ns.GROUPING, semantics = g.semantics })
		for _, name in ipairs(g.contents or {}) do
			el:tag("content", { name = name }):up()
		end
		el:up()
	end
	for _, c in ipairs(s.contents or {}) do
		el:add_direct_child(M.content(c, opts))
	end
	if s.reason then
		el:add_direct_child(M.reason(s.reason))
	end
	if s.info and s.info.kind ~= "unknown" then
		el:tag(s.info.kind, { xmlns = ns.RTP_INFO, creator = s.info.creator, name = s.info.name }):up()
	end
	add_unknown_children(el, s.unknown, opts)
	return el
end

-- A complete <iq type='set'/>; attrs = { from, to, id }.
function M.iq(s, attrs, opts)
	attrs = attrs or {}
	local iq = st.iq({ type = "set", from = attrs.from, to = attrs.to, id = attrs.id or s.sid .. "-" .. s.action })
	iq:add_direct_child(M.jingle(s, opts))
	return iq
end

---------------------------------------------------------------------------
-- Shortcuts for the actions the call state machine sends most.
-- Each returns a session table; pass it to M.jingle or M.iq.
---------------------------------------------------------------------------

-- session-terminate with a XEP-0166 reason and optional text.
function M.session_terminate(sid, condition, text)
	return { action = "session-terminate", sid = sid, reason = { condition = condition, text = text } }
end

-- session-info with a XEP-0167 payload; `ref` = { creator, name } for mute/unmute.
function M.session_info(sid, kind, ref)
	return {
		action = "session-info", sid = sid,
		info = kind and { kind = kind, creator = ref and ref.creator, name = ref and ref.name } or nil,
	}
end

-- A reference to a content: creator and name copied exactly (docs/INTEROP.md#10).
local function ref_of(content)
	return { creator = content.creator, name = content.name }
end

-- transport-info for one content. One content per stanza: Dino answers
-- not-implemented to several (0166_jingle/content_node.vala get_single_content_node).
function M.transport_info(sid, content, transport)
	local c = ref_of(content)
	c.transport = transport
	return { action = "transport-info", sid = sid, contents = { c } }
end

-- content-reject / content-remove for contents we will not carry. Each keeps
-- a media-only description: Conversations parses these with RtpContentMap and
-- wants a description per content.
function M.content_refusal(action, sid, contents, condition, text)
	local list = {}
	for _, content in ipairs(contents) do
		local c = ref_of(content)
		local d = content.description
		if d and d.namespace == ns.RTP then
			c.description = { namespace = ns.RTP, media = d.media }
		end
		list[#list + 1] = c
	end
	return {
		action = action, sid = sid, contents = list,
		reason = condition and { condition = condition, text = text } or nil,
	}
end

return M
