-- Admin shell commands (plugin/jingle_sip/shell.lua) with several components:
-- which component a command means, and input checks before storage.
local shell = require "jingle_sip.shell"

local function fake_directory()
	local d = { assigned = {} }
	function d:assign(number, owner) self.assigned[number] = owner; return true end
	function d:list() return {} end -- luacheck: ignore 212/self
	function d:caller_id_list() return {} end -- luacheck: ignore 212/self
	return d
end

describe("jingle_sip.shell #lua54", function()
	local env, components, cmds, printed

	before_each(function()
		env, components, printed = {}, {}, {}
		cmds = shell.install(env, components)
		cmds.session = { print = function(line) printed[#printed + 1] = line end }
	end)

	it("should say when no component is loaded", function()
		local ok, err = cmds:numbers()
		assert.is_nil(ok)
		assert.equal("no jingle_sip component is loaded", err)
	end)

	it("should use the only component, and ask which one when there are several", function()
		components["phone.a.example"] = { host = "phone.a.example", directory = fake_directory() }
		assert.is_true((cmds:assign("+15551234567", "alice@a.example")))
		assert.equal("alice@a.example", components["phone.a.example"].directory.assigned["+15551234567"])
		components["phone.b.example"] = { host = "phone.b.example", directory = fake_directory() }
		local ok, err = cmds:assign("+15551234567", "alice@a.example")
		assert.is_nil(ok)
		assert.equal("several jingle_sip components are loaded, name one: phone.a.example, phone.b.example", err)
		assert.is_true((cmds:assign("+15557654321", "bob@b.example", "phone.b.example")))
		ok, err = cmds:numbers("phone.c.example")
		assert.is_nil(ok)
		assert.equal("no jingle_sip component on phone.c.example", err)
	end)

	it("should check numbers and JIDs before touching storage", function()
		components["phone.a.example"] = { host = "phone.a.example", directory = fake_directory() }
		for _, args in ipairs({ { "5551234567", "alice@a.example" }, { "+15551234567", "a.example" },
			{ "+15551234567", "alice@a.example/phone" }, { "+15551234567", nil } }) do
			local ok, err = cmds:assign(args[1], args[2])
			assert.is_nil(ok)
			assert.is_string(err)
		end
		assert.same({}, components["phone.a.example"].directory.assigned)
	end)

	it("should print the status details and fail (for prosodyctl's exit status) only on an error", function()
		local level
		components["phone.a.example"] = { host = "phone.a.example",
			status = function() return level, "summary of " .. level, { "detail 1", "detail 2" } end }
		for _, case in ipairs({ { "ok", true }, { "warn", true }, { "error", false } }) do
			level, printed = case[1], {}
			cmds.session = { print = function(line) printed[#printed + 1] = line end }
			local ok, message = cmds:status()
			assert.equal(case[2], ok, level)
			assert.equal("summary of " .. level, message)
			assert.same({ "detail 1", "detail 2" }, printed)
		end
	end)

	it("should remove itself when the last component unloads", function()
		components["phone.a.example"] = { host = "phone.a.example" }
		shell.uninstall(env, components)
		assert.is_table(env.jingle_sip)
		components["phone.a.example"] = nil
		shell.uninstall(env, components)
		assert.is_nil(env.jingle_sip)
	end)
end)
