-- The module installed the ways operators install it (Prosody's own
-- `prosodyctl install`, luarocks, make install), then loaded by a real
-- Prosody from there (not from this checkout) and asked disco#info.
local prosody = require "spec.helpers.prosody"
local xmpp = require "spec.helpers.xmpp_client"
local st = require "util.stanza"

local repo = prosody.repo

local function run(cmd)
	local p = io.popen(cmd .. " 2>&1; echo \"exit=$?\"")
	local out = p:read("a")
	p:close()
	local code = tonumber(out:match("exit=(%d+)%s*$"))
	return code, out
end

local function run_out(cmd)
	local p = io.popen(cmd)
	local out = p:read("l")
	p:close()
	return out
end

local function exists(path)
	local f = io.open(path, "rb")
	if f then f:close() end
	return f ~= nil
end

local function as_prosody(cmd)
	if prosody.is_root then return "runuser -u prosody -- " .. cmd end
	return cmd
end

-- A Prosody config whose installer_plugin_path (where `prosodyctl install`
-- puts rocks) is DIR/rocks and whose plugin_paths are empty: the module
-- can only come from the installed rock.
local function installer_config(dir)
	local tree = dir .. "/rocks"
	local global = ("installer_plugin_path = %q"):format(tree)
	assert(run("mkdir -p " .. dir) == 0)
	local f = assert(io.open(dir .. "/global.cfg.lua", "w"))
	f:write(global, "\n")
	f:close()
	local code, out = run(("GLOBAL_EXTRA_FILE=%s/global.cfg.lua PLUGIN_PATHS='{ }'"
		.. " sh %s/scripts/prosody-config.sh %s %d %d")
		:format(dir, repo, dir, prosody.free_port(), prosody.free_port()))
	assert(code == 0, out)
	return dir .. "/prosody.cfg.lua", tree, global
end

-- Starts Prosody on the installed rock only, checks where the module was
-- loaded from and that the gateway answers disco#info as a gateway.
local function assert_loads_and_answers(dir, tree, global)
	local server = prosody.start({ dir = dir, plugin_paths = {}, global = global,
		users = { alice = "alice-secret" } })
	local client
	finally(function()
		if client then client:close() end
		server:stop()
	end)
	local moddir = tree .. "/share/lua/5.4/mod_jingle_sip"
	local line = server:wait_log("mod_jingle_sip [^\n]* loaded[^\n]*", 10)
	assert.is_not_nil(line, server:log())
	assert.truthy(line:find("from " .. moddir, 1, true), line)
	client = xmpp.connect({ host = "localhost", port = server.c2s_port, user = "alice", password = "alice-secret" })
	local reply = client:iq(st.iq({ type = "get", to = "phone.localhost", id = "disco1" })
		:tag("query", { xmlns = "http://jabber.org/protocol/disco#info" }))
	assert.is_not_nil(reply, "no disco#info reply from phone.localhost")
	assert.equal("result", reply.attr.type, tostring(reply))
	local identity = reply:get_child("query", "http://jabber.org/protocol/disco#info"):get_child("identity")
	assert.is_not_nil(identity, tostring(reply))
	assert.equal("gateway", identity.attr.category, tostring(reply))
	assert.equal("pstn", identity.attr.type, tostring(reply))
end

