-- jingle_sip:status() as an operator's script runs it: `prosodyctl shell`
-- as the prosody user against a real Prosody. Every bad option is named
-- with its reason and refused calls make the command fail (non-zero exit);
-- an empty dial plan is a warning, in the status and in module:list().
local prosody = require "spec.helpers.prosody"

-- A trunk nobody answers, never checked: these cases are about options.
local UNCHECKED_TRUNK = 'jingle_sip_trunk = "sip:127.0.0.1:5999"\njingle_sip_trunk_check_interval = 0'

describe("jingle_sip:status() in a real Prosody #lua54", function()
	local server

	after_each(function()
		if server then server:stop() end
		server = nil
	end)

	it("should name every bad option with its reason and exit non-zero", function()
		server = prosody.start({ extra = table.concat({ UNCHECKED_TRUNK,
			'jingle_sip_dialplan = { "^%+1555" }',
			'jingle_sip_ring_timeout = "soon"',
			'jingle_sip_allow = { "*.localhost" }',
			'jingle_sip_dial_plan = { "^%+" }',
		}, "\n") })
		assert.is_not_nil(server:wait_log("mod_jingle_sip [^\n]* loaded", 10), server:log())
		local ok, out = server:shell("jingle_sip:status()")
		assert.is_false(ok, "a refused state must fail the command:\n" .. out)
		local summary = out:match("[^\n]*Error: [^\n]*")
		assert.is_not_nil(summary, out)
		for _, text in ipairs({ "Calls refused: 3 bad jingle_sip_* options",
			'jingle_sip_ring_timeout: "soon" is not a whole number from 1 to 3600',
			'jingle_sip_allow: "*.localhost": wildcards are not supported',
			"jingle_sip_dial_plan: unknown option (misspelt?)" }) do
			assert.truthy(summary:find(text, 1, true), "the summary misses " .. text .. ":\n" .. out)
		end
		assert.falsy(out:find("see the server log", 1, true), out)
		-- One detail line per option, above the summary.
		assert.truthy(out:find("bad option jingle_sip_ring_timeout:", 1, true), out)
		assert.truthy(out:find("bad option jingle_sip_allow:", 1, true), out)
		ok, out = server:shell("module:list('phone.localhost')")
		assert.is_true(ok, out)
		assert.truthy(out:find("jingle_sip (error: Calls refused: 3 bad jingle_sip_* options: ", 1, true), out)
	end)

	it("should report an empty dial plan as a warning that still exits 0", function()
		server = prosody.start({ extra = UNCHECKED_TRUNK })
		assert.is_not_nil(server:wait_log("mod_jingle_sip [^\n]* loaded", 10), server:log())
		local ok, out = server:shell("jingle_sip:status()")
		assert.is_true(ok, out)
		assert.truthy(out:find("OK: Warning: jingle_sip_dialplan allows no number", 1, true), out)
		assert.falsy(out:find("enabled", 1, true), "not \"calls enabled\":\n" .. out)
		assert.truthy(out:find("trunk sip:127.0.0.1:5999: not checked (jingle_sip_trunk_check_interval = 0)", 1, true),
			out)
		ok, out = server:shell("module:list('phone.localhost')")
		assert.is_true(ok, out)
		assert.truthy(out:find("jingle_sip (warn: Warning: jingle_sip_dialplan allows no number", 1, true), out)
	end)

	it("should say calls are enabled, exit 0, when all is well", function()
		server = prosody.start({ extra = UNCHECKED_TRUNK .. '\njingle_sip_dialplan = { "^%+1555" }\n'
			.. "jingle_sip_rtp_port_range = { 20000, 20099 }\njingle_sip_media_port_range = { 40000, 40099 }" })
		assert.is_not_nil(server:wait_log("mod_jingle_sip [^\n]* loaded", 10), server:log())
		-- The port range options are not mistaken for listener ports.
		assert.falsy(server:log():find("has no effect for virtual hosts", 1, true), server:log())
		local ok, out = server:shell("jingle_sip:status()")
		assert.is_true(ok, out)
		assert.truthy(out:find("OK: Calls enabled through sip:127.0.0.1:5999", 1, true), out)
		ok, out = server:shell("module:list('phone.localhost')")
		assert.is_true(ok, out)
		assert.truthy(out:find("\n%s*jingle_sip\n"), "no warn/error status:\n" .. out)
	end)

	it("should still read jingle_sip_rtp_ports, warning that it is deprecated", function()
		server = prosody.start({ extra = UNCHECKED_TRUNK .. '\njingle_sip_dialplan = { "^%+1555" }\n'
			.. "jingle_sip_rtp_ports = { 20000, 20099 }" })
		assert.is_not_nil(server:wait_log("mod_jingle_sip [^\n]* loaded", 10), server:log())
		local log = server:log()
		-- Why it was renamed: Prosody's own warning about any *_ports option.
		assert.truthy(log:find("Option 'jingle_sip_rtp_ports' has no effect for virtual hosts", 1, true), log)
		assert.truthy(log:find("\twarn\tjingle_sip_rtp_ports is deprecated [^\n]*rename it jingle_sip_rtp_port_range"),
			log)
		assert.falsy(log:find("unknown option", 1, true), log)
		local ok, out = server:shell("jingle_sip:status()")
		assert.is_true(ok, out)
		assert.truthy(out:find("OK: Warning: jingle_sip_rtp_ports is deprecated", 1, true), out)
	end)
end)
