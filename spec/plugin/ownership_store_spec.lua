-- Number ownership and caller ID in Prosody's storage, edited with the admin
-- shell (`prosodyctl shell`), seeded from jingle_sip_numbers, surviving a
-- restart; with internal (file) storage and with SQL (SQLite).
local prosody = require "spec.helpers.prosody"

local function seeds(map)
	local parts = {}
	for number, owner in pairs(map) do parts[#parts + 1] = ("[%q] = %q"):format(number, owner) end
	return "jingle_sip_numbers = { " .. table.concat(parts, ", ") .. " }"
end

local function shell_ok(server, line)
	local ok, out = server:shell(line)
	assert.is_true(ok, line .. " failed:\n" .. out)
	return out
end

local function row(out, number)
	return out:match("\n?(" .. number:gsub("%+", "%%+") .. "[^\n]*)")
end

local backends = {
	internal = { global = nil, check = function(dir)
		local f = io.open(dir .. "/data/phone%2elocalhost/jingle_sip_numbers/%2b15550000000.dat")
		if f then f:close() end
		return f ~= nil, "no internal storage file for +15550000000"
	end },
	sql = { global = 'storage = "sql"\nsql = { driver = "SQLite3", database = "prosody.sqlite" }',
		check = function(dir)
			local p = io.popen(("sqlite3 %s/data/prosody.sqlite \"SELECT count(*) FROM prosody WHERE "
				.. "host='phone.localhost' AND store='jingle_sip_numbers'\" 2>&1"):format(dir))
			local out = p:read("a")
			p:close()
			return tonumber(out) and tonumber(out) > 0, "no rows in SQLite: " .. out
		end },
}

for name, backend in pairs(backends) do
	describe("number ownership with " .. name .. " storage #lua54", function()
		local server

		teardown(function()
			if server then server:stop() end
		end)

		it("should seed, edit in the shell, and keep admin changes over the config across a restart", function()
			server = prosody.start({ users = { alice = "alice-pw" }, global = backend.global,
				extra = seeds({ ["+15551234567"] = "alice@localhost", ["+1 555 222 2222"] = "carol@localhost" }) })
			local out = shell_ok(server, "jingle_sip:numbers()")
			assert.matches("%+15551234567%s+alice@localhost%s+%(config%)", out)
			assert.matches("%+15552222222%s+carol@localhost%s+%(config%)", out)
			assert.matches("OK: 2 numbers on phone.localhost", out)

			out = shell_ok(server, "jingle_sip:assign('+1 555 000 0000', 'Bob@localhost')")
			assert.matches("OK: %+15550000000 assigned to bob@localhost", out)
			shell_ok(server, "jingle_sip:unassign('+15552222222')")
			out = shell_ok(server, "jingle_sip:caller_id('alice@localhost', '+15551234567')")
			assert.matches("caller ID of alice@localhost: %+15551234567", out)

			-- Refusals are errors (non-zero exit) with a reason.
			local ok, err = server:shell("jingle_sip:caller_id('alice@localhost', '+15550000000')")
			assert.is_false(ok)
			assert.matches("alice@localhost does not own %+15550000000", err)
			ok, err = server:shell("jingle_sip:assign('15550000001', 'bob@localhost')")
			assert.is_false(ok)
			assert.matches("without a leading %+", err)
			ok, err = server:shell("jingle_sip:assign('+15550000001', 'localhost')")
			assert.is_false(ok)
			assert.matches("not a bare user JID", err)
			ok, err = server:shell("jingle_sip:unassign('+15559999999')")
			assert.is_false(ok)
			assert.matches("is not assigned", err)

			local stored, why = backend.check(server.dir)
			assert.is_true(stored, why)

			-- Restart on the same data with a changed config: alice's number now
			-- seeded for dave, carol's still seeded, a new number added.
			local dir = server.dir
			server:stop()
			server = prosody.start({ dir = dir, global = backend.global,
				extra = seeds({ ["+15551234567"] = "dave@localhost", ["+15552222222"] = "carol@localhost",
					["+15553333333"] = "erin@localhost" }) })
			out = shell_ok(server, "jingle_sip:numbers()")
			assert.matches("%+15551234567%s+dave@localhost%s+%(config%)", row(out, "+15551234567"),
				"a config-owned number follows the config")
			assert.matches("%+15552222222%s+%-%s+%(admin, config says carol@localhost%)", row(out, "+15552222222"),
				"the admin's unassignment stays")
			assert.matches("%+15550000000%s+bob@localhost%s+%(admin%)", row(out, "+15550000000"))
			assert.matches("%+15553333333%s+erin@localhost%s+%(config%)", row(out, "+15553333333"))
			assert.matches("caller ID of alice@localhost: none %(chose %+15551234567, no longer theirs%)", out)
			assert.truthy(server:log():find("+15552222222: the config says carol@localhost, an admin unassigned it;"
				.. " keeping the admin's choice", 1, true), "no warning about the disagreement")
		end)
	end)
end
