-- Number ownership rules (plugin/jingle_sip/ownership.lua) over an in-memory
-- keyval store with the storage API's shape; the real stores are exercised
-- in ownership_store_spec.lua.
local ownership = require "jingle_sip.ownership"

local function memory_store()
	local data = {}
	local store = { data = data }
	function store:get(key) return data[key] end -- luacheck: ignore 212/self
	function store:set(key, value) data[key] = value; return true end -- luacheck: ignore 212/self
	function store:users() -- luacheck: ignore 212/self
		local keys = {}
		for k in pairs(data) do keys[#keys + 1] = k end
		local i = 0
		return function() i = i + 1; return keys[i] end
	end
	return store
end

describe("jingle_sip.ownership", function()
	local numbers_store, caller_ids_store, dir

	before_each(function()
		numbers_store, caller_ids_store = memory_store(), memory_store()
		dir = ownership.new(numbers_store, caller_ids_store)
	end)

	local function reload(seeds)
		dir = ownership.new(numbers_store, caller_ids_store)
		return assert(dir:load(seeds))
	end

	it("should seed numbers from the config and store them", function()
		local notes = reload({ ["+15551234567"] = "alice@example.net" })
		assert.same({ "+15551234567 assigned to alice@example.net from the config" }, notes)
		assert.equal("alice@example.net", dir:owner("+15551234567"))
		assert.same({ owner = "alice@example.net", set_by = "config" }, numbers_store.data["+15551234567"])
	end)

	it("should move and drop config-owned numbers when the config changes", function()
		reload({ ["+15551234567"] = "alice@example.net", ["+15552222222"] = "carol@example.net" })
		local notes = reload({ ["+15551234567"] = "dave@example.net" })
		assert.same({ "+15551234567 moved from alice@example.net to dave@example.net by the config",
			"+15552222222 unassigned: no longer in the config" }, notes)
		assert.equal("dave@example.net", dir:owner("+15551234567"))
		assert.is_nil(dir:owner("+15552222222"))
		assert.is_nil(numbers_store.data["+15552222222"])
	end)

	it("should read a number and a caller ID through to the store before a call uses them", function()
		reload({})
		-- Another node sharing the stores assigns, moves and chooses.
		local other = ownership.new(numbers_store, caller_ids_store)
		assert(other:load({}))
		assert.is_true(other:assign("+15551234567", "alice@example.net"))
		assert.is_true(other:assign("+15552222222", "alice@example.net"))
		assert.is_true(other:set_caller_id("alice@example.net", "+15552222222"))
		assert.is_nil(dir:owner("+15551234567")) -- the copy from the load
		assert.is_true(dir:refresh_number("+15551234567"))
		assert.equal("alice@example.net", dir:owner("+15551234567"))
		assert.is_true(dir:refresh_caller_id("alice@example.net"))
		assert.equal("+15552222222", dir:caller_id("alice@example.net"))
		assert.is_true(other:unassign("+15551234567"))
		assert.is_true(dir:refresh_number("+15551234567"))
		assert.is_nil(dir:owner("+15551234567"))
		-- Not a number: nothing to read.
		assert.is_true(dir:refresh_number("junk"))
	end)

	it("should keep the copy in memory when the store fails on a read-through", function()
		reload({ ["+15551234567"] = "alice@example.net" })
		assert.is_true(dir:set_caller_id("alice@example.net", "+15551234567"))
		function numbers_store:get() return nil, "connection refused" end -- luacheck: ignore 212/self
		function caller_ids_store:get() return nil, "connection refused" end -- luacheck: ignore 212/self
		local ok, err = dir:refresh_number("+15551234567")
		assert.is_nil(ok)
		assert.equal("connection refused", err)
		assert.equal("alice@example.net", dir:owner("+15551234567"))
		assert.is_nil((dir:refresh_caller_id("alice@example.net")))
		assert.equal("+15551234567", dir:caller_id("alice@example.net"))
	end)

	it("should keep admin assignments and unassignments over the config", function()
		reload({ ["+15551234567"] = "alice@example.net", ["+15552222222"] = "carol@example.net" })
		assert.is_true(dir:assign("+15551234567", "bob@example.net"))
		assert.is_true(dir:unassign("+15552222222"))
		local notes = reload({ ["+15551234567"] = "alice@example.net", ["+15552222222"] = "carol@example.net" })
		assert.equal(2, #notes)
		assert.matches("keeping the admin's choice", notes[1])
		assert.equal("bob@example.net", dir:owner("+15551234567"))
		assert.is_nil(dir:owner("+15552222222"))
	end)

	it("should delete an admin-unassigned number the config does not list", function()
		reload({})
		dir:assign("+15550000000", "bob@example.net")
		assert.is_true(dir:unassign("+15550000000"))
		assert.is_nil(numbers_store.data["+15550000000"])
		local ok, err = dir:unassign("+15550000000")
		assert.is_nil(ok)
		assert.matches("is not assigned", err)
	end)

	it("should pick the caller ID: chosen and owned, else lowest number, else none", function()
		reload({ ["+15559999999"] = "alice@example.net", ["+15551111111"] = "alice@example.net" })
		assert.equal("+15551111111", dir:caller_id("alice@example.net"))
		assert.is_true(dir:set_caller_id("alice@example.net", "+15559999999"))
		assert.equal("+15559999999", dir:caller_id("alice@example.net"))
		local ok, err = dir:set_caller_id("alice@example.net", "+15550000000")
		assert.is_nil(ok)
		assert.matches("does not own", err)
		dir:assign("+15559999999", "bob@example.net")
		assert.equal("+15551111111", dir:caller_id("alice@example.net"), "chosen number no longer owned")
		assert.is_nil(dir:caller_id("carol@example.net"))
		assert.same({ "+15551111111" }, dir:numbers_of("alice@example.net"))
	end)

	it("should report a storage failure instead of raising", function()
		numbers_store.users = function() error("database is locked") end
		local notes, err = dir:load({})
		assert.is_nil(notes)
		assert.matches("database is locked", err)
		numbers_store.users = memory_store().users
		numbers_store.set = function() return nil, "disk full" end
		local ok, serr = dir:assign("+15551234567", "a@example.net")
		assert.is_nil(ok)
		assert.matches("disk full", serr)
	end)

	it("should ignore stored records that are not numbers", function()
		numbers_store.data["not-a-number"] = { owner = "x@example.net", set_by = "admin" }
		reload({})
		assert.same({}, dir:list())
	end)
end)
