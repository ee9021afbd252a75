-- Trunk health as an operator sees it, in a real Prosody: the relay's
-- OPTIONS checks against a trunk port nobody listens on (the ICMP refusal
-- makes the SIP stack answer 503 at once), then a sipp UAS answering them;
-- REGISTER refused and granted by sipp's registrar. Each change is logged,
-- fails or passes jingle_sip:status() through `prosodyctl shell`, sets the
-- module status and the trunk_up / registered gauges on /metrics.
local prosody = require "spec.helpers.prosody"
local sipp = require "spec.helpers.sipp"
local http = require "socket.http"
local socket = require "socket"

local METRICS = { modules = { "http_openmetrics" }, global = 'statistics = "internal"\nstatistics_interval = "manual"' }

local function start(extra)
	return prosody.start({ modules = METRICS.modules, global = METRICS.global,
		extra = 'jingle_sip_dialplan = { "^%+1555" }\n' .. extra })
end

-- Prosody opens its HTTP port a moment after the client port: retry.
local function scrape(server)
	local body, code
	for _ = 1, 100 do
		body, code = http.request(("http://127.0.0.1:%d/metrics"):format(server.http_port))
		if code ~= "connection refused" then break end
		socket.sleep(0.1)
	end
	assert.equal(200, code, tostring(body))
	return body
end

local function gauge(server, name)
	local body = scrape(server)
	return tonumber(body:match("\nprosody_mod_jingle_sip__" .. name .. '{host="phone%.localhost"} ([%d.]+)')), body
end

local function plain(s) return (s:gsub("%p", "%%%0")) end

describe("trunk health in a real Prosody #lua54", function()
	local server, peer

	after_each(function()
		if peer then peer:kill() end
		if server then server:stop() end
		server, peer = nil, nil
	end)

	it("should log, show and export a dead trunk, then its recovery when a UAS answers", function()
		local port = prosody.free_port()
		local uri = ("sip:127.0.0.1:%d"):format(port)
		server = start(('jingle_sip_trunk = "%s"\njingle_sip_trunk_check_interval = 1'):format(uri))
		assert.is_not_nil(server:wait_log("\twarn\tTrunk " .. plain(uri) .. " is down %(OPTIONS: SIP 503%): calls "
			.. "through it fail", 15), server:log():sub(-3000))
		local ok, out = server:shell("jingle_sip:status()")
		assert.is_false(ok, "a dead trunk must fail the command:\n" .. out)
		assert.truthy(out:find("Error: Trunk " .. uri .. " is down (OPTIONS: SIP 503)", 1, true), out)
		assert.truthy(out:find("trunk " .. uri .. ": down since ", 1, true), out)
		ok, out = server:shell("module:list('phone.localhost')")
		assert.is_true(ok, out)
		assert.truthy(out:find("jingle_sip (error: Trunk " .. uri .. " is down", 1, true), out)
		local value, body = gauge(server, "trunk_up")
		assert.equal(0, value, body)

		peer = sipp.start({ scenario = "uas_options.xml", port = port, calls = 1000, echo = false, timeout = 60 })
		assert.is_not_nil(server:wait_log("\tinfo\tTrunk " .. plain(uri) .. " is up %(OPTIONS answered SIP 200%)", 15),
			server:log():sub(-3000) .. "\n" .. peer:log())
		ok, out = server:shell("jingle_sip:status()")
		assert.is_true(ok, out)
		assert.truthy(out:find("OK: Calls enabled through " .. uri .. ", trunk up", 1, true), out)
		assert.truthy(out:find("trunk " .. uri .. ": up since [^\n]*, last OPTIONS SIP 200 in %d+ ms"), out)
		ok, out = server:shell("module:list('phone.localhost')")
		assert.is_true(ok, out)
		assert.truthy(out:find("\n%s*jingle_sip\n"), "no warn/error status left:\n" .. out)
		value, body = gauge(server, "trunk_up")
		assert.equal(1, value, body)
		-- One line per change, not one per check.
		local _, downs = server:log():gsub("is down %(OPTIONS", "")
		assert.equal(1, downs, server:log():sub(-3000))
	end)

	local function registrar_gateway(password)
		peer = sipp.start({ scenario = "uas_register.xml", echo = false, timeout = 30 })
		local uri = ("sip:127.0.0.1:%d"):format(peer.port)
		server = start(table.concat({ ('jingle_sip_trunk = "%s"'):format(uri), "jingle_sip_trunk_check_interval = 0",
			"jingle_sip_register = true", 'jingle_sip_username = "relay"',
			('jingle_sip_password = "%s"'):format(password) }, "\n"))
		return uri
	end

	it("should log, show and export a refused registration", function()
		local uri = registrar_gateway("wrong")
		assert.is_not_nil(server:wait_log("\twarn\tRegistration at " .. plain(uri) .. " failed: SIP 403 Forbidden", 15),
			server:log():sub(-3000) .. "\n" .. peer:log())
		local ok, out = server:shell("jingle_sip:status()")
		assert.is_false(ok, out)
		assert.truthy(out:find("Error: Registration at " .. uri .. " failed (SIP 403)", 1, true), out)
		assert.truthy(out:find("registration: failed since [^\n]*%(SIP 403 Forbidden%)"), out)
		local value, body = gauge(server, "registered")
		assert.equal(0, value, body)
		assert.is_nil((gauge(server, "trunk_up")), "no trunk_up series without health checks")
	end)

	it("should log, show and export a granted registration", function()
		local uri = registrar_gateway("secret")
		assert.is_not_nil(server:wait_log("\tinfo\tRegistered at " .. plain(uri) .. " %(SIP 200, expires in 10 s%)", 15),
			server:log():sub(-3000) .. "\n" .. peer:log())
		local ok, out = server:shell("jingle_sip:status()")
		assert.is_true(ok, out)
		assert.truthy(out:find("OK: Calls enabled through " .. uri, 1, true), out)
		assert.truthy(out:find("registration: registered since [^\n]*%(expires in 10 s%)"), out)
		local value, body = gauge(server, "registered")
		assert.equal(1, value, body)
	end)
end)
