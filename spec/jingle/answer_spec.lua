local H = dofile("spec/jingle/helper.lua")
local parse = require "jingle_sip.jingle.parse"
local build = require "jingle_sip.jingle.build"
local codecs = require "jingle_sip.jingle.codecs"
local answer = require "jingle_sip.jingle.answer"
local candidates = require "jingle_sip.jingle.candidates"

local TRUNK = {
	{ id = 0, name = "PCMU", clockrate = 8000 },
	{ id = 8, name = "PCMA", clockrate = 8000 },
	{ id = 101, name = "telephone-event", clockrate = 8000 },
}

local OUR_TRANSPORT = {
	ufrag = "gw01", pwd = "gatewaypassword123456789",
	fingerprints = { { hash = "sha-256", setup = "active",
		value = "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9" } },
	candidates = { candidates.to_jingle({ foundation = "1", component = 1, priority = 2130706431,
		ip = "203.0.113.10", port = 20000, type = "host" }, "gw-c1") },
}

local OUR_SOURCES = { { ssrc = "305419896", parameters = { { name = "cname", value = "jingle-sip" } } } }

-- Parse a client's offer and build our session-accept for it, styled for that client.
local function accept_for(fixture, caps_node)
	local offer = assert(parse.jingle(H.stanza(fixture)))
	local audio = assert(answer.split(offer))
	local choice = assert(codecs.choose(audio.description.payload_types, TRUNK))
	local accept, followups = assert(answer.session_accept(offer, {
		payload_types = codecs.answer_payload_types(choice), transport = OUR_TRANSPORT, sources = OUR_SOURCES,
		responder = "+15551234567@phone.example.net/gw", style = answer.decline_style(caps_node),
	}))
	return offer, build.iq(accept, { from = "+15551234567@phone.example.net/gw", to = "client@example.org/x" }),
		followups, accept
end

