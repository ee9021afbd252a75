-- The module installed the two ways operators install it, then loaded by a
-- real Prosody from there (not from this checkout).
local prosody = require "spec.helpers.prosody"

local repo = prosody.repo

local function run(cmd)
	local p = io.popen(cmd .. " 2>&1; echo \"exit=$?\"")
	local out = p:read("a")
	p:close()
	local code = tonumber(out:match("exit=(%d+)%s*$"))
	return code, out
end

local function exists(path)
	local f = io.open(path, "rb")
	if f then f:close() end
	return f ~= nil
end

describe("packaging #lua54", function()
	local base = repo .. "/build/spec-packaging"

	setup(function() run("rm -rf " .. base .. " && mkdir -p " .. base) end)

	it("should pass luarocks lint", function()
		local code, out = run("luarocks --lua-version=5.4 lint " .. repo .. "/rockspec/mod_jingle_sip-scm-1.rockspec")
		assert.equal(0, code, out)
	end)

	it("should install with luarocks into a tree that Prosody loads it from", function()
		local tree = base .. "/rocks"
		local code, out = run(("cd %s && luarocks --lua-version=5.4 make --tree=%s rockspec/mod_jingle_sip-scm-1.rockspec")
			:format(repo, tree))
		assert.equal(0, code, out)
		local moddir = tree .. "/share/lua/5.4/mod_jingle_sip"
		for _, f in ipairs({ "mod_jingle_sip.lua", "callrelay.lua", "callrelay/cdef.lua",
			"jingle_sip/version.lua", "lib/libcallrelay.so", "lib/callrelay_core.so" }) do
			assert.is_true(exists(moddir .. "/" .. f), "not installed: " .. f)
		end
		-- As `prosodyctl install` sets it up: the tree is installer_plugin_path.
		local server = prosody.start({ plugin_paths = {}, global = ("installer_plugin_path = %q"):format(tree) })
		local line = server:wait_log("mod_jingle_sip [^\n]* loaded[^\n]*", 10)
		local log = server:log()
		server:stop()
		assert.is_not_nil(line, log)
		assert.truthy(line:find("from " .. moddir, 1, true), line)
	end)

	it("should install with make install DESTDIR= PREFIX= where plugin_paths finds it", function()
		local dest = base .. "/destdir"
		local code, out = run(("cd %s && make -s install DESTDIR=%s PREFIX=/usr"):format(repo, dest))
		assert.equal(0, code, out)
		local modules = dest .. "/usr/lib/prosody/modules"
		assert.is_true(exists(modules .. "/mod_jingle_sip/mod_jingle_sip.lua"))
		local server = prosody.start({ plugin_paths = { modules } })
		local line = server:wait_log("mod_jingle_sip [^\n]* loaded[^\n]*", 10)
		local log = server:log()
		server:stop()
		assert.is_not_nil(line, log)
		assert.truthy(line:find("from " .. modules .. "/mod_jingle_sip", 1, true), line)
	end)
end)
