-- Call authorization (plugin/jingle_sip/policy.lua), toll-fraud cases first.
local config = require "jingle_sip.config"
local policy = require "jingle_sip.policy"

local function cfg_with(options)
	local cfg, errors = config.parse(function(name) return options[name] end, "phone.example.net")
	assert.same({}, errors)
	return cfg
end

describe("jingle_sip.policy #lua54", function()
	local cfg = cfg_with({ jingle_sip_dialplan = { "^%+1[2-9]%d%d[2-9]%d%d%d%d%d%d$", "!^%+1900" } })

	local function check(from, number, active)
		return policy.check_outbound(cfg, from, number, active or 0)
	end

	it("should let a user of the parent domain dial a number in the dial plan", function()
		assert.is_true(check("alice@example.net/phone", "+12125551234"))
	end)

	describe("callers", function()
		for _, from in ipairs({
			"mallory@evil-example.net/x",        -- look-alike domain
			"mallory@example.net.evil.com/x",    -- parent domain as a prefix
			"mallory@sub.example.net/x",         -- subdomains are not included
			"mallory@xample.net/x",              -- suffix of the domain
			"mallory@other.example/x",           -- a remote user over s2s
			"example.net",                       -- the server itself
			"phone.example.net",                 -- the component itself
			"+12125551234@phone.example.net/x",  -- a phone JID calling out
			"",
		}) do
			it("should refuse " .. (from == "" and "an empty sender" or from), function()
				local ok, reason, text = check(from, "+12125551234")
				assert.is_nil(ok)
				assert.equal("caller-not-allowed", reason)
				assert.matches("may not place calls", text)
			end)
		end

		it("should refuse a missing sender", function()
			local ok, reason = policy.check_outbound(cfg, nil, "+12125551234", 0)
			assert.is_nil(ok)
			assert.equal("caller-not-allowed", reason)
		end)

		it("should admit a listed bare JID of another server, and only that user", function()
			local c = cfg_with({ jingle_sip_allow = { "bob@other.example" }, jingle_sip_dialplan = "^%+" })
			assert.is_true(policy.check_outbound(c, "bob@other.example/laptop", "+12125551234", 0))
			assert.is_nil(policy.check_outbound(c, "eve@other.example/laptop", "+12125551234", 0))
			assert.is_nil(policy.check_outbound(c, "alice@example.net/x", "+12125551234", 0),
				"listing a JID replaces the parent-domain default")
		end)

		it("should admit nobody with an empty allow list", function()
			local c = cfg_with({ jingle_sip_allow = {}, jingle_sip_dialplan = "^%+" })
			local ok, reason = policy.check_outbound(c, "alice@example.net/x", "+12125551234", 0)
			assert.is_nil(ok)
			assert.equal("caller-not-allowed", reason)
		end)
	end)

	describe("numbers", function()
		it("should refuse numbers outside the dial plan and denied prefixes", function()
			for _, number in ipairs({ "+442071234567", "+19005551234", "+1212555123", "+121255512345" }) do
				local ok, reason, text = check("alice@example.net/x", number)
				assert.is_nil(ok, number)
				assert.equal("number-not-allowed", reason, number)
				assert.truthy(text:find(number, 1, true), text)
			end
		end)

		it("should refuse forms that try to get around the patterns", function()
			for _, number in ipairs({ "0012125551234", "01112125551234", "12125551234",
				"+1 212 555 1234", "+1212555123\n4", "+12125551234\0", "%+12125551234" }) do
				local ok, reason = check("alice@example.net/x", number)
				assert.is_nil(ok, number)
				assert.equal("number-malformed", reason, number)
			end
		end)

		it("should refuse everything with the default (empty) dial plan", function()
			local c = cfg_with({})
			local ok, reason = policy.check_outbound(c, "alice@example.net/x", "+12125551234", 0)
			assert.is_nil(ok)
			assert.equal("number-not-allowed", reason)
		end)

		it("should let a deny pattern win over an allow pattern", function()
			local c = cfg_with({ jingle_sip_dialplan = { "!^%+44", "^%+" } })
			assert.is_true(policy.check_outbound(c, "alice@example.net/x", "+33123456789", 0))
			assert.is_nil(policy.check_outbound(c, "alice@example.net/x", "+442071234567", 0))
		end)
	end)

	it("should refuse a call beyond the per-user limit", function()
		assert.is_true(check("alice@example.net/x", "+12125551234", 1))
		local ok, reason, text = check("alice@example.net/x", "+12125551234", 2)
		assert.is_nil(ok)
		assert.equal("too-many-calls", reason)
		assert.matches("2 calls in progress %(limit 2%)", text)
	end)

	it("should refuse everything while calls are disabled, with the reason", function()
		local ok, reason, text = policy.check_outbound(cfg, "alice@example.net/x", "+12125551234", 0,
			"no SIP trunk is configured")
		assert.is_nil(ok)
		assert.equal("calls-disabled", reason)
		assert.equal("no SIP trunk is configured", text)
	end)

	it("should map every reason to an XMPP error and a Jingle reason", function()
		for reason, e in pairs(policy.reasons) do
			assert.is_string(e.type, reason)
			assert.is_string(e.condition, reason)
			assert.is_string(e.jingle, reason)
		end
	end)
end)
