-- Number ownership and caller ID, kept in Prosody's storage API so it works
-- with every storage backend (internal files, SQL). The caller opens two
-- keyval stores (module:open_store) and passes them in; this file holds no
-- other state than an in-memory copy of them for lookups on every call.
--
--   numbers store, key = "+E.164":  { owner = "user@domain", set_by = "config" | "admin" }
--                                   (no owner: an admin unassigned a number the config lists)
--   caller_ids store, key = bare JID: { number = "+E.164" }
--
-- Calls read through: refresh_number() and refresh_caller_id() re-read one
-- record before each call uses it, so gateway nodes sharing the stores
-- (docs/DEPLOY.md) see each other's admin changes at once; the rest (lists,
-- the fallback caller ID) is the copy from the last load.
--
-- Seeds from the config (jingle_sip_numbers) and admin changes (shell):
-- a record the config wrote follows the config at every load (new owner
-- applied, number dropped when the config drops it); once an admin assigns
-- or unassigns a number, that record is the admin's and the config no
-- longer changes it (load() reports the disagreement).
local numbers = require "jingle_sip.numbers"

local M = {}

local Directory = {}
Directory.__index = Directory

--- A directory over two keyval stores (get(key), set(key, data), users()).
function M.new(numbers_store, caller_ids_store)
	return setmetatable({
		numbers_store = numbers_store, caller_ids_store = caller_ids_store,
		records = {}, caller_ids = {}, seeds = {},
	}, Directory)
end

