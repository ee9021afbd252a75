local H = dofile("spec/jingle/helper.lua")
local parse = require "jingle_sip.jingle.parse"
local st = require "util.stanza"
local xml = require "util.xml"

local function jingle_iq(action, sid, inner)
	local text = ("<iq xmlns='jabber:client' type='set' id='x'><jingle xmlns='urn:xmpp:jingle:1'%s%s>%s</jingle></iq>")
		:format(action and (" action='" .. action .. "'") or "", sid and (" sid='" .. sid .. "'") or "", inner or "")
	return assert(xml.parse(text))
end

local function content(inner, attrs)
	return ("<content %s>%s</content>"):format(attrs or "creator='initiator' name='a'", inner or "")
end

local function transport(cands)
	return "<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='uFr4' pwd='pwd0123456789abcdefghij'>"
		.. cands .. "</transport>"
end

describe("jingle.parse", function()
	describe("#jingle() on client fixtures", function()
		it("should read Conversations' audio session-initiate exactly", function()
			local s = assert(parse.jingle(H.stanza("conversations_session_initiate.xml")))
			assert.equal("session-initiate", s.action)
			assert.equal("Wm9cUDcYRyPQ-S8yWMxMHg", s.sid)
			assert.equal("alice@example.org/Conversations.Ab3d", s.initiator)
			assert.same({ { semantics = "BUNDLE", contents = { "0" } } }, s.groups)
			assert.equal(1, #s.contents)
			local c = s.contents[1]
			assert.equal("initiator", c.creator)
			assert.equal("0", c.name)
			assert.is_nil(c.senders, "Conversations omits senders='both'")
			local d = c.description
			assert.equal("audio", d.media)
			assert.is_true(d.rtcp_mux)
			assert.is_true(d.extmap_allow_mixed)
			assert.equal(8, #d.payload_types)
			assert.same({
				id = 111, name = "opus", clockrate = 48000, channels = 2,
				parameters = { { name = "minptime", value = "10" }, { name = "useinbandfec", value = "1" } },
				rtcp_fb = { { type = "transport-cc" } },
			}, d.payload_types[1])
			assert.same({ id = 126, name = "telephone-event", clockrate = 8000, parameters = {}, rtcp_fb = {} },
				d.payload_types[8])
			assert.same({ id = 4, uri = "urn:ietf:params:rtp-hdrext:sdes:mid" }, d.hdrexts[4])
			assert.same({ { ssrc = "2386119651", parameters = {
				{ name = "cname", value = "u8Nx3Bz1vSgBzQ4Q" },
				{ name = "msid", value = "my-media-stream my-audio-track" },
			} } }, d.sources)
			local t = c.transport
			assert.equal("a9Gx", t.ufrag)
			assert.equal("Qq1mO2tGz7mvlpVFe0lYl9Y3", t.pwd)
			assert.same({ { hash = "sha-256", setup = "actpass",
				value = "4D:7C:1B:0E:52:93:AB:61:0F:9C:22:E8:33:D4:71:A6:5B:0C:19:8E:F2:44:3A:7D:90:C1:6B:25:E8:4F:13:AA" } },
				t.fingerprints)
			assert.same({}, t.candidates)
		end)

		it("should read Conversations' trickled srflx candidate with every attribute", function()
			local s = assert(parse.jingle(H.stanza("conversations_transport_info.xml")))
			assert.equal("transport-info", s.action)
			assert.same({
				component = 1, foundation = "2796421329", generation = 0, rel_addr = "192.168.1.23",
				rel_port = 43201, id = "5c1c6a6a-3b2e-4a52-9d4f-1b8f0d6f7d21", ip = "203.0.113.7",
				port = 43201, priority = 1686052607, protocol = "udp", type = "srflx",
			}, s.contents[1].transport.candidates[1])
		end)

		it("should read Dino's offer: named 'audio', senders both, ssrc on description, candidates", function()
			local s = assert(parse.jingle(H.stanza("dino_session_initiate.xml")))
			local c = s.contents[1]
			assert.equal("audio", c.name)
			assert.equal("both", c.senders)
			assert.equal("3735928559", c.description.ssrc)
			assert.same({}, s.groups)
			assert.equal(7, #c.description.payload_types)
			assert.same({ id = 0, name = "PCMU", clockrate = 8000, parameters = {}, rtcp_fb = {} },
				c.description.payload_types[6])
			assert.same({
				component = 1, foundation = "1", generation = 0, id = "3a0f51d3-6d5e-4c2a-9a1b-c6b1e41f0f11",
				ip = "192.168.1.50", network = 0, port = 51234, priority = 2013266431, protocol = "udp", type = "host",
			}, c.transport.candidates[1])
			assert.equal(51234, c.transport.candidates[2].rel_port)
		end)

		it("should read Gajim's Farstream offer without fingerprint and with component 2", function()
			local s = assert(parse.jingle(H.stanza("gajim_session_initiate.xml")))
			local c = s.contents[1]
			assert.equal("voice", c.name)
			assert.same({}, c.transport.fingerprints)
			assert.equal(2, c.transport.candidates[2].component)
			assert.same({ id = 101, name = "telephone-event", clockrate = 8000, channels = 1,
				parameters = { { name = "events", value = "0-15" } }, rtcp_fb = {} }, c.description.payload_types[6])
			assert.is_false(c.description.rtcp_mux)
		end)

		it("should read Movim/Chromium with a bare-JID initiator", function()
			local s = assert(parse.jingle(H.stanza("movim_chromium_session_initiate.xml")))
			assert.equal("erin@example.org", s.initiator)
			assert.equal("0", s.contents[1].name)
			assert.equal("both", s.contents[1].senders)
			assert.is_true(s.contents[1].description.rtcp_mux)
			assert.equal("msid", s.contents[1].description.sources[1].parameters[1].name)
		end)

		it("should read Movim/Firefox bandwidth value attribute, ptime and hdrext senders", function()
			local s = assert(parse.jingle(H.stanza("movim_firefox_session_initiate.xml")))
			local d = s.contents[1].description
			assert.same({ { type = "TIAS", value = "64000" } }, d.bandwidth)
			assert.equal(20, d.ptime)
			assert.equal(120, d.maxptime)
			assert.equal("responder", d.hdrexts[2].senders)
		end)

		it("should keep Movim's network-id/network-cost out of the way", function()
			local s = assert(parse.jingle(H.stanza("movim_firefox_transport_info_rtcp.xml")))
			local cand = s.contents[1].transport.candidates[1]
			assert.equal(2, cand.component)
			assert.same({ ["network-id"] = "1", ["network-cost"] = "10" }, cand.unknown_attrs)
		end)

		it("should keep StanzaJS' msid <stream/> as unknown and read gathering-complete", function()
			local s = assert(parse.jingle(H.stanza("stanzajs_session_initiate.xml")))
			local d = s.contents[1].description
			assert.equal(1, #d.unknown)
			assert.equal("stream", d.unknown[1].name)
			assert.equal(1, d.hdrexts[1].id)
			local e = assert(parse.jingle(H.stanza("stanzajs_transport_info_end.xml")))
			assert.is_true(e.contents[1].transport.end_of_candidates)
			assert.equal("Gk2w", e.contents[1].transport.ufrag)
			assert.is_nil(e.contents[1].transport.pwd)
		end)

		it("should read session-info mute from Dino (creator+name) and Movim (name only)", function()
			local d = assert(parse.jingle(H.stanza("dino_session_info_mute.xml")))
			assert.same({ kind = "mute", creator = "initiator", name = "audio" }, d.info)
			local m = assert(parse.jingle(H.stanza("movim_session_info_mute.xml")))
			assert.same({ kind = "mute", name = "0" }, m.info)
		end)

		it("should read Gajim's alternative-session reason with its sid", function()
			local s = assert(parse.jingle(H.stanza("gajim_session_terminate_alternative.xml")))
			assert.same({ condition = "alternative-session", alternative_sid = "gajim-8a5e2f" }, s.reason)
		end)
	end)

	describe("#jingle() on session-level actions", function()
		it("should read every XEP-0166 reason with its text", function()
			for condition in pairs(parse.REASONS) do
				local s = assert(parse.jingle(jingle_iq("session-terminate", "s1",
					"<reason><" .. condition .. "/><text>why " .. condition .. "</text></reason>")))
				assert.same({ condition = condition, text = "why " .. condition }, s.reason)
			end
		end)

		it("should map an unknown reason to general-error and keep its name", function()
			local s = assert(parse.jingle(jingle_iq("session-terminate", "s1", "<reason><made-up/></reason>")))
			assert.same({ condition = "general-error", unknown_condition = "made-up" }, s.reason)
		end)

		it("should read XEP-0167 rtp errors next to the condition", function()
			local s = assert(parse.jingle(jingle_iq("session-terminate", "s1",
				"<reason><security-error/><crypto-required xmlns='urn:xmpp:jingle:apps:rtp:errors:1'/></reason>")))
			assert.same({ condition = "security-error", rtp_condition = "crypto-required" }, s.reason)
		end)

		it("should read each session-info payload", function()
			for kind in pairs(parse.INFOS) do
				local s = assert(parse.jingle(jingle_iq("session-info", "s1",
					"<" .. kind .. " xmlns='urn:xmpp:jingle:apps:rtp:info:1'/>")))
				assert.same({ kind = kind }, s.info)
			end
		end)

		it("should read XEP-0181 DTMF: code, duration (default 100 ms), volume", function()
			local function dtmf(attrs)
				local s = assert(parse.jingle(jingle_iq("session-info", "s1",
					"<dtmf xmlns='urn:xmpp:jingle:dtmf:0' " .. attrs .. "/>")))
				assert.is_nil(s.unknown, "the dtmf element is not an unknown payload")
				return s.info
			end
			-- XEP-0181 v0.12 example 1.
			assert.same({ kind = "dtmf", digits = "7", duration = 400, volume = 42 },
				dtmf("code='7' duration='400' volume='42'"))
			assert.same({ kind = "dtmf", digits = "#", duration = 100 }, dtmf("code='#'"))
			assert.same({ kind = "dtmf", digits = "*", duration = 0 }, dtmf("code='*' duration='0'"))
			-- COMPAT: lower-case letters and the older several-digit codes.
			assert.same({ kind = "dtmf", digits = "A", duration = 100 }, dtmf("code='a'"))
			assert.same({ kind = "dtmf", digits = "123", duration = 150 }, dtmf("code='123' duration='150'"))
		end)

		it("should flag a DTMF code or number the gateway cannot use, without failing the iq parse", function()
			for _, attrs in ipairs({ "", "code=''", "code='E'", "code='5 '", "code='5' duration='-1'",
				"code='5' duration='fast'", "code='5' volume='64'" }) do
				local s = assert(parse.jingle(jingle_iq("session-info", "s1",
					"<dtmf xmlns='urn:xmpp:jingle:dtmf:0' " .. attrs .. "/>")))
				assert.equal("dtmf", s.info.kind, attrs)
				assert.is_string(s.info.error, attrs)
			end
		end)

		it("should treat an empty session-info as a ping and flag unknown payloads", function()
			local ping = assert(parse.jingle(jingle_iq("session-info", "s1")))
			assert.is_nil(ping.info)
			local odd = assert(parse.jingle(jingle_iq("session-info", "s1", "<checksum xmlns='urn:example:x'/>")))
			assert.same({ kind = "unknown", element = "checksum", namespace = "urn:example:x" }, odd.info)
		end)

		it("should read content-reject/remove and description-info contents", function()
			for _, action in ipairs({ "content-reject", "content-remove" }) do
				local s = assert(parse.jingle(jingle_iq(action, "s1", content("", "creator='responder' name='v'"))))
				assert.equal("responder", s.contents[1].creator)
				assert.equal("v", s.contents[1].name)
			end
			local di = assert(parse.jingle(jingle_iq("description-info", "s1", content(
				"<description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'><payload-type id='0'/></description>"))))
			assert.same({ id = 0, parameters = {}, rtcp_fb = {} }, di.contents[1].description.payload_types[1])
		end)

		it("should default a missing creator to initiator and say so (Dino's reading)", function()
			local s = assert(parse.jingle(jingle_iq("transport-info", "s1", content(transport(""), "name='a'"))))
			assert.equal("initiator", s.contents[1].creator)
			assert.is_true(s.contents[1].creator_missing)
		end)

		it("should accept a <jingle/> element directly and find contents by creator+name", function()
			local s = assert(parse.jingle(H.stanza("dino_session_initiate.xml"):get_child("jingle", "urn:xmpp:jingle:1")))
			assert.equal("audio", parse.find_content(s, "initiator", "audio").name)
			assert.is_nil(parse.find_content(s, "responder", "audio"))
		end)
	end)

	describe("#jingle() on malformed input", function()
		local cases = {
			{ "missing sid", jingle_iq("session-terminate", nil), "jingle element without sid" },
			{ "missing action", jingle_iq(nil, "s1"), "jingle element without action" },
			{ "unknown action", jingle_iq("session-dance", "s1"), "unknown jingle action session-dance" },
			{ "no jingle child", st.iq({ type = "set", id = "1" }):tag("query", { xmlns = "x" }), "no jingle element" },
			{ "content without name", jingle_iq("transport-info", "s1", "<content creator='initiator'/>"),
				"content without name" },
			{ "bad creator", jingle_iq("transport-info", "s1", content("", "creator='me' name='a'")),
				"content creator must be initiator or responder" },
			{ "bad senders", jingle_iq("transport-info", "s1", content("", "creator='initiator' name='a' senders='all'")),
				"content senders must be both, initiator, responder or none" },
			{ "session-initiate without content", jingle_iq("session-initiate", "s1"), "session-initiate without content" },
			{ "session-initiate without description", jingle_iq("session-initiate", "s1", content(transport(""))),
				"content a has no description" },
			{ "bad candidate port", jingle_iq("transport-info", "s1", content(transport(
				"<candidate component='1' foundation='1' ip='192.0.2.1' port='70000' priority='1' type='host' protocol='udp'/>"))),
				"candidate has a missing or malformed port" },
			{ "non-numeric candidate port", jingle_iq("transport-info", "s1", content(transport(
				"<candidate component='1' foundation='1' ip='192.0.2.1' port='http' priority='1' type='host'/>"))),
				"candidate has a missing or malformed port" },
			{ "candidate type", jingle_iq("transport-info", "s1", content(transport(
				"<candidate component='1' foundation='1' ip='192.0.2.1' port='1' priority='1' type='bogus'/>"))),
				"candidate type must be host, srflx, prflx or relay" },
			{ "payload id", jingle_iq("session-initiate", "s1", content(
				"<description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'><payload-type id='opus'/></description>"
				.. transport(""))), "payload-type needs a numeric id (0-127)" },
			{ "duplicate content", jingle_iq("transport-info", "s1", content("") .. content("")), "two contents named a" },
		}
		for _, case in ipairs(cases) do
			it("should answer bad-request for " .. case[1], function()
				local s, err = parse.jingle(case[2])
				assert.is_nil(s)
				assert.same({ condition = "bad-request", text = case[3] }, err)
			end)
		end

		it("should survive garbage without raising", function()
			for _, garbage in ipairs({ nil, 42, "jingle", {}, { name = "iq", attr = {} },
				{ name = "jingle", attr = { xmlns = "urn:xmpp:jingle:1", action = "session-info", sid = "s" }, tags = "x" } }) do
				local s, err = parse.jingle(garbage)
				assert.is_nil(s)
				assert.equal("bad-request", err.condition)
			end
		end)
	end)
end)