describe("jingle.answer", function()
	describe("#decline_style()", function()
		it("should pick a declining style each client can parse", function()
			assert.equal("omit", answer.decline_style("https://dino.im"))
			assert.equal("omit-then-remove", answer.decline_style("https://gajim.org"))
			assert.equal("inactive", answer.decline_style("http://conversations.im"))
			assert.equal("inactive", answer.decline_style(nil))
		end)
	end)

	describe("#split()", function()
		it("should keep audio and decline video", function()
			local offer = assert(parse.jingle(H.stanza("conversations_audio_video_initiate.xml")))
			local audio, declined = answer.split(offer)
			assert.equal("0", audio.name)
			assert.equal("1", declined[1].name)
		end)

		it("should refuse offers without usable audio with the XEP-0166 reason", function()
			assert.same({ nil, "unsupported-applications", "this gateway carries audio only" },
				{ answer.split({ contents = { { creator = "initiator", name = "v", description = {
					namespace = "urn:xmpp:jingle:apps:rtp:1", media = "video" }, transport = {
					namespace = "urn:xmpp:jingle:transports:ice-udp:1" } } } }) })
			assert.same({ nil, "unsupported-transports", "audio needs ICE-UDP" },
				{ answer.split({ contents = { { creator = "initiator", name = "a", description = {
					namespace = "urn:xmpp:jingle:apps:rtp:1", media = "audio" }, transport = {
					namespace = "urn:xmpp:jingle:transports:raw-udp:1", unsupported = true } } } }) })
		end)
	end)

	describe("#session_accept() as each client's parser sees it", function()
		it("should satisfy Conversations for an audio call", function()
			local offer, iq, followups, accept = accept_for("conversations_session_initiate.xml", "http://conversations.im")
			assert.is_true(H.conversations_accepts(iq, offer))
			assert.same({}, followups)
			assert.same({ { semantics = "BUNDLE", contents = { "0" } } }, accept.groups)
			assert.equal("initiator", accept.contents[1].creator)
			assert.equal("0", accept.contents[1].name)
			assert.equal(0, accept.contents[1].description.payload_types[1].id)
			assert.equal(126, accept.contents[1].description.payload_types[2].id)
		end)

		it("should satisfy Conversations for a video call: audio only, video kept inactive", function()
			local offer, iq, followups, accept = accept_for("conversations_audio_video_initiate.xml", "http://conversations.im")
			assert.is_true(H.conversations_accepts(iq, offer))
			assert.same({}, followups)
			assert.equal("none", accept.contents[2].senders)
			assert.equal("1", accept.contents[2].name)
			assert.same({}, accept.contents[2].transport.candidates)
			assert.same({ { semantics = "BUNDLE", contents = { "0", "1" } } }, accept.groups)
		end)

		it("should satisfy Dino: first payload-type one it offered, no senders='none'", function()
			local offer, iq = accept_for("dino_session_initiate.xml", "https://dino.im")
			assert.is_true(H.dino_accepts(iq, offer))
		end)

		it("should leave video out for Dino rather than send senders='none'", function()
			local offer = assert(parse.jingle(H.stanza("conversations_audio_video_initiate.xml")))
			local accept = assert(answer.session_accept(offer, { payload_types = { { id = 0, name = "PCMU",
				clockrate = 8000, parameters = {}, rtcp_fb = {} } }, transport = OUR_TRANSPORT, style = "omit" }))
			assert.equal(1, #accept.contents)
			assert.same({ { semantics = "BUNDLE", contents = { "0" } } }, accept.groups)
		end)

		it("should satisfy Gajim and content-remove declined video with its creator and name", function()
			local offer, iq = accept_for("gajim_session_initiate.xml", "https://gajim.org")
			assert.is_true(H.gajim_accepts(iq, offer))
			local av = assert(parse.jingle(H.stanza("conversations_audio_video_initiate.xml")))
			local _, followups = answer.session_accept(av, { payload_types = {}, transport = OUR_TRANSPORT,
				style = "omit-then-remove" })
			local remove = assert(parse.jingle(H.rewire(build.jingle(followups[1]))))
			assert.equal("content-remove", remove.action)
			assert.equal("initiator", remove.contents[1].creator)
			assert.equal("1", remove.contents[1].name)
		end)

		it("should satisfy Movim in Chromium and Firefox", function()
			for _, fixture in ipairs({ "movim_chromium_session_initiate.xml", "movim_firefox_session_initiate.xml" }) do
				local _, iq, _, accept = accept_for(fixture, "https://movim.eu/")
				assert.is_true(H.movim_accepts(iq))
				assert.equal("both", accept.contents[1].senders, "senders echoed as offered")
			end
		end)

		it("should satisfy StanzaJS clients", function()
			local _, iq = accept_for("stanzajs_session_initiate.xml")
			assert.is_true(H.stanzajs_accepts(iq))
		end)

		it("should echo creator and name of every client's content exactly (docs/INTEROP.md#10)", function()
			for fixture, name in pairs({ ["conversations_session_initiate.xml"] = "0", ["dino_session_initiate.xml"] = "audio",
				["gajim_session_initiate.xml"] = "voice", ["movim_chromium_session_initiate.xml"] = "0",
				["stanzajs_session_initiate.xml"] = "0" }) do
				local _, iq = accept_for(fixture)
				local s = assert(parse.jingle(H.rewire(iq)))
				assert.equal("initiator", s.contents[1].creator, fixture)
				assert.equal(name, s.contents[1].name, fixture)
			end
		end)

		it("should answer a content offered with creator 'responder' as 'responder'", function()
			local offer = { action = "content-add", sid = "s1", contents = { { creator = "responder", name = "extra",
				description = { namespace = "urn:xmpp:jingle:apps:rtp:1", media = "audio", payload_types = {} },
				transport = { namespace = "urn:xmpp:jingle:transports:ice-udp:1" } } } }
			local accept = assert(answer.session_accept(offer, { payload_types = {}, transport = OUR_TRANSPORT }))
			assert.equal("responder", accept.contents[1].creator)
		end)
	end)
end)