local function keys(store)
	local list = {}
	for key in store:users() do list[#list + 1] = key end
	return list
end

local function read_all(store)
	local out = {}
	local ok, list = pcall(keys, store)
	if not ok then return nil, tostring(list) end
	for _, key in ipairs(list) do
		local data, err = store:get(key)
		if data == nil and err then return nil, err end
		out[key] = data
	end
	return out
end

--- Reads the stores and applies the config seeds { [number] = bare JID }.
-- Returns a list of notes (one line each: what changed, what disagreed),
-- or nil, error when storage fails.
function Directory:load(seeds)
	local records, err = read_all(self.numbers_store)
	if not records then return nil, "cannot read numbers: " .. tostring(err) end
	local caller_ids, err2 = read_all(self.caller_ids_store)
	if not caller_ids then return nil, "cannot read caller IDs: " .. tostring(err2) end
	self.records, self.seeds = {}, seeds or {}
	for number, record in pairs(records) do
		if numbers.parse(number) and type(record) == "table" then self.records[number] = record end
	end
	self.caller_ids = {}
	for owner, record in pairs(caller_ids) do
		if type(record) == "table" and record.number then self.caller_ids[owner] = record.number end
	end

	local notes = {}
	local function write(number, record, note)
		local ok, werr = self.numbers_store:set(number, record)
		if not ok then
			notes[#notes + 1] = ("%s: cannot store (%s)"):format(number, tostring(werr))
			return
		end
		self.records[number] = record
		notes[#notes + 1] = note
	end
	for number, owner in pairs(self.seeds) do
		local record = self.records[number]
		if not record then
			write(number, { owner = owner, set_by = "config" }, ("%s assigned to %s from the config"):format(number, owner))
		elseif record.set_by == "config" and record.owner ~= owner then
			write(number, { owner = owner, set_by = "config" }, ("%s moved from %s to %s by the config")
				:format(number, tostring(record.owner), owner))
		elseif record.set_by ~= "config" and record.owner ~= owner then
			notes[#notes + 1] = ("%s: the config says %s, an admin %s; keeping the admin's choice")
				:format(number, owner, record.owner and ("assigned it to " .. record.owner) or "unassigned it")
		end
	end
	for number, record in pairs(self.records) do
		if record.set_by == "config" and not self.seeds[number] then
			local ok, werr = self.numbers_store:set(number, nil)
			if ok then
				self.records[number] = nil
				notes[#notes + 1] = ("%s unassigned: no longer in the config"):format(number)
			else
				notes[#notes + 1] = ("%s: cannot remove (%s)"):format(number, tostring(werr))
			end
		end
	end
	table.sort(notes)
	return notes
end

--- Re-reads one number's record from the store (a call is about to use it).
-- Returns true, or nil and the storage error (the copy in memory stays).
function Directory:refresh_number(number)
	if not numbers.parse(number) then return true end
	local data, err = self.numbers_store:get(number)
	if data == nil and err then return nil, tostring(err) end
	self.records[number] = type(data) == "table" and data or nil
	return true
end

--- Re-reads a bare JID's chosen caller ID and that number's record.
-- Returns true, or nil and the storage error (the copy in memory stays).
function Directory:refresh_caller_id(owner)
	local data, err = self.caller_ids_store:get(owner)
	if data == nil and err then return nil, tostring(err) end
	local chosen = type(data) == "table" and data.number or nil
	self.caller_ids[owner] = chosen
	if chosen then return self:refresh_number(chosen) end
	return true
end

--- The bare JID owning a number, or nil.
function Directory:owner(number)
	local record = self.records[number]
	return record and record.owner or nil
end

--- The sorted numbers a bare JID owns.
function Directory:numbers_of(owner)
	local list = {}
	for number, record in pairs(self.records) do
		if record.owner == owner then list[#list + 1] = number end
	end
	table.sort(list)
	return list
end

--- Every number record, sorted: { number, owner (or nil), set_by, seed (config's owner or nil) }.
function Directory:list()
	local list = {}
	for number, record in pairs(self.records) do
		list[#list + 1] = { number = number, owner = record.owner, set_by = record.set_by, seed = self.seeds[number] }
	end
	table.sort(list, function(a, b) return a.number < b.number end)
	return list
end

--- Gives a number to a bare JID (an admin change). Returns true or nil, error.
function Directory:assign(number, owner)
	local ok, err = self.numbers_store:set(number, { owner = owner, set_by = "admin" })
	if not ok then return nil, "storage error: " .. tostring(err) end
	self.records[number] = { owner = owner, set_by = "admin" }
	-- The module asks a new owner to share their presence (jingle_sip.presence_book).
	if self.on_assigned then self.on_assigned(number, owner) end
	return true
end

--- Takes a number away (an admin change). A number the config lists keeps a
-- record without owner, so the next load does not give it back.
-- Returns true or nil, error.
function Directory:unassign(number)
	if not self.records[number] then return nil, number .. " is not assigned" end
	local record = self.seeds[number] and { set_by = "admin" } or nil
	local ok, err = self.numbers_store:set(number, record)
	if not ok then return nil, "storage error: " .. tostring(err) end
	self.records[number] = record
	return true
end

--- Sets (number) or clears (nil) the caller ID of a bare JID; the number
-- must be one they own. Returns true or nil, error.
function Directory:set_caller_id(owner, number)
	if number ~= nil and self:owner(number) ~= owner then
		return nil, ("%s does not own %s"):format(owner, number)
	end
	local ok, err = self.caller_ids_store:set(owner, number and { number = number } or nil)
	if not ok then return nil, "storage error: " .. tostring(err) end
	self.caller_ids[owner] = number
	return true
end

--- The caller ID of a bare JID: the chosen number while they still own it,
-- else their lowest number, else nil (the trunk's default).
function Directory:caller_id(owner)
	local chosen = self.caller_ids[owner]
	if chosen and self:owner(chosen) == owner then return chosen end
	return self:numbers_of(owner)[1]
end

--- Bare JIDs with a chosen caller ID, sorted, with it: { jid, number }.
function Directory:caller_id_list()
	local list = {}
	for owner, number in pairs(self.caller_ids) do list[#list + 1] = { jid = owner, number = number } end
	table.sort(list, function(a, b) return a.jid < b.jid end)
	return list
end

return M
