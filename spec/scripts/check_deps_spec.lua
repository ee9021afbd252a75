-- scripts/check-deps: the lint step that keeps every program the build, the
-- tests and `make run` execute attributed to a package listed in deps/.
-- Runs the real script against copies of deps/ with one fact removed.

local function run(cmd)
	local p = assert(io.popen(cmd .. " 2>&1; echo \"exit=$?\""))
	local out = p:read("a")
	p:close()
	local code = tonumber(out:match("exit=(%d+)%s*$"))
	return code, out
end

local function copy_deps(edit_sed)
	local dir = os.tmpname()
	os.remove(dir)
	assert(os.execute(("mkdir -p %s && cp deps/*.txt %s/"):format(dir, dir)))
	if edit_sed then
		assert(os.execute(("sed -i %s %s/*.txt"):format(edit_sed, dir)))
	end
	return dir
end

describe("scripts/check-deps", function()
	it("passes on the repository's own deps/", function()
		local code, out = run("scripts/check-deps")
		assert.are.equal(0, code, out)
		assert.matches("all from packages in deps/", out)
	end)

	it("fails naming the program and its package when a test's tool is not listed", function()
		-- The case that once made main red on a fresh machine: a browser test
		-- spawns dumpcap, which only a hand-installed package provided.
		local dir = copy_deps("'/^wireshark-common$/d'")
		local code, out = run("CHECK_DEPS_DIR=" .. dir .. " scripts/check-deps")
		os.execute("rm -rf " .. dir)
		assert.are_not.equal(0, code, out)
		assert.matches("dumpcap comes from package wireshark%-common, which deps/ does not list", out)
	end)

	it("fails when a spawned program is missing from deps/programs.txt", function()
		local dir = copy_deps("'/^sipp$/d'")
		local code, out = run("CHECK_DEPS_DIR=" .. dir .. " scripts/check-deps")
		os.execute("rm -rf " .. dir)
		assert.are_not.equal(0, code, out)
		assert.matches("sipp is executed %(.-%) but not declared in deps/programs.txt", out)
	end)

	it("fails when a library the module links is not a runtime package", function()
		local f = io.open("build/lib/libcallrelay.so", "rb")
		assert.is_not_nil(f, "build the module first (make)")
		f:close()
		local dir = copy_deps("'/^libsofia-sip-ua-glib3$/d'")
		local code, out = run("CHECK_DEPS_DIR=" .. dir .. " scripts/check-deps")
		os.execute("rm -rf " .. dir)
		assert.are_not.equal(0, code, out)
		assert.matches("the module links libsofia%-sip%-ua%-glib%.so%.3 from package libsofia%-sip%-ua%-glib3", out)
	end)
end)
