local H = dofile("spec/jingle/helper.lua")
local parse = require "jingle_sip.jingle.parse"
local codecs = require "jingle_sip.jingle.codecs"

local function offer_pts(name)
	return assert(parse.jingle(H.stanza(name))).contents[1].description.payload_types
end

-- A trunk offering G.711 and RFC 4733 at its own numbers.
local G711_TRUNK = {
	{ id = 0, name = "PCMU", clockrate = 8000 },
	{ id = 8, name = "PCMA", clockrate = 8000 },
	{ id = 101, name = "telephone-event", clockrate = 8000 },
}

describe("jingle.codecs", function()
	describe("#key()", function()
		it("should match by name, clock rate and channels, not number", function()
			assert.equal("pcmu/8000/1", codecs.key({ id = 0 }))
			assert.equal("g722/8000/1", codecs.key({ id = 9 }))
			assert.equal("opus/48000/2", codecs.key({ id = 96, name = "OPUS", clockrate = 48000 }))
			assert.is_true(codecs.same({ id = 96, name = "opus", clockrate = 48000, channels = 2 },
				{ id = 111, name = "opus", clockrate = 48000 }))
			assert.is_false(codecs.same({ id = 112, name = "speex", clockrate = 32000 },
				{ id = 113, name = "speex", clockrate = 16000 }))
			assert.is_nil(codecs.key({ id = 100 }))
		end)
	end)

	describe("#choose()", function()
		it("should pass PCMU through for Conversations' offer, keeping each side's telephone-event", function()
			local choice = assert(codecs.choose(offer_pts("conversations_session_initiate.xml"), G711_TRUNK))
			assert.equal("passthrough", choice.mode)
			assert.equal(0, choice.client.id)
			assert.equal(0, choice.trunk.id)
			assert.equal(126, choice.client_dtmf.id, "telephone-event at 8000 Hz, like PCMU")
			assert.equal(101, choice.trunk_dtmf.id)
			assert.equal("both", choice.dtmf)
		end)

		it("should pass opus through when the trunk has it, at the client's number", function()
			local trunk = { { id = 107, name = "opus", clockrate = 48000, channels = 2 },
				{ id = 0, name = "PCMU", clockrate = 8000 } }
			local choice = assert(codecs.choose(offer_pts("movim_firefox_session_initiate.xml"), trunk))
			assert.equal("passthrough", choice.mode)
			assert.equal(109, choice.client.id)
			assert.equal(107, choice.trunk.id)
			assert.equal(101, choice.client_dtmf.id, "Firefox has telephone-event only at 8000")
			assert.equal("client-only", choice.dtmf)
		end)

		it("should still work for Dino, which offers no telephone-event", function()
			local choice = assert(codecs.choose(offer_pts("dino_session_initiate.xml"), G711_TRUNK))
			assert.equal("passthrough", choice.mode)
			assert.equal(0, choice.client.id)
			assert.is_nil(choice.client_dtmf)
			assert.equal("trunk-only", choice.dtmf)
		end)

		it("should pick G722 for Gajim on a G722 trunk and match its uppercase names", function()
			local trunk = { { id = 9, name = "G722", clockrate = 8000 },
				{ id = 101, name = "telephone-event", clockrate = 8000 } }
			local choice = assert(codecs.choose(offer_pts("gajim_session_initiate.xml"), trunk))
			assert.equal(9, choice.client.id)
			assert.equal("both", choice.dtmf)
		end)

		it("should transcode when nothing is shared", function()
			local client = { { id = 111, name = "opus", clockrate = 48000, channels = 2 },
				{ id = 110, name = "telephone-event", clockrate = 48000 } }
			local choice = assert(codecs.choose(client, G711_TRUNK))
			assert.equal("transcode", choice.mode)
			assert.equal(111, choice.client.id)
			assert.equal(0, choice.trunk.id)
			assert.equal(110, choice.client_dtmf.id)
			assert.equal(101, choice.trunk_dtmf.id)
		end)

		it("should fail with incompatible-parameters when no codec can be carried", function()
			local choice, condition, text = codecs.choose({ { id = 112, name = "speex", clockrate = 32000 } }, G711_TRUNK)
			assert.is_nil(choice)
			assert.equal("incompatible-parameters", condition)
			assert.equal("no codec in common and none the relay can transcode", text)
		end)

		it("should never pick telephone-event, CN or red as the audio codec", function()
			local choice = assert(codecs.choose({ { id = 63, name = "red", clockrate = 48000, channels = 2 },
				{ id = 13, name = "CN", clockrate = 8000 }, { id = 8, name = "PCMA", clockrate = 8000 } },
				{ { id = 13, name = "CN", clockrate = 8000 }, { id = 8, name = "PCMA", clockrate = 8000 } }))
			assert.equal(8, choice.client.id)
		end)
	end)

	describe("#choose_answer()", function()
		local OPUS = { id = 111, name = "opus", clockrate = 48000, channels = 2 }
		local PCMU = { id = 0, name = "PCMU", clockrate = 8000 }
		local PCMA = { id = 8, name = "PCMA", clockrate = 8000 }
		local TE48 = { id = 110, name = "telephone-event", clockrate = 48000 }
		local TE8 = { id = 126, name = "telephone-event", clockrate = 8000 }

		it("should transcode the codec a client answers first when the trunk lacks it, its shared one passed", function()
			local c = codecs.choose_answer({ OPUS, PCMU, PCMA, TE48, TE8 }, G711_TRUNK, true)
			assert.equal("transcode", c.mode)
			assert.equal(111, c.client.id, "the client sends its first codec")
			assert.equal("pcmu/8000/1", codecs.key(c.trunk))
			assert.equal(0, c.also.id, "PCMU from the client passes through")
			assert.equal(110, c.client_dtmf.id, "telephone-event at the client codec's clock")
			assert.equal("passthrough", c.fallback.mode)
			assert.equal(0, c.fallback.client.id)
		end)

		it("should pass through when the client answers the trunk's codec first", function()
			local c = codecs.choose_answer({ PCMU, OPUS, TE8 }, G711_TRUNK, true)
			assert.equal("passthrough", c.mode)
			assert.equal(0, c.client.id)
			assert.is_nil(c.also)
		end)

		it("should pass the shared codec through when the relay cannot transcode", function()
			local c = codecs.choose_answer({ OPUS, PCMU }, G711_TRUNK, false)
			assert.equal("passthrough", c.mode)
			assert.equal(0, c.client.id)
		end)

		it("should transcode as #choose() does when nothing is shared", function()
			local c = codecs.choose_answer({ OPUS }, G711_TRUNK, true)
			assert.equal("transcode", c.mode)
			assert.is_nil(c.also)
			assert.is_nil(c.fallback)
		end)
	end)

	describe("#trunk_offer()", function()
		local trunk = { { id = 0, name = "PCMU", clockrate = 8000 }, { id = 8, name = "PCMA", clockrate = 8000 },
			{ id = 9, name = "G722", clockrate = 8000 }, { id = 111, name = "opus", clockrate = 48000, channels = 2 },
			{ id = 101, name = "telephone-event", clockrate = 8000 } }
		local client = { { id = 111, name = "opus", clockrate = 48000, channels = 2 },
			{ id = 0, name = "PCMU", clockrate = 8000 }, { id = 18, name = "G729", clockrate = 8000 },
			{ id = 126, name = "telephone-event", clockrate = 8000 } }
		local function names(list)
			local out = {}
			for i, pt in ipairs(list) do out[i] = pt.name end
			return table.concat(out, ",")
		end

		it("should list the shared audio codecs in the client's order, in the trunk's numbers", function()
			local offer = codecs.trunk_offer(client, trunk, false)
			assert.equal("opus,PCMU", names(offer))
			assert.equal(111, offer[1].id)
		end)

		it("should add the trunk's other transcodable codecs when the relay can transcode", function()
			assert.equal("opus,PCMU,G722,PCMA", names(codecs.trunk_offer(client, trunk, true)))
		end)

		it("should offer nothing shared when nothing is shared and transcoding is off", function()
			assert.equal("", names(codecs.trunk_offer({ { id = 18, name = "G729", clockrate = 8000 } }, trunk, false)))
		end)
	end)

	describe("#answer_payload_types()", function()
		it("should put the chosen codec first with the client's numbers and fmtp, then telephone-event", function()
			local choice = assert(codecs.choose(offer_pts("conversations_session_initiate.xml"),
				{ { id = 107, name = "opus", clockrate = 48000, channels = 2 } }))
			assert.same({
				{ id = 111, name = "opus", clockrate = 48000, channels = 2, parameters = {
					{ name = "minptime", value = "10" }, { name = "useinbandfec", value = "1" } }, rtcp_fb = {} },
				{ id = 110, name = "telephone-event", clockrate = 48000, parameters = {}, rtcp_fb = {} },
			}, codecs.answer_payload_types(choice))
		end)

		it("should fill in name and clockrate a static payload type left out", function()
			local choice = assert(codecs.choose({ { id = 0 } }, G711_TRUNK))
			assert.same({ { id = 0, name = "PCMU", clockrate = 8000, parameters = {}, rtcp_fb = {} } },
				codecs.answer_payload_types(choice))
		end)
	end)

	describe("#offer_payload_types()", function()
		it("should offer opus, G722, PCMU, PCMA and both telephone-events", function()
			local keys = {}
			for i, pt in ipairs(codecs.offer_payload_types()) do keys[i] = pt.id .. " " .. codecs.key(pt) end
			assert.same({ "111 opus/48000/2", "9 g722/8000/1", "0 pcmu/8000/1", "8 pcma/8000/1",
				"110 telephone-event/48000/1", "126 telephone-event/8000/1" }, keys)
		end)

		it("should move the trunk's codec first so the client can pass it through", function()
			assert.equal(8, codecs.offer_payload_types({ id = 8, name = "PCMA", clockrate = 8000 })[1].id)
		end)

		it("should say which codecs the relay transcodes", function()
			assert.is_true(codecs.is_transcodable({ id = 9 }))
			assert.is_false(codecs.is_transcodable({ id = 18 }))
		end)
	end)
end)
