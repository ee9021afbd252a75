-- scripts/check-doc-refs.sh (run by `make lint`): a citation of a document
-- outside the repository, or of an interop item without docs/, fails the
-- lint with file and line; citations into docs/ with a real anchor pass.
local prosody = require "spec.helpers.prosody"

local repo = prosody.repo

local function run(cmd)
	local p = io.popen(cmd .. " 2>&1; echo \"exit=$?\"")
	local out = p:read("a")
	p:close()
	return tonumber(out:match("exit=(%d+)%s*$")), out
end

local function write(path, text)
	local f = assert(io.open(path, "w"))
	f:write(text)
	f:close()
end

-- A tiny repository: the check script, docs/INTEROP.md with item 3 and one
-- source file with the given text, tracked by git.
local function scratch_repo(name, source)
	local dir = ("%s/build/spec-lint/%s-%d"):format(repo, name, os.time())
	assert(run(("rm -rf %s && mkdir -p %s/scripts %s/docs %s/src"):format(dir, dir, dir, dir)) == 0)
	assert(run(("cp %s/scripts/check-doc-refs.sh %s/scripts/"):format(repo, dir)) == 0)
	write(dir .. "/docs/INTEROP.md", '# Interop\n\n<a id="3"></a>\n### 3. Real trickle\n')
	write(dir .. "/src/ice.c", source)
	assert(run(("cd %s && git init -q && git add -A"):format(dir)) == 0)
	return dir
end

describe("scripts/check-doc-refs.sh", function()
	it("should pass on this repository", function()
		local code, out = run("sh " .. repo .. "/scripts/check-doc-refs.sh")
		assert.equal(0, code, out)
	end)

	it("should pass citations into docs/ whose anchor exists", function()
		local dir = scratch_repo("good", "/* Early candidates wait (docs/INTEROP.md#3). */\n")
		local code, out = run("sh " .. dir .. "/scripts/check-doc-refs.sh")
		assert.equal(0, code, out)
	end)

	it("should fail on each kind of citation outside the repository, naming file and line", function()
		-- Split so that this spec does not trip the check it tests.
		local bad = table.concat({
			"/* fine: docs/INTEROP.md#3 */",
			"/* bare: INTE" .. "ROP 3 */",
			"/* item: INTE" .. "ROP item 3 */",
			"/* file: INTE" .. "ROP.md item 3 */",
			"/* guide: see " .. "../" .. "shared/guide */",
			"/* facts: " .. "FACTS" .. ".md */",
			"/* anchor: docs/INTEROP.md#" .. "99 */",
			"",
		}, "\n")
		local dir = scratch_repo("bad", bad)
		local code, out = run("sh " .. dir .. "/scripts/check-doc-refs.sh")
		assert.equal(1, code, out)
		for line = 2, 7 do
			assert.truthy(out:find("src/ice.c:" .. line .. ":", 1, true), "line " .. line .. " not reported:\n" .. out)
		end
		assert.falsy(out:find("src/ice.c:1:", 1, true), out)
	end)
end)