-- `prosodyctl remove` takes the rock out of the tree again (the tree is the
-- prosody user's, as the README asks).
local function assert_removes(config, tree)
	local code, out = run(as_prosody(("prosodyctl --config %s remove mod_jingle_sip"):format(config)))
	assert.equal(0, code, out)
	assert.is_false(exists(tree .. "/share/lua/5.4/mod_jingle_sip/mod_jingle_sip.lua"), out)
end

describe("packaging #lua54", function()
	local base = repo .. "/build/spec-packaging"

	setup(function() run("rm -rf " .. base .. " && mkdir -p " .. base) end)

	it("should pass luarocks lint", function()
		local code, out = run("luarocks --lua-version=5.4 lint " .. repo .. "/rockspec/mod_jingle_sip-scm-1.rockspec")
		assert.equal(0, code, out)
	end)

	-- make dist in a fresh checkout (the tracked files as they are in this
	-- worktree, in a git repository of their own, built by nobody yet); the
	-- rocks are then moved away from it and the checkout deleted: they carry
	-- everything. Built once for the tests below.
	local rocks
	local function dist_rocks()
		if rocks then return rocks end
		local checkout = base .. "/checkout"
		local code, out = run(("mkdir -p %s && cd %s && git ls-files -z | tar --null -T - -cf - | tar -xf - -C %s"
			.. " && cd %s && git init -q && git add -A"):format(checkout, repo, checkout, checkout))
		assert.equal(0, code, out)
		code, out = run(("cd %s && make -s dist"):format(checkout))
		assert.equal(0, code, out)
		local arch = run_out("luarocks --lua-version=5.4 config arch")
		rocks = { src = base .. "/elsewhere/mod_jingle_sip-scm-1.src.rock",
			bin = base .. "/elsewhere/mod_jingle_sip-scm-1." .. arch .. ".rock" }
		code, out = run(("mkdir -p %s/elsewhere && cp %s/build/dist/*.rock %s/elsewhere/ && rm -rf %s")
			:format(base, checkout, base, checkout))
		assert.equal(0, code, out)
		assert.is_true(exists(rocks.src), "no source rock")
		assert.is_true(exists(rocks.bin), "no binary rock for " .. arch)
		return rocks
	end

	-- prosodyctl install ROCK into a fresh server directory's tree, from /,
	-- then Prosody loads it from there and answers; prosodyctl remove.
	local function assert_prosodyctl_installs(rock, name)
		local dir = base .. "/server-" .. name
		local config, tree, global = installer_config(dir)
		if prosody.is_root then assert(run("chown -R prosody:prosody " .. base) == 0) end
		local code, out = run("cd / && " .. as_prosody(("prosodyctl --config %s install %s"):format(config, rock)))
		assert.equal(0, code, out)
		assert.truthy(out:find("mod_jingle_sip scm-1 is now installed in " .. tree, 1, true), out)
		assert_loads_and_answers(dir, tree, global)
		assert_removes(config, tree)
		return out
	end

	it("should install the .src.rock of make dist in a fresh checkout with prosodyctl install", function()
		local out = assert_prosodyctl_installs(dist_rocks().src, "src")
		assert.truthy(out:find("callrelay_core.so", 1, true), "the source rock was not built:\n" .. out)
	end)

	it("should install the binary rock of make dist with prosodyctl install, building nothing", function()
		local out = assert_prosodyctl_installs(dist_rocks().bin, "bin")
		-- Nothing compiled: a host without the build packages can take it.
		assert.falsy(out:find("\nCC ", 1, true), out)
		assert.falsy(out:find("callrelay_core.so", 1, true), out)
	end)

	it("should need the tree given to the prosody user for prosodyctl remove after an install as root", function()
		assert.is_true(prosody.is_root, "this spec runs as root, as the test suite does")
		local dir = base .. "/server-root"
		local config, tree = installer_config(dir)
		-- --root: prosodyctl stays root, so luarocks writes the tree as root.
		local code, out = run(("cd / && prosodyctl --config %s --root install %s"):format(config, dist_rocks().bin))
		assert.equal(0, code, out)
		assert(run("chown prosody:prosody " .. dir .. "/prosody.log") == 0)
		code, out = run(("prosodyctl --config %s remove mod_jingle_sip"):format(config))
		assert.are_not.equal(0, code, out)
		assert.is_true(exists(tree .. "/share/lua/5.4/mod_jingle_sip/mod_jingle_sip.lua"), out)
		-- As the README says: give the tree to the prosody user.
		assert(run("chown -R prosody:prosody " .. tree) == 0)
		assert_removes(config, tree)
	end)

	it("should refuse to build for a Lua other than 5.4, which the C binding is built for", function()
		local code, out = run(("cd %s && luarocks --lua-version=5.1 make --tree=%s/lua51"
			.. " rockspec/mod_jingle_sip-scm-1.rockspec")
			:format(repo, base))
		assert.are_not.equal(0, code, out)
		assert.truthy(out:find("depends on lua >= 5.4, < 5.5", 1, true), out)
		assert.is_false(exists(base .. "/lua51/share/lua/5.1/mod_jingle_sip/mod_jingle_sip.lua"), out)
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
