local H = dofile("spec/jingle/helper.lua")
local parse = require "jingle_sip.jingle.parse"
local build = require "jingle_sip.jingle.build"

local FIXTURES = {
	"conversations_session_initiate.xml", "conversations_audio_video_initiate.xml",
	"conversations_transport_info.xml", "dino_session_initiate.xml", "dino_session_info_mute.xml",
	"gajim_session_initiate.xml", "gajim_session_terminate_alternative.xml",
	"movim_chromium_session_initiate.xml", "movim_firefox_session_initiate.xml",
	"movim_firefox_transport_info_rtcp.xml", "movim_session_info_mute.xml",
	"stanzajs_session_initiate.xml", "stanzajs_transport_info_end.xml", "browser_mdns_transport_info.xml",
}

describe("jingle.build", function()
	describe("round trip parse -> build -> parse", function()
		for _, name in ipairs(FIXTURES) do
			it("should give the same description for " .. name, function()
				local first = assert(parse.jingle(H.stanza(name)))
				local again = assert(parse.jingle(H.rewire(build.iq(first, { id = "rt" }))))
				assert.same(H.strip_unknown(first), again)
			end)

			it("should keep unknown elements and attributes of " .. name .. " with keep_unknown", function()
				local first = assert(parse.jingle(H.stanza(name)))
				local again = assert(parse.jingle(H.rewire(build.iq(first, { id = "rt" }, { keep_unknown = true }))))
				assert.same(H.strip_unknown(first), H.strip_unknown(again))
				assert.equal(H.canon(build.jingle(first, { keep_unknown = true })),
					H.canon(build.jingle(again, { keep_unknown = true })))
			end)
		end
	end)

	describe("#iq()", function()
		it("should address the iq and set type set", function()
			local iq = build.iq(build.session_terminate("s1", "success"), { from = "a@b/c", to = "d@e/f", id = "i1" })
			assert.equal("set", iq.attr.type)
			assert.equal("a@b/c", iq.attr.from)
			assert.equal("d@e/f", iq.attr.to)
			assert.equal("i1", iq.attr.id)
		end)
	end)

	describe("#session_terminate()", function()
		it("should write every XEP-0166 reason with optional text", function()
			for condition in pairs(parse.REASONS) do
				local el = build.jingle(build.session_terminate("s1", condition, "bye"))
				assert.equal(("<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='s1'>"
					.. "<reason><%s/><text>bye</text></reason></jingle>"):format(condition),
					H.canon(el))
				local plain = assert(parse.jingle(build.jingle(build.session_terminate("s1", condition))))
				assert.same({ condition = condition }, plain.reason)
			end
		end)

		it("should write alternative-session with the other sid", function()
			local s = build.session_terminate("s1", "alternative-session")
			s.reason.alternative_sid = "s0"
			local back = assert(parse.jingle(H.rewire(build.jingle(s))))
			assert.same({ condition = "alternative-session", alternative_sid = "s0" }, back.reason)
		end)
	end)

	describe("#session_info()", function()
		it("should write ringing, active, hold, unhold in the RTP info namespace", function()
			for _, kind in ipairs({ "ringing", "active", "hold", "unhold" }) do
				assert.equal(("<jingle xmlns='urn:xmpp:jingle:1' action='session-info' sid='s1'>"
					.. "<%s xmlns='urn:xmpp:jingle:apps:rtp:info:1'/></jingle>"):format(kind),
					H.canon(build.jingle(build.session_info("s1", kind))))
			end
		end)

		it("should name the content in mute and unmute", function()
			local el = build.jingle(build.session_info("s1", "mute", { creator = "initiator", name = "0" }))
			local back = assert(parse.jingle(H.rewire(el)))
			assert.same({ kind = "mute", creator = "initiator", name = "0" }, back.info)
		end)

		it("should write an empty session-info as a ping", function()
			assert.equal("<jingle xmlns='urn:xmpp:jingle:1' action='session-info' sid='s1'/>",
				H.canon(build.jingle(build.session_info("s1"))))
		end)
	end)

	describe("#transport_info()", function()
		it("should echo creator and name exactly and carry one content", function()
			local offer = assert(parse.jingle(H.stanza("gajim_session_initiate.xml")))
			local s = build.transport_info(offer.sid, offer.contents[1], {
				ufrag = "x1x1", pwd = "y2y2y2y2y2y2y2y2y2y2y2",
				candidates = { { component = 1, foundation = "1", generation = 0, id = "c1", ip = "192.0.2.5",
					network = 0, port = 3478, priority = 2130706431, protocol = "udp", type = "host" } },
			})
			local back = assert(parse.jingle(H.rewire(build.iq(s))))
			assert.equal(1, #back.contents)
			assert.equal("initiator", back.contents[1].creator)
			assert.equal("voice", back.contents[1].name)
			assert.equal(3478, back.contents[1].transport.candidates[1].port)
		end)

		it("should signal an ICE restart with new credentials and no candidates", function()
			local s = build.transport_info("s1", { creator = "initiator", name = "0" },
				{ ufrag = "new1", pwd = "newpassword0000000000000", candidates = {} })
			assert.equal("<jingle xmlns='urn:xmpp:jingle:1' action='transport-info' sid='s1'>"
				.. "<content creator='initiator' name='0'>"
				.. "<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' pwd='newpassword0000000000000' ufrag='new1'/>"
				.. "</content></jingle>", H.canon(build.jingle(s)))
		end)

		it("should write end-of-candidates the StanzaJS way when asked", function()
			local s = build.transport_info("s1", { creator = "initiator", name = "0" },
				{ ufrag = "uFr4", end_of_candidates = true })
			local back = assert(parse.jingle(H.rewire(build.jingle(s))))
			assert.is_true(back.contents[1].transport.end_of_candidates)
		end)
	end)

	describe("#content_refusal()", function()
		it("should reject video politely, keeping the offer's creator and name", function()
			local offer = assert(parse.jingle(H.stanza("conversations_audio_video_initiate.xml")))
			for _, action in ipairs({ "content-reject", "content-remove" }) do
				local s = build.content_refusal(action, offer.sid, { offer.contents[2] },
					"unsupported-applications", "Audio calls only")
				local back = assert(parse.jingle(H.rewire(build.iq(s))))
				assert.equal(action, back.action)
				assert.same({ creator = "initiator", name = "1",
					description = { namespace = "urn:xmpp:jingle:apps:rtp:1", media = "video", payload_types = {},
						rtcp_fb = {}, bandwidth = {}, hdrexts = {}, sources = {}, ssrc_groups = {}, rtcp_mux = false } },
					back.contents[1])
				assert.same({ condition = "unsupported-applications", text = "Audio calls only" }, back.reason)
			end
		end)

		it("should echo creator 'responder' for content the peer added as responder", function()
			local s = build.content_refusal("content-reject", "s1", { { creator = "responder", name = "cam" } })
			assert.equal("<jingle xmlns='urn:xmpp:jingle:1' action='content-reject' sid='s1'>"
				.. "<content creator='responder' name='cam'/></jingle>", H.canon(build.jingle(s)))
		end)
	end)

	describe("#description-info", function()
		it("should round trip a description-info", function()
			local s = { action = "description-info", sid = "s1", contents = { { creator = "initiator", name = "0",
				description = { namespace = "urn:xmpp:jingle:apps:rtp:1", media = "audio", payload_types = {
					{ id = 0, name = "PCMU", clockrate = 8000, parameters = {}, rtcp_fb = {} } },
					rtcp_fb = {}, bandwidth = {}, hdrexts = {}, sources = {}, ssrc_groups = {}, rtcp_mux = false } } } }
			s.groups = {}
			assert.same(s, assert(parse.jingle(H.rewire(build.jingle(s)))))
		end)
	end)
end)
