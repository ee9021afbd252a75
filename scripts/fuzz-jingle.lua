-- Mutation fuzzer for the Jingle and JMI parsers (plugin/jingle_sip/jingle/
-- parse.lua, jmi.lua), under Lua 5.4 with Prosody's util.stanza and util.xml.
--
--   lua5.4 scripts/fuzz-jingle.lua [--seconds N] [--iterations N] [--seed N]
--                                  [--corpus DIR] [--crashes DIR]
--
-- Starts from the client fixtures (spec/fixtures/jingle/*.xml), mutates
-- them (attributes set to empty, huge, negative, non-numeric, non-ASCII or
-- missing; elements dropped, renamed, moved to another namespace, repeated
-- thousands of times, grafted from another fixture; raw XML text cut and
-- spliced) and hands each result to the parsers the module uses on every
-- stanza from a client: parse.jingle(), jmi.parse() and parse.candidate().
--
-- A finding is any of: an error escaping a parser; an error the parser's own
-- pcall caught ("unparsable ..."), i.e. it crashed on the input instead of
-- refusing it; a return that is neither a table nor nil plus an error table
-- { condition, text }. Each one is written to --crashes as the stanza's XML
-- with what happened, and counted. Bounded by --seconds (default 60) and
-- --iterations; the seed (printed, default from the clock) replays a run.
-- The last line is "execs=N errors=N ooms=N accepted=N"; the exit status is 1 when
-- anything was found.

package.path = "./?.lua;plugin/?.lua;/usr/lib/prosody/?.lua;" .. package.path
package.cpath = "/usr/lib/prosody/?.so;" .. package.cpath

local st = require "util.stanza"
local xml = require "util.xml"
local parse = require "jingle_sip.jingle.parse"
local jmi = require "jingle_sip.jingle.jmi"
local ns = require "jingle_sip.jingle.ns"

local opts = { seconds = 60, iterations = math.maxinteger, corpus = "spec/fixtures/jingle",
	crashes = nil, seed = nil }
do
	local i = 1
	while arg[i] do
		local k, v = arg[i]:match("^%-%-(%w+)$"), arg[i + 1]
		if not k or opts[k] == nil and k ~= "crashes" and k ~= "seed" or v == nil then
			io.stderr:write("usage: lua5.4 scripts/fuzz-jingle.lua [--seconds N] [--iterations N]",
				" [--seed N] [--corpus DIR] [--crashes DIR]\n")
			os.exit(2)
		end
		opts[k] = (k == "corpus" or k == "crashes") and v or math.tointeger(tonumber(v))
		i = i + 2
	end
end
local seed = opts.seed or os.time()
math.randomseed(seed)
print(("fuzz-jingle: seed %d, %d s, corpus %s"):format(seed, opts.seconds, opts.corpus))

local function rand(n) return math.random(n) end
local function pick(t) return t[rand(#t)] end

---------------------------------------------------------------------------
-- Corpus: every fixture as text and as a stanza
---------------------------------------------------------------------------

local corpus = {}
do
	local p = assert(io.popen("ls " .. opts.corpus .. "/*.xml"))
	for path in p:lines() do
		local f = assert(io.open(path, "r"))
		local text = f:read("a"):gsub("<!%-%-.-%-%->", ""):gsub("^%s+", ""):gsub("%s+$", "")
		f:close()
		corpus[#corpus + 1] = { path = path, text = text, stanza = assert(xml.parse(text)) }
	end
	p:close()
	assert(#corpus > 0, "no fixtures in " .. opts.corpus)
end

---------------------------------------------------------------------------
-- Mutations
---------------------------------------------------------------------------

local INTERESTING = {
	"", " ", "0", "-1", "1", "255", "256", "65535", "65536", "4294967295", "4294967296",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "1e309", "nan", "0x10",
	" 12 ", "1.5", "+1", "--1", string.rep("9", 400), string.rep("a", 70000), "\xff\xfe",
	"\xc3\xa9\xe2\x82\xac", "a\0b", "%s%n", "<x/>", "&amp;", "::1", "127.0.0.1", "0.0.0.0",
	"255.255.255.255", "fe80::1%eth0", "host", "relay", "udp", "tcp", "initiator", "responder",
	"both", "none", "actpass", "active", "passive", "sha-256", "sha-512",
	string.rep("AB:", 63) .. "AB", string.rep("u", 257), string.rep("p", 22),
	"session-initiate", "session-accept", "transport-info", "session-info", "session-terminate",
	"content-add", "propose", "proceed", "retract", "audio", "video",
}
local NAMESPACES = {
	ns.JINGLE, ns.RTP, ns.ICE_UDP, ns.DTLS, ns.JMI, ns.JMI_1, ns.JMI_STANZAJS, ns.CARBONS,
	ns.FORWARD, ns.RTP_INFO, ns.DTMF, ns.GROUPING, ns.RECEIPTS, "jabber:client", "", "urn:x",
}
local NAMES = {
	"jingle", "content", "description", "transport", "candidate", "fingerprint", "payload-type",
	"parameter", "rtcp-fb", "rtcp-mux", "reason", "success", "busy", "text", "group", "source",
	"ssrc-group", "propose", "proceed", "accept", "reject", "retract", "finish", "sent",
	"received", "forwarded", "message", "dtmf", "ringing", "hold", "mute", "tie-break", "x",
}
local ATTRS = {
	"action", "sid", "initiator", "responder", "creator", "name", "senders", "disposition",
	"media", "ssrc", "id", "clockrate", "channels", "ptime", "maxptime", "ufrag", "pwd",
	"component", "foundation", "generation", "ip", "network", "port", "priority", "protocol",
	"rel-addr", "rel-port", "tcptype", "type", "hash", "setup", "value", "semantics", "code",
	"duration", "volume", "xmlns", "from", "to", "uri", "subtype",
}

-- Every element of a tree, parents first.
local function elements(el, out)
	out = out or {}
	out[#out + 1] = el
	for _, child in ipairs(el.tags or {}) do elements(child, out) end
	return out
end

-- Elements in a tree, counting no further than limit. A mutation never
-- grows a stanza past MAX_NODES: a client's stanza cannot be larger than
-- Prosody's stanza size limit, and repeating an already repeated child
-- would otherwise grow without bound (and measure the harness, not the
-- parsers).
local MAX_NODES = 20000
local function count_nodes(el, limit)
	local n = 1
	for _, child in ipairs(el.tags or {}) do
		if n >= limit then break end
		n = n + count_nodes(child, limit - n)
	end
	return n
end

local function value()
	local v = pick(INTERESTING)
	if rand(8) == 1 then v = v .. pick(INTERESTING) end
	return v
end

-- An attribute the element has (most likely to matter), set to a new value.
local function mutate_existing_attr(el)
	local keys = {}
	for k in pairs(el.attr) do
		if k ~= "xmlns" then keys[#keys + 1] = k end
	end
	el.attr[#keys > 0 and pick(keys) or pick(ATTRS)] = value()
end

local tree_mutations = {
	mutate_existing_attr, mutate_existing_attr, mutate_existing_attr,
	function(el) el.attr[pick(ATTRS)] = value() end,
	function(el)
		local keys = {}
		for k in pairs(el.attr) do keys[#keys + 1] = k end
		if #keys > 0 then el.attr[pick(keys)] = nil end
	end,
	function(el) el.name = pick(NAMES) end,
	function(el) el.attr.xmlns = pick(NAMESPACES) end,
	function(el) -- drop a child element
		if #el.tags == 0 then return end
		local victim = table.remove(el.tags, rand(#el.tags))
		for i = #el, 1, -1 do
			if el[i] == victim then table.remove(el, i) end
		end
	end,
	function(el) -- repeat a child: lengths and counts
		if #el.tags == 0 then return end
		local child = pick(el.tags)
		-- Thousands only now and then: a big stanza costs as much as hundreds of small ones.
		local n = rand(50) == 1 and 3000 or pick({ 2, 3, 10, 100 })
		n = math.min(n, MAX_NODES // count_nodes(child, MAX_NODES))
		for _ = 1, n do el:add_direct_child(st.clone(child)) end
	end,
	function(el) -- graft an element from another fixture
		local donor = pick(elements(pick(corpus).stanza))
		el:add_direct_child(st.clone(donor))
	end,
	function(el) el:text(value()) end,
	function(el) -- a new child with random name, namespace and attributes
		local attrs = { xmlns = rand(2) == 1 and pick(NAMESPACES) or nil }
		for _ = 1, rand(4) do attrs[pick(ATTRS)] = value() end
		el:add_direct_child(st.stanza(pick(NAMES), attrs))
	end,
	function(el) -- deep nesting
		local cur = el
		for _ = 1, pick({ 10, 200 }) do
			local child = st.stanza(pick(NAMES), { xmlns = pick(NAMESPACES) })
			cur:add_direct_child(child)
			cur = child
		end
	end,
}

local function mutate_tree(stanza)
	local s = st.clone(stanza)
	for _ = 1, rand(4) do
		if count_nodes(s, MAX_NODES) >= MAX_NODES then break end
		pick(tree_mutations)(pick(elements(s)))
	end
	return s
end

-- Raw text: cut, splice, duplicate, flip; most results are not XML.
local function mutate_text(text)
	local n = #text
	local a, b = rand(n), rand(n)
	if a > b then a, b = b, a end
	local r = rand(5)
	if r == 1 then
		return text:sub(1, a - 1) .. text:sub(b + 1)
	elseif r == 2 then
		return text:sub(1, a) .. text:sub(a, b) .. text:sub(a + 1)
	elseif r == 3 then
		return text:sub(1, a - 1) .. string.char(rand(256) - 1) .. text:sub(a + 1)
	elseif r == 4 then
		return text:sub(1, a) .. "'" .. value() .. "'" .. text:sub(a + 1)
	end
	local other = pick(corpus).text
	local c = rand(#other)
	return text:sub(1, a) .. other:sub(c, c + rand(200)) .. text:sub(b + 1)
end

---------------------------------------------------------------------------
-- Checks
---------------------------------------------------------------------------

local execs, errors, ooms, accepted = 0, 0, 0, 0
local seen = {}

local function finding(what, stanza_or_text)
	local key = what:gsub("%d+", "N"):sub(1, 200)
	if what:find("not enough memory", 1, true) then
		ooms = ooms + 1
	else
		errors = errors + 1
	end
	if seen[key] then return end
	seen[key] = true
	io.stdout:write("FINDING: ", what, "\n")
	if opts.crashes then
		local ok, text = pcall(tostring, stanza_or_text)
		local f = io.open(("%s/error-%d.xml"):format(opts.crashes, errors + ooms), "w")
		if f then
			f:write("<!-- ", (what:gsub("%-%-", "- -")), " (seed ", seed, ") -->\n",
				ok and text or "(unprintable)", "\n")
			f:close()
		end
	end
end

local function check(label, fn, arg1, input)
	execs = execs + 1
	local ok, res, err = xpcall(fn, debug.traceback, arg1)
	if not ok then
		finding(label .. " raised: " .. tostring(res), input)
	elseif res == nil then
		if type(err) ~= "table" or type(err.condition) ~= "string" or type(err.text) ~= "string" then
			finding(label .. " returned nil without an error table", input)
		elseif err.text:find("^unparsable") then
			finding(label .. " crashed inside (caught by its pcall): " .. err.text, input)
		end
	elseif type(res) ~= "table" then
		finding(label .. " returned a " .. type(res), input)
	else
		accepted = accepted + 1
	end
end

local function run(stanza, input)
	check("parse.jingle", parse.jingle, stanza, input)
	check("jmi.parse", jmi.parse, stanza, input)
	-- The first candidates: parse.jingle() has read them all already.
	local n = 0
	for _, el in ipairs(elements(stanza)) do
		if el.name == "candidate" and n < 16 then
			n = n + 1
			check("parse.candidate", parse.candidate, el, input)
		end
	end
end

local deadline = os.time() + opts.seconds
local i = 0
local function one_input(base)
	if rand(4) == 1 then
		local text = mutate_text(base.text)
		local ok, s = pcall(xml.parse, text)
		if ok and s then run(s, text) end
		return
	end
	-- util.stanza refuses what no XML parser would deliver (control
	-- characters, invalid UTF-8): such a mutation is skipped.
	local ok, s = pcall(mutate_tree, base.stanza)
	if ok then
		run(s, s)
		-- As the wire delivers it: serialised and parsed again.
		local wired, again = pcall(xml.parse, tostring(s))
		if wired and again then run(again, s) end
	elseif not tostring(s):find("invalid %a+ value") then
		finding("harness: " .. tostring(s), base.text)
	end
end

while i < opts.iterations and os.time() < deadline do
	i = i + 1
	local base = pick(corpus)
	-- Memory running out anywhere (RLIMIT_AS) is a finding, not the end.
	local ok, err = pcall(one_input, base)
	if not ok then finding("harness: " .. tostring(err), base.text) end
	if i % 256 == 0 then collectgarbage() end
end

-- accepted: parses that returned a table (the mutations keep many inputs valid).
print(("execs=%d errors=%d ooms=%d accepted=%d"):format(execs, errors, ooms, accepted))
os.exit((errors + ooms) > 0 and 1 or 0)
