-- The call gate (plugin/jingle_sip/gate.lua): which propose or
-- session-initiate to a phone JID is refused, and how each refusal is
-- answered. The same gate in a real Prosody: spec/plugin/contacts_spec.lua.
local config = require "jingle_sip.config"
local gate = require "jingle_sip.gate"
local st = require "util.stanza"

local HOST = "phone.example.net"
local JMI = "urn:xmpp:jingle-message:0"
local JINGLE = "urn:xmpp:jingle:1"

local function cfg_with(options)
	local cfg, errors = config.parse(function(name) return options[name] end, HOST)
	assert.same({}, errors)
	return cfg
end

local cfg = cfg_with({ jingle_sip_dialplan = { "^%+1[2-9]%d%d[2-9]%d%d%d%d%d%d$", "!^%+1900" },
	jingle_sip_max_calls_per_user = 2 })

local function propose(from, to, id)
	return st.message({ from = from, to = to, id = "m1", type = "chat" })
		:tag("propose", { xmlns = JMI, id = id or "call1" })
		:tag("description", { xmlns = "urn:xmpp:jingle:apps:rtp:1", media = "audio" }):up():up()
end

local function initiate(from, to, action)
	return st.iq({ from = from, to = to, id = "i1", type = "set" })
		:tag("jingle", { xmlns = JINGLE, action = action or "session-initiate", sid = "s1" }):up()
end

local function error_of(reply)
	local e = reply:get_child("error")
	return e.attr.type, e.tags[1].name, e:get_child_text("text", "urn:ietf:params:xml:ns:xmpp-stanzas")
end

describe("jingle_sip.gate #lua54", function()
	describe("admit", function()
		it("should admit a user of the domain dialling a number of the dial plan", function()
			assert.is_true(gate.admit(propose("alice@example.net/a", "+12125551234@" .. HOST), HOST, cfg, 0))
		end)

		it("should say what a malformed phone JID should look like", function()
			local ok, reason, text = gate.admit(propose("alice@example.net/a", "12125551234@" .. HOST), HOST, cfg, 0)
			assert.is_nil(ok)
			assert.equal("number-malformed", reason)
			assert.matches("+", text, 1, true)
		end)

		it("should give the disabled text before the malformed number", function()
			local ok, reason, text = gate.admit(propose("alice@example.net/a", "nobody@" .. HOST), HOST, cfg, 0,
				"no trunk")
			assert.is_nil(ok)
			assert.same({ "calls-disabled", "no trunk" }, { reason, text })
		end)

		it("should refuse callers, numbers and counts as policy.check_outbound does", function()
			local function reason_of(from, to, active)
				return select(2, gate.admit(propose(from, to .. "@" .. HOST), HOST, cfg, active))
			end
			assert.equal("caller-not-allowed", reason_of("mallory@evil-example.net/x", "+12125551234", 0))
			assert.equal("number-not-allowed", reason_of("alice@example.net/a", "+19005551234", 0))
			assert.equal("too-many-calls", reason_of("alice@example.net/a", "+12125551234", 2))
			assert.equal("calls-disabled", select(2, gate.admit(propose("alice@example.net/a",
				"+12125551234@" .. HOST), HOST, cfg, 0, "down")))
		end)
	end)

	describe("refusal", function()
		it("should answer a propose with the error and a JMI reject carrying the Jingle reason", function()
			local stanza = propose("mallory@evil-example.net/x", "+12125551234@" .. HOST, "c9")
			local reply, reject = gate.refusal(stanza, "caller-not-allowed", "you may not")
			assert.equal("error", reply.attr.type)
			assert.same({ "auth", "forbidden", "you may not" }, { error_of(reply) })
			assert.is_not_nil(reject)
			assert.equal("+12125551234@" .. HOST, reject.attr.from)
			assert.equal("mallory@evil-example.net/x", reject.attr.to)
			local r = reject:get_child("reject", JMI)
			assert.equal("c9", r.attr.id)
			local reason = r:get_child("reason", JINGLE)
			assert.is_not_nil(reason:get_child("security-error"))
			assert.equal("you may not", reason:get_child_text("text"))
		end)

		it("should answer a session-initiate with the error only", function()
			local reply, reject = gate.refusal(initiate("alice@example.net/a", "+12125551234@" .. HOST),
				"too-many-calls", "busy")
			assert.same({ "wait", "resource-constraint", "busy" }, { error_of(reply) })
			assert.is_nil(reject)
		end)
	end)

	describe("handlers", function()
		local sent, replied, logged, refused, active, disabled
		local handlers = gate.new({
			host = HOST, cfg = cfg,
			disabled = function() return disabled end,
			active = function(bare) return active[bare] end,
			send = function(stanza) sent[#sent + 1] = stanza end,
			log = function(...) logged[#logged + 1] = { ... } end,
			refused = function() refused = refused + 1 end,
		})
		local origin = { send = function(stanza) replied[#replied + 1] = stanza end }
		before_each(function()
			sent, replied, logged, refused, active, disabled = {}, {}, {}, 0, {}, nil
		end)

		it("should let an admitted call through to the call handlers", function()
			assert.is_nil(handlers.on_propose({ origin = origin,
				stanza = propose("alice@example.net/a", "+12125551234@" .. HOST) }))
			assert.is_nil(handlers.on_session_initiate({ origin = origin,
				stanza = initiate("alice@example.net/a", "+12125551234@" .. HOST) }))
			assert.same({ {}, {}, 0 }, { sent, replied, refused })
		end)

		it("should refuse a propose, count it, log it and reject it the JMI way", function()
			assert.is_true(handlers.on_propose({ origin = origin,
				stanza = propose("alice@example.net/a", "+19005551234@" .. HOST) }))
			assert.equal(1, refused)
			assert.equal(1, #replied)
			assert.same({ "cancel", "not-allowed", "+19005551234 is not in this server's dial plan" },
				{ error_of(replied[1]) })
			assert.equal(1, #sent)
			assert.is_not_nil(sent[1]:get_child("reject", JMI))
			assert.equal("info", logged[1][1])
		end)

		it("should count the caller's calls in progress by bare JID", function()
			active["alice@example.net"] = 2
			assert.is_true(handlers.on_session_initiate({ origin = origin,
				stanza = initiate("alice@example.net/a", "+12125551234@" .. HOST) }))
			assert.same({ "wait", "resource-constraint", "alice@example.net already has 2 calls in progress (limit 2)" },
				{ error_of(replied[1]) })
			assert.same({}, sent)
		end)

		it("should read whether calls are disabled at each stanza", function()
			disabled = "the relay is down"
			handlers.on_propose({ origin = origin, stanza = propose("alice@example.net/a", "+12125551234@" .. HOST) })
			assert.same({ "cancel", "service-unavailable", "the relay is down" }, { error_of(replied[1]) })
		end)

		it("should leave other Jingle actions, other messages and errors alone", function()
			assert.is_nil(handlers.on_session_initiate({ origin = origin,
				stanza = initiate("mallory@evil.example/x", "+12125551234@" .. HOST, "transport-info") }))
			assert.is_nil(handlers.on_propose({ origin = origin,
				stanza = st.message({ from = "mallory@evil.example/x", to = "+12125551234@" .. HOST }):tag("body"):text("hi") }))
			local err = propose("mallory@evil.example/x", "+12125551234@" .. HOST)
			err.attr.type = "error"
			assert.is_nil(handlers.on_propose({ origin = origin, stanza = err }))
			assert.same({ {}, {}, 0 }, { sent, replied, refused })
		end)
	end)
end)
