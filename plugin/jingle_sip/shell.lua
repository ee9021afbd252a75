-- Admin shell commands (prosodyctl shell). Prosody 0.12 has no registry of
-- shell commands (0.13's "shell-command" items); modules add an object to
-- mod_admin_shell's shared environment, as 0.12's mod_invites does. Every
-- jingle_sip component registers itself in `components` (host -> instance);
-- the commands look it up when they run, so a reload never leaves a stale
-- reference behind.
--
-- An instance: { host, directory (jingle_sip.ownership), status() -> level
-- ("ok" | "warn" | "error"), summary, detail lines (jingle_sip.health) }.
--
-- A command that fails returns nil/false and a message: Prosody 0.12's
-- admin shell then answers "! Error: message" and `prosodyctl shell` exits
-- non-zero, which is what a script checks.
local numbers = require "jingle_sip.numbers"
local jid = require "util.jid"

local M = {}

local function pick(components, host)
	if host ~= nil then
		local c = components[host]
		if not c then return nil, ("no jingle_sip component on %s"):format(tostring(host)) end
		return c
	end
	local only, hosts = nil, {}
	for h, c in pairs(components) do
		only = c
		hosts[#hosts + 1] = h
	end
	if #hosts == 1 then return only end
	if #hosts == 0 then return nil, "no jingle_sip component is loaded" end
	table.sort(hosts)
	return nil, "several jingle_sip components are loaded, name one: " .. table.concat(hosts, ", ")
end

local function bare_user(s)
	local prepped = type(s) == "string" and jid.prep(s)
	local node, _, resource = jid.split(prepped or "")
	if not prepped or not node or resource then
		return nil, ("%s is not a bare user JID (user@domain)"):format(tostring(s))
	end
	return prepped
end

--- Adds the `jingle_sip` object to the shell environment `env`.
function M.install(env, components)
	-- luacheck: ignore 212/self
	local cmds = {}
	env.jingle_sip = cmds

	-- Calls in progress, then recently ended ones: who, number, direction,
	-- state, duration, the relay's media path with each leg's codec,
	-- selected ICE pair, packets each way.
	function cmds:calls(host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		if not c.calls then return nil, "calls are not running on " .. c.host end
		local print = self.session.print
		local lines = c.calls()
		print(("%-10s %-8s %-30s %-16s %-9s %7s %-48s %s"):format("id", "dir", "peer", "number", "state",
			"time", "media path and codecs", "pair and packets"))
		for _, line in ipairs(lines) do print(line) end
		return true, ("%d call%s on %s (jingle_sip:trace(id) shows one)"):format(#lines,
			#lines == 1 and "" or "s", c.host)
	end

	-- One call's whole story in time order: Jingle, ICE, DTLS, SIP.
	function cmds:trace(id, host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		if not c.trace then return nil, "calls are not running on " .. c.host end
		local lines, terr = c.trace(id)
		if not lines then return nil, terr end
		local print = self.session.print
		for _, line in ipairs(lines) do print(line) end
		return true, ("%d lines"):format(#lines)
	end

	function cmds:numbers(host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		local print = self.session.print
		local list = c.directory:list()
		for _, r in ipairs(list) do
			local note = r.set_by
			if r.seed and r.seed ~= r.owner then note = note .. ", config says " .. r.seed end
			print(("%-16s %-32s (%s)"):format(r.number, r.owner or "-", note))
		end
		for _, r in ipairs(c.directory:caller_id_list()) do
			local effective = c.directory:caller_id(r.jid)
			print(("caller ID of %s: %s%s"):format(r.jid, effective or "none",
				effective ~= r.number and (" (chose %s, no longer theirs)"):format(r.number) or ""))
		end
		return true, ("%d number%s on %s"):format(#list, #list == 1 and "" or "s", c.host)
	end

	function cmds:assign(number, owner, host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		local n, _, text = numbers.normalize(number)
		if not n then return nil, text end
		local bare, jerr = bare_user(owner)
		if not bare then return nil, jerr end
		local ok, serr = c.directory:assign(n, bare)
		if not ok then return nil, serr end
		return true, ("%s assigned to %s"):format(n, bare)
	end

	function cmds:unassign(number, host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		local n, _, text = numbers.normalize(number)
		if not n then return nil, text end
		local ok, serr = c.directory:unassign(n)
		if not ok then return nil, serr end
		return true, ("%s unassigned"):format(n)
	end

	function cmds:caller_id(owner, number, host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		local bare, jerr = bare_user(owner)
		if not bare then return nil, jerr end
		local n, _, text
		if number ~= nil then
			n, _, text = numbers.normalize(number)
			if not n then return nil, text end
		end
		local ok, serr = c.directory:set_caller_id(bare, n)
		if not ok then return nil, serr end
		return true, ("caller ID of %s: %s"):format(bare, c.directory:caller_id(bare) or "none (the trunk's default)")
	end

	-- One line an operator can script: "OK: ..." and exit status 0 when
	-- calls work (a warning too), "! Error: ..." and a non-zero exit when
	-- calls are refused or the trunk is down; the details above it.
	function cmds:status(host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		local level, summary, details = c.status()
		local print = self.session.print
		for _, line in ipairs(details or {}) do print(line) end
		return level ~= "error", summary
	end
	return cmds
end

--- Removes the object when no component is left.
function M.uninstall(env, components)
	if next(components) == nil then env.jingle_sip = nil end
end

return M
