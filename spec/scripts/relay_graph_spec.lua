-- scripts/relay-graph.lua: the lint step that keeps relay/src layered (no
-- cycle of calls between files outside the media packet loop and the SIP
-- UA<->dialog pair). Runs the real script on the built objects, and on
-- small trees compiled here with one cycle each.

local function run(cmd)
	local p = assert(io.popen(cmd .. " 2>&1; echo \"exit=$?\""))
	local out = p:read("a")
	p:close()
	return tonumber(out:match("exit=(%d+)%s*$")), out
end

local script = io.popen("pwd"):read("l") .. "/scripts/relay-graph.lua"

-- files: { ["a"] = "source", ["media/forward"] = "source", ... }
local function tree(files)
	local dir = os.tmpname()
	os.remove(dir)
	for name, source in pairs(files) do
		local sub = name:match("^(.*)/") or ""
		assert(os.execute(("mkdir -p %s/relay/src/%s %s/obj/relay/src/%s"):format(dir, sub, dir, sub)))
		local f = assert(io.open(("%s/relay/src/%s.c"):format(dir, name), "w"))
		f:write(source)
		f:close()
		assert(os.execute(("cc -c -o %s/obj/relay/src/%s.o %s/relay/src/%s.c"):format(dir, name, dir, name)))
	end
	return dir
end

describe("scripts/relay-graph.lua", function()
	it("passes on the relay's own objects", function()
		local f = io.open("build/obj/relay/src/relay.o", "rb")
		assert.is_not_nil(f, "build the relay first (make)")
		f:close()
		local code, out = run("lua5.4 scripts/relay-graph.lua build/obj")
		assert.are.equal(0, code, out)
		assert.matches("no cycle outside", out)
	end)

	it("fails naming the files of a cycle between layers", function()
		-- error.c (layer 1) calling up into call.c, which calls it.
		local dir = tree({
			["error"] = "int call_id(void);\nint err(void) { return call_id(); }\n",
			["call"] = "int err(void);\nint call_id(void) { return err() + 1; }\n",
			["rtp"] = "int rtp(void) { return 0; }\n",
		})
		local code, out = run(("cd %s && lua5.4 %s obj"):format(dir, script))
		os.execute("rm -rf " .. dir)
		assert.are_not.equal(0, code, out)
		assert.matches("cycle between call error", out)
	end)

	it("allows the media packet loop and SIP UA<->dialog, and only those", function()
		local files = {
			["media/forward"] = "int ice_send(void);\nint fwd(void) { return ice_send(); }\n",
			["media/ice"] = "int fwd(void);\nint ice_send(void) { return fwd(); }\n",
			["sip/sip_ua"] = "int dlg(void);\nint ua(void) { return dlg(); }\n",
			["sip/sip_dialog"] = "int ua(void);\nint dlg(void) { return ua(); }\n",
		}
		local dir = tree(files)
		local code, out = run(("cd %s && lua5.4 %s obj"):format(dir, script))
		os.execute("rm -rf " .. dir)
		assert.are.equal(0, code, out)
		-- The same loop reaching a third file is no longer the packet loop.
		files["media/ice"] = "int fwd(void);\nint sdp(void);\nint ice_send(void) { return fwd() + sdp(); }\n"
		files["sip/sip_sdp"] = "int fwd(void);\nint sdp(void) { return fwd(); }\n"
		dir = tree(files)
		code, out = run(("cd %s && lua5.4 %s obj"):format(dir, script))
		os.execute("rm -rf " .. dir)
		assert.are_not.equal(0, code, out)
		assert.matches("cycle between media/forward media/ice sip/sip_sdp", out)
	end)
end)
