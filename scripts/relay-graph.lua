-- The import graph of relay/src: which file calls which, across files, read
-- from the symbols of the built objects (nm: what each object defines and
-- what it needs), so macros and inline wrappers count as what they call.
--
--   lua5.4 scripts/relay-graph.lua OBJDIR            check (run by `make lint`)
--
-- Run from the top of the tree: OBJDIR/relay/src/X.o counts when
-- relay/src/X.c exists (objects of moved sources are left out).
--   lua5.4 scripts/relay-graph.lua OBJDIR --edges    print "from -> to" lines
--   lua5.4 scripts/relay-graph.lua OBJDIR --dot      the graph for Graphviz
--
-- The relay is meant to be layered (docs/ARCHITECTURE.md, "Layers of the
-- relay"): a file calls files of its own layer or below, never up. The
-- check fails on every cycle (a strongly connected set of files) except the
-- two that are one job split over files: the media packet loop
-- (forward <-> ice <-> fastpath <-> rtp_leg <-> transcode, as in libjuice;
-- fastpath is the client leg's socket once ICE selected a pair) and the SIP
-- user agent with its dialogs (sip_ua <-> sip_dialog, which shares its
-- sessions with invite_out, invite_in and modify through dialog.h).
--
-- KNOWN holds the files of the cycles that issue #17 has not undone yet:
-- none left: sip/ and the call files left theirs (sip/ reports up through
-- the handlers call_sip.c gives its user agent), and so did the media files
-- (ice_patience, nice_log and dtmf_send report through handlers and sit
-- below the packet loop). A cycle outside ALLOWED fails, and a file that
-- left its cycle must leave KNOWN too (so the list only shrinks).
local objdir, mode = arg[1], arg[2]
assert(objdir, "usage: relay-graph.lua OBJDIR [--edges|--dot]")

local ALLOWED = {
	{ ["media/forward"] = true, ["media/ice"] = true, ["media/rtp_leg"] = true,
		["media/transcode"] = true, ["media/fastpath"] = true },
	{ ["sip/sip_ua"] = true, ["sip/sip_dialog"] = true, ["sip/invite_out"] = true,
		["sip/invite_in"] = true, ["sip/modify"] = true },
}

local KNOWN = {}

local function run(cmd)
	local p = assert(io.popen(cmd))
	local out = p:read("a")
	local ok = p:close()
	assert(ok, "failed: " .. cmd)
	return out
end

-- Objects under OBJDIR/relay/src, named like their source without ".o".
local files = {}
for path in run("find " .. objdir .. "/relay/src -name '*.o' | sort"):gmatch("[^\n]+") do
	local name = path:match("/relay/src/(.*)%.o$")
	local source = io.open("relay/src/" .. name .. ".c")
	if source then -- not the object of a source that moved away
		source:close()
		files[#files + 1] = { path = path, name = name }
	end
end
if #files == 0 then
	io.stderr:write("relay-graph: no objects under " .. objdir .. "/relay/src (build first)\n")
	os.exit(1)
end

local defined_in, needs = {}, {}
for _, f in ipairs(files) do
	needs[f.name] = {}
	for line in run("nm " .. f.path):gmatch("[^\n]+") do
		local kind, sym = line:match("^%s*%x*%s+(%a)%s+(%S+)$")
		if kind == "U" then
			needs[f.name][sym] = true
		elseif kind and kind:match("[TDBR]") then
			defined_in[sym] = f.name
		end
	end
end

local edges, names = {}, {}
for _, f in ipairs(files) do
	names[#names + 1] = f.name
	edges[f.name] = {}
	for sym in pairs(needs[f.name]) do
		local to = defined_in[sym]
		if to and to ~= f.name then edges[f.name][to] = true end
	end
end
table.sort(names)

local function sorted_keys(t)
	local out = {}
	for k in pairs(t) do out[#out + 1] = k end
	table.sort(out)
	return out
end

if mode == "--edges" or mode == "--dot" then
	if mode == "--dot" then print("digraph relay {") end
	for _, from in ipairs(names) do
		for _, to in ipairs(sorted_keys(edges[from])) do
			if mode == "--dot" then
				print(string.format('  "%s" -> "%s";', from, to))
			else
				print(from .. " -> " .. to)
			end
		end
	end
	if mode == "--dot" then print("}") end
	return
end

-- Tarjan's strongly connected components.
local index, low, on_stack, stack, sccs, counter = {}, {}, {}, {}, {}, 0
local function connect(v)
	counter = counter + 1
	index[v], low[v] = counter, counter
	stack[#stack + 1] = v
	on_stack[v] = true
	for _, w in ipairs(sorted_keys(edges[v])) do
		if not index[w] then
			connect(w)
			low[v] = math.min(low[v], low[w])
		elseif on_stack[w] then
			low[v] = math.min(low[v], index[w])
		end
	end
	if low[v] == index[v] then
		local scc = {}
		repeat
			local w = table.remove(stack)
			on_stack[w] = nil
			scc[#scc + 1] = w
		until w == v
		table.sort(scc)
		sccs[#sccs + 1] = scc
	end
end
for _, v in ipairs(names) do
	if not index[v] then connect(v) end
end

local function within(scc, set)
	for _, v in ipairs(scc) do
		if not set[v] then return false end
	end
	return true
end

local failed, in_cycle = false, {}
for _, scc in ipairs(sccs) do
	if #scc > 1 then
		for _, v in ipairs(scc) do in_cycle[v] = true end
		local allowed = false
		for _, set in ipairs(ALLOWED) do
			if within(scc, set) then allowed = true end
		end
		if not allowed then
			if within(scc, KNOWN) then
				print("relay-graph: known cycle (issue #17, L3/L4 to do): " .. table.concat(scc, " "))
			else
				local outside = {}
				for _, v in ipairs(scc) do
					if not KNOWN[v] then outside[#outside + 1] = v end
				end
				io.stderr:write("relay-graph: cycle between " .. table.concat(scc, " ")
					.. "\n  (new in it: " .. table.concat(outside, " ")
					.. "); see the file-to-file calls with: lua5.4 scripts/relay-graph.lua "
					.. objdir .. " --edges\n")
				failed = true
			end
		end
	end
end
for _, v in ipairs(sorted_keys(KNOWN)) do
	if edges[v] and not in_cycle[v] then
		io.stderr:write("relay-graph: " .. v .. " is in no cycle any more: remove it from KNOWN"
			.. " in scripts/relay-graph.lua\n")
		failed = true
	end
end
if failed then os.exit(1) end
print(string.format("relay-graph: %d files, no cycle outside the media packet loop, SIP UA<->dialog"
	.. (next(KNOWN) and " and the known one" or ""), #names))
