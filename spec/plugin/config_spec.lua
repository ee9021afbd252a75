-- Configuration parsing (plugin/jingle_sip/config.lua): typed options, safe
-- defaults, and a clear error naming the option for every bad value.
local config = require "jingle_sip.config"

local host = "phone.example.net"

local function parse(options)
	return config.parse(function(name) return options[name] end, host)
end

local function has(list, pattern)
	for _, line in ipairs(list) do
		if line:find(pattern, 1, true) then return true end
	end
	return false
end

describe("jingle_sip.config #lua54", function()
	it("should give every default without errors, warning that nothing may be dialled", function()
		local cfg, errors, warnings = parse({})
		assert.same({}, errors)
		assert.is_nil(cfg.trunk, "no trunk by default")
		assert.same({ address = "0.0.0.0", port = 5060 }, cfg.listen)
		assert.is_false(cfg.register)
		assert.same({ 16384, 32767 }, cfg.rtp_port_range)
		assert.is_nil(cfg.media_port_range, "ICE ports: any")
		assert.same({ ["example.net"] = true }, cfg.allow, "parent domain only")
		assert.same({ allow = {}, deny = {} }, cfg.dialplan, "nothing may be dialled")
		assert.same({}, cfg.numbers)
		assert.equal(2, cfg.max_calls_per_user)
		assert.equal(60, cfg.ring_timeout)
		assert.equal(14400, cfg.max_call_duration)
		assert.equal(60, cfg.trunk_media_timeout)
		assert.is_nil(cfg.media_address)
		assert.is_nil(cfg.rtp_address)
		assert.is_true(has(warnings, "jingle_sip_dialplan allows no number"))
	end)

	it("should read a full, valid configuration", function()
		local cfg, errors, warnings = parse({
			jingle_sip_trunk = "sip:sip.carrier.example:5070;transport=tcp",
			jingle_sip_listen = "[::1]:5080",
			jingle_sip_username = "acct", jingle_sip_password = "secret", jingle_sip_register = true,
			jingle_sip_media_address = "192.0.2.10", jingle_sip_rtp_address = "2001:db8::1",
			jingle_sip_rtp_port_range = { 20000, 20099 }, jingle_sip_media_port_range = { 40000, 40000 },
			jingle_sip_allow = { "example.net", "Bob@Other.Example" },
			jingle_sip_dialplan = { "^%+1[2-9]%d+$", "!^%+1900" },
			jingle_sip_numbers = { ["+1 555 123 4567"] = "alice@example.net" },
			jingle_sip_max_calls_per_user = 3, jingle_sip_ring_timeout = "45",
			jingle_sip_max_call_duration = 0, jingle_sip_relay_workers = 2, jingle_sip_max_calls = 100,
			jingle_sip_media_tick_us = 500,
		})
		assert.same({}, errors)
		assert.same({}, warnings)
		assert.same({ uri = "sip:sip.carrier.example:5070;transport=tcp", scheme = "sip",
			host = "sip.carrier.example", port = 5070, transport = "tcp" }, cfg.trunk)
		assert.same({ address = "::1", port = 5080 }, cfg.listen)
		assert.is_true(cfg.register)
		assert.equal("192.0.2.10", cfg.media_address)
		assert.equal("2001:db8::1", cfg.rtp_address)
		assert.same({ 20000, 20099 }, cfg.rtp_port_range)
		assert.same({ 40000, 40000 }, cfg.media_port_range, "one port is a range")
		assert.same({ ["example.net"] = true, ["bob@other.example"] = true }, cfg.allow)
		assert.same({ allow = { "^%+1[2-9]%d+$" }, deny = { "^%+1900" } }, cfg.dialplan)
		assert.same({ ["+15551234567"] = "alice@example.net" }, cfg.numbers)
		assert.equal(3, cfg.max_calls_per_user)
		assert.equal(45, cfg.ring_timeout)
		assert.equal(0, cfg.max_call_duration)
		assert.equal(2, cfg.relay_workers)
		assert.equal(100, cfg.max_calls)
		assert.equal(500, cfg.media_tick_us)
	end)

	it("should still read jingle_sip_rtp_ports, with a warning to rename it", function()
		local cfg, errors, warnings = parse({ jingle_sip_rtp_ports = { 20000, 20099 } })
		assert.same({}, errors, "the old name is not an unknown option")
		assert.same({}, config.unknown_options({ "jingle_sip_rtp_ports", "jingle_sip_rtp_port_range",
			"jingle_sip_media_port_range" }))
		assert.same({ 20000, 20099 }, cfg.rtp_port_range)
		assert.is_true(has(warnings, "jingle_sip_rtp_ports is deprecated"), table.concat(warnings, "\n"))
		assert.is_true(has(warnings, "rename it jingle_sip_rtp_port_range"))
		cfg, errors, warnings = parse({ jingle_sip_rtp_ports = { 20000, 20099 },
			jingle_sip_rtp_port_range = { 30000, 30099 } })
		assert.same({}, errors)
		assert.same({ 30000, 30099 }, cfg.rtp_port_range, "the new name wins")
		assert.is_true(has(warnings, "jingle_sip_rtp_ports is ignored"), table.concat(warnings, "\n"))
	end)

	describe("bad values", function()
		-- option = { bad value, text the error must contain, safe fallback check }
		local cases = {
			jingle_sip_trunk = { "sip.carrier.example", "must start with sip: or sips:" },
			jingle_sip_listen = { "localhost:5060", "IP address" },
			jingle_sip_register = { "yes", "not true or false" },
			jingle_sip_media_address = { "media.example.net", "not an IP address" },
			jingle_sip_rtp_port_range = { { 30000, 20000 }, "last port must be above the first" },
			jingle_sip_media_port_range = { { 40001, 40000 }, "last port must not be below the first" },
			jingle_sip_allow = { { "*.example.net" }, "wildcards are not supported" },
			jingle_sip_dialplan = { { "%+1555" }, "must start with ^" },
			jingle_sip_numbers = { { ["15551234567"] = "alice@example.net" }, "without a leading +" },
			jingle_sip_max_calls_per_user = { 0, "at least 1" },
			jingle_sip_ring_timeout = { 2.5, "whole number from 1 to 3600" },
			jingle_sip_trunk_media_timeout = { 1, "whole number from 2 to 3600" },
			jingle_sip_max_call_duration = { -1, "at least 0" },
			jingle_sip_trunk_sources = { { "192.0.2.1", "trunk.example.net" }, "not an IP address or CIDR" },
			jingle_sip_trunk_source_filter = { "off", "not true or false" },
			jingle_sip_invite_rate = { -1, "whole number from 0 to 100000" },
			jingle_sip_max_calls = { "lots", "not \"auto\" or a whole number" },
			jingle_sip_default_country = { "USA", "not a supported country; one of AT, AU, CA" },
		}
		for name, case in pairs(cases) do
			it("should name " .. name .. " and the value in the error", function()
				local _, errors = parse({ [name] = case[1] })
				assert.equal(1, #errors, table.concat(errors, "\n"))
				assert.truthy(errors[1]:find(name .. ":", 1, true), errors[1])
				assert.truthy(errors[1]:find(case[2], 1, true), errors[1])
			end)
		end

		it("should name a bad port range given under the deprecated jingle_sip_rtp_ports", function()
			local _, errors = parse({ jingle_sip_rtp_ports = { 100, 200 } })
			assert.equal(1, #errors, table.concat(errors, "\n"))
			assert.truthy(errors[1]:find("jingle_sip_rtp_ports: 100 is not a whole number from 1024", 1, true), errors[1])
		end)

		it("should read trusted SIP sources as IPs and CIDRs of both families", function()
			local cfg, errors = parse({ jingle_sip_trunk_sources = { "192.0.2.10", "198.51.100.0/24",
				"2001:db8::/32" }, jingle_sip_invite_rate = 0, jingle_sip_max_calls = 0 })
			assert.same({}, errors)
			assert.same({ "192.0.2.10", "198.51.100.0/24", "2001:db8::/32" }, cfg.trunk_sources)
			assert.equal(0, cfg.invite_rate)
			assert.equal(0, cfg.max_calls)
			local _, bad = parse({ jingle_sip_trunk_sources = { "10.0.0.0/33" } })
			assert.truthy(bad[1] and bad[1]:find("not an IP address or CIDR", 1, true))
		end)

		it("should default to the trunk's addresses, the kernel filter, 10 INVITEs/s and auto max_calls", function()
			local cfg = parse({})
			assert.is_nil(cfg.trunk_sources)
			assert.is_true(cfg.trunk_source_filter)
			assert.equal(10, cfg.invite_rate)
			assert.equal("auto", cfg.max_calls)
		end)

		it("should fall back to nobody and nothing for a bad allow list or dial plan", function()
			local cfg = parse({ jingle_sip_allow = { "example.net", "a@b/c" },
				jingle_sip_dialplan = { "^%+1", "^[" } })
			assert.same({}, cfg.allow)
			assert.same({ allow = {}, deny = {} }, cfg.dialplan)
		end)

		it("should report an invalid Lua pattern", function()
			local _, errors = parse({ jingle_sip_dialplan = { "^%+1[" } })
			assert.truthy(errors[1]:find("not a valid Lua pattern", 1, true), errors[1])
		end)

		it("should refuse a resource in the allow list and a non-user owner", function()
			local _, errors = parse({ jingle_sip_allow = "alice@example.net/phone" })
			assert.truthy(errors[1]:find("has a resource", 1, true), errors[1])
			_, errors = parse({ jingle_sip_numbers = { ["+15551234567"] = "example.net" } })
			assert.truthy(errors[1]:find("not a bare user JID", 1, true), errors[1])
		end)

		it("should refuse a number written as a Lua number", function()
			local _, errors = parse({ jingle_sip_numbers = { [15551234567] = "alice@example.net" } })
			assert.truthy(errors[1]:find("Lua number", 1, true), errors[1])
		end)

		it("should need a username with a password and both to register", function()
			local _, errors = parse({ jingle_sip_password = "x" })
			assert.is_true(has(errors, "jingle_sip_password is set without jingle_sip_username"))
			_, errors = parse({ jingle_sip_register = true, jingle_sip_username = "u" })
			assert.is_true(has(errors, "jingle_sip_register = true needs"))
		end)
	end)

	it("should refuse misspelt jingle_sip_ options and leave others alone", function()
		local _, errors = config.parse(function() end, host,
			{ "jingle_sip_alow", "jingle_sip_dialplan", "modules_enabled", "jingle_sip_dial_plan" })
		assert.same({ "jingle_sip_alow: unknown option (misspelt?); the options are listed in README.md",
			"jingle_sip_dial_plan: unknown option (misspelt?); the options are listed in README.md" }, errors)
	end)

	it("should warn that nobody may dial with an empty allow list", function()
		local cfg, errors, warnings = parse({ jingle_sip_allow = {} })
		assert.same({}, errors)
		assert.same({}, cfg.allow)
		assert.is_true(has(warnings, "jingle_sip_allow is empty"))
	end)

	it("should take the parent domain of the component as the default allow list", function()
		assert.equal("example.net", config.parent_domain("phone.example.net"))
		assert.equal("localhost", config.parent_domain("phone.localhost"))
		assert.is_nil(config.parent_domain("phone"))
		local cfg, _, warnings = config.parse(function() end, "phone")
		assert.same({}, cfg.allow)
		assert.is_true(has(warnings, "no parent domain"))
	end)

	it("should accept a single string where a list is expected", function()
		local cfg, errors = parse({ jingle_sip_allow = "example.org", jingle_sip_dialplan = "^%+44" })
		assert.same({}, errors)
		assert.same({ ["example.org"] = true }, cfg.allow)
		assert.same({ "^%+44" }, cfg.dialplan.allow)
	end)

	it("should read the default country in any case and leave it unset by default", function()
		local cfg, errors = parse({ jingle_sip_default_country = "us" })
		assert.same({}, errors)
		assert.equal("US", cfg.default_country)
		assert.is_nil(parse({}).default_country, "no default country: no national numbers guessed")
	end)

	it("should document every option with its default in README.md", function()
		local f = assert(io.open("README.md"))
		local readme = f:read("a")
		f:close()
		for _, name in ipairs(config.options) do
			local row = readme:match("\n| `" .. name:gsub("%p", "%%%0") .. "` |([^\n]*)")
			assert.is_not_nil(row, name .. " is missing from README.md's configuration table")
		end
		for key, value in pairs(config.defaults) do
			if type(value) ~= "table" then
				local row = readme:match("\n| `jingle_sip_" .. key .. "` | ([^|]*)")
				assert.truthy(row and row:find(tostring(value), 1, true),
					("README.md's default for jingle_sip_%s is not %s"):format(key, tostring(value)))
			end
		end
	end)
	describe("relay_config()", function()
		local function relay_config(options)
			local cfg = parse(options)
			return config.relay_config(cfg, function(name) return options[name] end, 1700000000, "jingle-sip/test")
		end

		it("should give the relay its SIP and media configuration from the options", function()
			local r, err, notes = relay_config({ jingle_sip_trunk = "sip:trunk.example.net",
				jingle_sip_listen = "192.0.2.10:5070", jingle_sip_max_calls = 7,
				jingle_sip_trunk_sources = { "198.51.100.0/24" } })
			assert.is_nil(err)
			assert.same({}, notes)
			assert.equal(7, r.max_calls)
			assert.equal("sip:192.0.2.10:5070", r.sip.listen_uri)
			assert.equal("192.0.2.10", r.media.sip_rtp_address, "the listen address when no rtp_address")
			assert.is_nil(r.sip.rtp_address, "one config holds the SIP leg's RTP address: the media plane's")
			assert.equal("jingle-sip/test", r.sip.user_agent)
			assert.equal("198.51.100.0/24", r.sip.trusted_sources)
			assert.same({ 16384, 32767 }, { r.media.sip_port_min, r.media.sip_port_max })
			assert.equal(-1, config.relay_max_calls(parse({})), "auto")
			local v6 = relay_config({ jingle_sip_trunk = "sip:trunk.example.net", jingle_sip_listen = "[2001:db8::1]:5060" })
			assert.equal("sip:[2001:db8::1]:5060", v6.sip.listen_uri)
		end)

		it("should refuse a wildcard listen address without jingle_sip_rtp_address", function()
			local r, err = relay_config({ jingle_sip_trunk = "sip:trunk.example.net" })
			assert.is_nil(r)
			assert.truthy(err:find("set jingle_sip_rtp_address", 1, true), err)
		end)
	end)
end)
