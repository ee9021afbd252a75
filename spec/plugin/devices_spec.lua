-- How the owner's devices are asked what they speak, and which one a phone
-- call rings directly: against Prosody's real stanzas and promises.
local devices = require "jingle_sip.devices"
local st = require "util.stanza"
local promise = require "util.promise"

local DISCO = "http://jabber.org/protocol/disco#info"
local JINGLE_AUDIO = { "urn:xmpp:jingle:1", "urn:xmpp:jingle:apps:rtp:1", "urn:xmpp:jingle:apps:rtp:audio",
	"urn:xmpp:jingle:transports:ice-udp:1" }

local function disco_reply(features)
	local reply = st.iq({ type = "result", id = "r1" }):tag("query", { xmlns = DISCO })
	for _, var in ipairs(features) do reply:tag("feature", { var = var }):up() end
	return reply:reset()
end

local function with(list, extra)
	local out = { table.unpack(list) }
	out[#out + 1] = extra
	return out
end

local function session(full_jid, priority, type)
	return { full_jid = full_jid, priority = priority, presence = st.presence({ type = type }) }
end

describe("jingle_sip.devices #lua54", function()
	describe("features()", function()
		it("should see JMI and Jingle audio over ICE-UDP in a disco#info answer", function()
			local f = devices.features(disco_reply(with(JINGLE_AUDIO, "urn:xmpp:jingle-message:0")):get_child("query", DISCO))
			assert.same({ jmi = true, jingle_audio = true }, f)
		end)

		it("should not call a client Jingle-capable without ICE-UDP", function()
			local f = devices.features(disco_reply({ "urn:xmpp:jingle:1", "urn:xmpp:jingle:apps:rtp:1",
				"urn:xmpp:jingle:apps:rtp:audio" }):get_child("query", DISCO))
			assert.same({ jmi = false, jingle_audio = false }, f)
		end)
	end)

	describe("reachability()", function()
		it("should say online while a session is bound, push with a registration, else offline", function()
			assert.equal("online", devices.reachability({ sessions = { laptop = {} } }, nil))
			assert.equal("push", devices.reachability(nil, { ["push.example/n1"] = { jid = "push.example" } }))
			assert.equal("push", devices.reachability({ sessions = {} }, { x = {} }))
			assert.equal("offline", devices.reachability(nil, nil))
			assert.equal("offline", devices.reachability({ sessions = {} }, {}))
		end)
	end)

	describe("discover()", function()
		it("should ask each available device, skip unavailable ones, and report once", function()
			local asked, calls = {}, 0
			local answers = {
				["bob@example.org/phone"] = disco_reply(JINGLE_AUDIO),
				["bob@example.org/laptop"] = false, -- answers with an error
			}
			local result
			devices.discover({ sessions = {
				phone = session("bob@example.org/phone", 5),
				laptop = session("bob@example.org/laptop", 0),
				away = session("bob@example.org/away", 0, "unavailable"),
			} }, {
				from = "phone.example.org", new_id = function() return "id" .. #asked end, timeout = 2,
				send_iq = function(iq, timeout)
					assert.equal(2, timeout)
					assert.equal("get", iq.attr.type)
					assert.equal("phone.example.org", iq.attr.from)
					asked[#asked + 1] = iq.attr.to
					local answer = answers[iq.attr.to]
					if answer then return promise.resolve({ stanza = answer }) end
					return promise.reject("service-unavailable")
				end,
			}, function(list) calls = calls + 1; result = list end)
			assert.equal(1, calls)
			assert.equal(2, #asked)
			table.sort(result, function(a, b) return a.jid < b.jid end)
			assert.same({ jid = "bob@example.org/laptop", priority = 0, jmi = false, jingle_audio = false,
				answered = false }, result[1])
			assert.same({ jid = "bob@example.org/phone", priority = 5, jmi = false, jingle_audio = true,
				answered = true }, result[2])
		end)

		it("should not ask a hibernated session (XEP-0198), whose caps are unknown, and leave it to JMI", function()
			local asleep = session("bob@example.org/mobile", 0)
			asleep.hibernating = true
			local result
			devices.discover({ sessions = { mobile = asleep } }, { send_iq = error, new_id = tostring },
				function(list) result = list end)
			assert.same({ { jid = "bob@example.org/mobile", priority = 0, jmi = false, jingle_audio = false,
				answered = false, asleep = true } }, result)
			assert.is_true(devices.wants_jmi(result))
			assert.is_nil(devices.direct_target(result))
		end)

		it("should report an offline user's empty list at once", function()
			local result
			devices.discover(nil, { send_iq = error, new_id = tostring }, function(list) result = list end)
			assert.same({}, result)
		end)
	end)

	describe("direct_target()", function()
		local function d(jid, priority, jmi, audio, answered)
			return { jid = jid, priority = priority, jmi = jmi, jingle_audio = audio, answered = answered ~= false }
		end

		it("should pick the highest-priority Jingle device when none speaks JMI", function()
			assert.equal("b/2", devices.direct_target({ d("b/1", 1, false, true), d("b/2", 7, false, true),
				d("b/3", 9, false, false) }).jid)
		end)

		it("should ring the best Jingle device without JMI beside the JMI ones", function()
			assert.equal("b/1", devices.direct_target({ d("b/1", 1, false, true), d("b/2", 0, true, true) }).jid)
			assert.is_true(devices.wants_jmi({ d("b/1", 1, false, true), d("b/2", 0, true, true) }))
		end)

		it("should propose only through JMI when a device did not answer, or nobody is known", function()
			assert.equal("b/1", devices.direct_target({ d("b/1", 1, false, true), d("b/2", 0, false, false, false) }).jid)
			assert.is_true(devices.wants_jmi({ d("b/1", 1, false, true), d("b/2", 0, false, false, false) }))
			assert.is_nil(devices.direct_target({}))
			assert.is_nil(devices.direct_target(nil))
			assert.is_true(devices.wants_jmi({}))
			assert.is_true(devices.wants_jmi(nil))
		end)

		it("should send no propose when every device answered without JMI", function()
			assert.is_false(devices.wants_jmi({ d("b/1", 1, false, true), d("b/3", 9, false, false) }))
		end)
	end)

	describe("discover() with caps", function()
		local book_mod = require "jingle_sip.presence_book"
		local caps = require "util.caps"

		it("should ask a device once per verified caps string", function()
			local reply = disco_reply(with(JINGLE_AUDIO, "urn:xmpp:jingle-message:0"))
			local ver = caps.calculate_hash(reply:get_child("query", DISCO).tags)
			local book = book_mod.new(function() return true end)
			local asked = {}
			local o = { from = "phone.example.org", new_id = function() return "i" end, timeout = 2, book = book,
				send_iq = function(iq)
					asked[#asked + 1] = iq.attr.to
					return promise.resolve({ stanza = reply })
				end }
			local list = { { jid = "bob@example.org/a", priority = 0,
				caps = { node = "https://x", ver = ver, hash = "sha-1" } } }
			local result
			devices.discover(list, o, function(r) result = r end)
			assert.same({ "bob@example.org/a" }, asked)
			assert.is_true(result[1].jmi)
			-- Another device (or the next call) with the same caps: not asked.
			list[1].jid = "bob@example.org/b"
			devices.discover(list, o, function(r) result = r end)
			assert.equal(1, #asked)
			assert.same({ jid = "bob@example.org/b", priority = 0, jmi = true, jingle_audio = true, answered = true },
				result[1])
		end)

		it("should not trust caps whose hash does not match the answer", function()
			local reply = disco_reply(JINGLE_AUDIO)
			local book = book_mod.new(function() return true end)
			local asked = 0
			local o = { from = "p", new_id = function() return "i" end, timeout = 2, book = book,
				send_iq = function() asked = asked + 1; return promise.resolve({ stanza = reply }) end }
			local list = { { jid = "bob@example.org/a", caps = { node = "n", ver = "forged=", hash = "sha-1" } } }
			devices.discover(list, o, function() end)
			devices.discover(list, o, function() end)
			assert.equal(2, asked)
			assert.is_nil(book:caps_features(list[1].caps))
		end)
	end)
end)
