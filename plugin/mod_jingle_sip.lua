-- mod_jingle_sip: phone calls for XMPP users, bridged to a SIP trunk.
--
-- Load it as a component:
--   Component "phone.example.net" "jingle_sip"
--
-- The module owns the XMPP side and every decision; the media and the SIP
-- stack live in libcallrelay, reached through the callrelay Lua API (ffi/).

-- Find our Lua libraries next to this file (installed layout) or, in a
-- source checkout, the relay API in ../ffi.
local module_dir = module.path and module.path:match("^(.*)/[^/]*$") or "."
for _, dir in ipairs({ module_dir, module_dir .. "/../ffi" }) do
	local entry = dir .. "/?.lua"
	if not package.path:find(entry, 1, true) then
		package.path = entry .. ";" .. package.path
	end
end

local callrelay = require "callrelay"
local relay_watch = require "callrelay.watch"
local server = require "net.server"
local version = require "jingle_sip.version"
local config = require "jingle_sip.config"
local contacts = require "jingle_sip.contacts"
local gate = require "jingle_sip.gate"
local ownership = require "jingle_sip.ownership"
local shell = require "jingle_sip.shell"
local metrics = require "jingle_sip.metrics"
local health_of = require "jingle_sip.health"
local configmanager = require "core.configmanager"
local jid_bare = require "util.jid".bare
local jid_split = require "util.jid".split
local storagemanager = require "core.storagemanager"
local new_id = require "util.id".medium
local time_now = require "util.time".now
local call_service = require "jingle_sip.call.service"
local relay_legs = require "jingle_sip.call.relay_legs"
local devices = require "jingle_sip.devices"
local answer = require "jingle_sip.jingle.answer"
local caps_nodes_mod = require "jingle_sip.caps_nodes"
local gateway_iq = require "jingle_sip.gateway_iq"
local presence_book = require "jingle_sip.presence_book"
local fd_watch = require "jingle_sip.fd_watch"
local relay_events_mod = require "jingle_sip.relay_events"
local node_registry = require "jingle_sip.node_registry"

-- Seconds an inbound call waits for the owner's devices to say whether they
-- speak JMI before ringing them anyway (local clients answer in milliseconds).
local DISCOVERY_TIMEOUT = 2

-- A reload (module:reload, prosodyctl reload of this module) hands us what
-- module.save() kept: the running relay, its legs and the call service, so
-- established calls go on (Prosody 0.12 gives it to the new load as
-- module.saved_state).
local saved = module.saved_state
if type(saved) ~= "table" or not saved.relay or saved.relay.closed then saved = nil end

-- Options (README.md lists each with its default), read typed and checked
-- once. A bad value is never replaced by a guess: it is logged and calls
-- are refused until the configuration is fixed.
local function option_names()
	local names = {}
	for _, scope in ipairs({ module.host, "*" }) do
		for name in pairs(configmanager.getconfig()[scope] or {}) do names[#names + 1] = name end
	end
	return names
end
local cfg, config_errors, config_warnings = config.parse(function(name)
	return module:get_option(name)
end, module.host, option_names())

-- Checks: why calls are refused (calls_disabled, the text callers get:
-- it never names options), and the operator's view of it (health: each bad
-- option and its reason, warnings, the trunk's state; jingle_sip.health).
local calls_disabled
local health = health_of.new({ trunk_uri = cfg.trunk and cfg.trunk.uri,
	check_interval = cfg.trunk_check_interval, register = cfg.register })
for _, text in ipairs(config_warnings) do
	module:log("warn", "%s", text)
	health:warn(text)
end
for _, text in ipairs(config_errors) do
	module:log("error", "Bad configuration, calls are refused: %s", text)
end
if #config_errors > 0 then
	calls_disabled = "the phone gateway is misconfigured and takes no calls (see the server log)"
	health:refuse(("%d bad jingle_sip_* option%s"):format(#config_errors, #config_errors == 1 and "" or "s"),
		config_errors)
elseif not cfg.trunk then
	calls_disabled = "the phone gateway has no SIP trunk configured and takes no calls"
	health:refuse("jingle_sip_trunk is not set (the SIP trunk to call through)")
	module:log("error", "Calls refused: jingle_sip_trunk is not set (the SIP trunk to call through)")
end

-- The module status (module:list() in the admin shell) follows the health:
-- set again whenever its summary changes.
local current_sip_stats -- () -> Relay:sip_stats() or nil; set once the relay runs
local published_status
local function publish_status()
	local level, summary = health:status()
	if summary == published_status then return end
	published_status = summary
	-- Not log_status: the summary may hold "%" (dial plan patterns).
	module:set_status(level == "ok" and "info" or level, summary, true)
end
publish_status()

-- Number ownership and caller ID live in Prosody's storage (internal or
-- SQL), seeded from jingle_sip_numbers; admin changes win (README.md).
local directory = ownership.new(module:open_store("jingle_sip_numbers"), module:open_store("jingle_sip_caller_ids"))
local notes, store_err = directory:load(cfg.numbers)
if not notes then
	module:log_status("error", "Cannot read number ownership from storage: %s", store_err)
else
	for _, note in ipairs(notes) do
		module:log(note:find("keeping the admin's", 1, true) and "warn" or "info", "Numbers: %s", note)
	end
end

-- Admin shell: `jingle_sip:numbers()` etc. (plugin/jingle_sip/shell.lua).
local shell_components = module:shared("/*/jingle_sip/components")
shell_components[module.host] = {
	host = module.host,
	directory = directory,
	status = function() return health:status(current_sip_stats and current_sip_stats()) end,
}
local shell_env = module:shared("/*/admin_shell/env")
shell.install(shell_env, shell_components)

-- Metrics (OpenMetrics through Prosody's statistics), fed by the call code.
local stats = metrics.new(function(...) return module:metric(...) end)
-- Prosody itself out of descriptors (accept, storage): only its log says so;
-- counted and logged at error level (jingle_sip/fd_watch.lua).
fd_watch.install(require "util.logger", require "util.format".format)
local prosody_fds = fd_watch.counter(function(...) module:log(...) end, require "util.time".monotonic)
local unwatch_fds = fd_watch.subscribe(module.host .. ":" .. module.name, function(event)
	prosody_fds.on_event(event)
	stats:prosody_fd_exhausted(event.where)
end)

-- XEP-0030 v2.5: what a phone gateway component is and speaks.
module:depends("disco")
module:add_identity("gateway", "pstn", "Phone calls (jingle-sip)")
for _, feature in ipairs(version.disco_features) do
	module:add_feature(feature)
end
-- XEP-0100 v1.0 §6.3: the component turns dialled numbers into phone JIDs.
module:add_feature(gateway_iq.xmlns)
module:hook("iq-get/host/jabber:iq:gateway:query", function(event)
	event.origin.send(gateway_iq.on_get(event.stanza, cfg.default_country))
	return true
end)
module:hook("iq-set/host/jabber:iq:gateway:query", function(event)
	event.origin.send(gateway_iq.on_set(event.stanza, module.host, cfg.default_country))
	return true
end)

-- The gate every outbound call passes before the call code sees it
-- (jingle_sip.gate: policy.check_outbound on a propose or session-initiate
-- to a phone JID, refusals answered there).
local calls_by_user = {} -- bare JID -> calls in progress (kept by the call code)
local gate_handlers = gate.new({
	host = module.host, cfg = cfg,
	disabled = function() return calls_disabled end,
	active = function(bare) return calls_by_user[bare] end,
	send = function(stanza) module:send(stanza) end,
	log = function(...) module:log(...) end,
	refused = function() stats:call_refused("outbound") end,
})

-- Which client each caller runs (XEP-0115 caps node), for declining video
-- the way its parser takes (jingle_sip.jingle.answer). Kept across reloads.
local caps_nodes = saved and saved.caps_nodes or caps_nodes_mod.new(function(full_jid)
	local session = prosody.full_sessions[full_jid]
	return session and session.presence
end)

-- The presence owners share with the component, as XEP-0100 gateways keep
-- it (jingle_sip.presence_book): which devices of a user of another server
-- can ring, and whether any is online. Kept across reloads.
local book = saved and saved.book or presence_book.new()
book.is_owner = function(bare) return directory:numbers_of(bare)[1] ~= nil end
local ask_presence
ask_presence, book.asked = presence_book.asker(module:open_store("jingle_sip_presence"), module.host,
	function(stanza) module:send(stanza) end)
directory.on_assigned = function(_, owner) ask_presence(owner) end
if not saved then
	-- Once the server runs: while it starts, stanzas to other servers
	-- have no s2s route yet and are lost.
	module:add_timer(1, function()
		local seen = {}
		for _, record in ipairs(directory:list()) do
			if record.owner and not seen[record.owner] then
				seen[record.owner] = true
				ask_presence(record.owner)
			end
		end
	end)
end

-- Phone JIDs as contacts (docs/INTEROP.md#12) and the component's own
-- presence: jingle_sip.contacts answers disco and presence.
local contact_handlers = contacts.handlers({ host = module.host, cfg = cfg, book = book, caps_nodes = caps_nodes,
	ask_presence = ask_presence, send = function(stanza) module:send(stanza) end })
module:hook("presence/host", contact_handlers.host_presence)

-- Hooks. Priorities: above mod_disco's account handlers (0) for phone
-- JIDs; the call gate (10) runs before the call handlers.
module:hook("iq-set/bare/urn:xmpp:jingle:1:jingle", gate_handlers.on_session_initiate, 10)
module:hook("iq-set/full/urn:xmpp:jingle:1:jingle", gate_handlers.on_session_initiate, 10)
module:hook("message/bare", gate_handlers.on_propose, 10)
module:hook("message/full", gate_handlers.on_propose, 10)
module:hook("iq-get/bare/http://jabber.org/protocol/disco#info:query", contact_handlers.disco_info, 1)
module:hook("iq-get/full/http://jabber.org/protocol/disco#info:query", contact_handlers.disco_info, 1)
module:hook("iq-get/bare/http://jabber.org/protocol/disco#items:query", contact_handlers.disco_items, 1)
module:hook("iq-get/full/http://jabber.org/protocol/disco#items:query", contact_handlers.disco_items, 1)
module:hook("presence/bare", contact_handlers.phone_presence)
module:hook("presence/full", contact_handlers.phone_presence)

-- The media relay. Without it the module still answers disco and presence
-- but refuses calls.
local relay, watcher = saved and saved.relay, nil

-- Codecs offered to the trunk, in our order of preference (the relay passes
-- them through untouched when the client shares one).
local TRUNK_CODECS = {
	{ id = 0, name = "PCMU", clockrate = 8000 },
	{ id = 8, name = "PCMA", clockrate = 8000 },
	{ id = 9, name = "G722", clockrate = 8000 },
	{ id = 111, name = "opus", clockrate = 48000, channels = 2 },
	{ id = 101, name = "telephone-event", clockrate = 8000 },
}

local legs_by_relay_id = saved and saved.legs_by_relay_id or {}

-- The legs' own timers (a close waiting for its SIP hang-up to finish).
local function legs_timer(seconds, fn) module:add_timer(seconds, fn) end

-- What every call's legs take from the configuration: logging, timers and
-- symmetric RTP (the trunk's RTP may come from another port than its SDP
-- says, or from its signaling address when it is an IP literal).
local function legs_options(o)
	o.log = function(...) module:log(...) end
	o.add_timer = legs_timer
	o.latch = cfg.symmetric_rtp
	local trunk_host = cfg.trunk and cfg.trunk.host
	if trunk_host and (trunk_host:match("^[%d.]+$") or trunk_host:find(":", 1, true)) then
		o.latch_addr = trunk_host
	end
	return o
end

-- The call service's dependencies: this module's sending, logging, timers,
-- options and metrics.
local service_deps = {
	host = module.host,
	send = function(stanza) module:send(stanza) end,
	log = function(level, fmt, ...) module:log(level, fmt, ...) end,
	new_legs = function()
		if not relay then return nil, "the media relay is not running" end
		local created_at = time_now()
		local call, err = relay:new_call()
		if not call then return nil, err end
		-- The relay call is only the call service's once it has its legs.
		local ok, legs = pcall(relay_legs.new, call, legs_options({ created_at = created_at }))
		if not ok then
			call:close("internal error")
			error(legs, 0)
		end
		legs_by_relay_id[call.id] = legs
		return legs
	end,
	-- Ownership and caller ID read through to the store at each call, so
	-- nodes sharing it see each other's changes (docs/DEPLOY.md); a
	-- failing store leaves the copy from the last load in use.
	caller_id = function(from)
		local bare = jid_bare(from)
		local ok, err = directory:refresh_caller_id(bare)
		if not ok then module:log("warn", "Caller ID of %s from memory: storage error: %s", bare, err) end
		return directory:caller_id(bare)
	end,
	decline_style = function(from) return answer.decline_style(caps_nodes:node_of(from)) end,
	owner_of = function(number)
		local ok, err = directory:refresh_number(number)
		if not ok then module:log("warn", "Owner of %s from memory: storage error: %s", number, err) end
		return directory:owner(number)
	end,
	trunk_pts = TRUNK_CODECS,
	now = time_now,
	ring_timeout = cfg.ring_timeout,
	max_call_duration = cfg.max_call_duration,
	add_timer = function(seconds, fn)
		local t = module:add_timer(seconds, function() fn() end)
		return { stop = function() t:stop() end }
	end,
	new_id = new_id,
	-- An owner on this server: ask each online device what it speaks
	-- (disco#info), bounded, to ring it the way it understands.
	-- Local owners' devices are their sessions; other servers' users' are
	-- the presence they share with the component (jingle_sip.presence_book).
	discover_devices = function(owner, done)
		local node, host = jid_split(owner)
		local h = prosody.hosts[host]
		local list = (node and h and h.type == "local") and devices.from_sessions(prosody.bare_sessions[owner])
			or book:devices(owner)
		devices.discover(list, {
			from = module.host, new_id = new_id, timeout = DISCOVERY_TIMEOUT, book = book,
			send_iq = function(iq, timeout) return module:send_iq(iq, nil, timeout) end,
		}, done)
	end,
	direct_target = devices.direct_target,
	wants_jmi = devices.wants_jmi,
	-- Owners of another server: what their shared presence says ("unknown"
	-- when they share none); their push service is theirs to use.
	reachability = function(owner)
		local node, host = jid_split(owner)
		local h = prosody.hosts[host]
		if not (node and h and h.type == "local") then return book:reachability(owner) end
		local push = storagemanager.open(host, "cloud_notify"):get(node)
		return devices.reachability(prosody.bare_sessions[owner], push)
	end,
	missed_call_message = cfg.missed_call_message,
	on_started = function(call)
		-- Inbound calls count from their INVITE (jingle_sip.relay_events).
		if call.direction == "outbound" then stats:call_started("outbound") end
	end,
	on_milestone = function(call, what)
		local direction = call.direction or "outbound"
		if what == "reached" and call.reached_at and call.requested_at then
			stats:call_reached(direction, math.max(call.reached_at - call.requested_at, 0))
		elseif what == "media" and call.media_at and call.answered_at then
			stats:media_up(direction, math.max(call.media_at - call.answered_at, 0))
		end
	end,
	on_ended = function(call, outcome, condition, text)
		stats:call_ended(call.direction or "outbound", metrics.outcome_of(outcome, condition))
		-- The relay's per-call drop counters, as they were at the end.
		local summary = call.legs and call.legs:summary() or {}
		for field, reason in pairs(metrics.relay_drop_reasons) do
			local n = tonumber(summary[field]) or 0
			if n > 0 then stats:packets_dropped(reason, n) end
		end
		for field, what in pairs(metrics.relay_fast_path) do
			local n = tonumber(summary[field]) or 0
			if n > 0 then stats:fast_path(what, n) end
		end
		module:log("info", "Call %s (%s, %s) ended: %s %s %s", call.sid, call.direction or "?",
			tostring(call.peer), outcome, tostring(condition), text or "")
	end,
}
local service
if saved and saved.service then
	service = saved.service
	service:rewire(service_deps)
	local live = #service:list()
	module:log("info", "Reloaded with %d call(s) in progress kept", live)
else
	service = call_service.new(service_deps)
end
calls_by_user = service.per_user

-- Calls in progress and this node's heartbeat in the shared storage, so a
-- surviving node ends a dead node's calls (jingle_sip.node_registry,
-- docs/DEPLOY.md). The instance id survives reloads with the calls.
local taken_over_metric = module:metric("counter", "node_calls_taken_over", "",
	"Calls of failed gateway nodes this node ended (session-terminate to the client)", {})
local registry = node_registry.new({
	node = cfg.node_id or node_registry.default_id(cfg.listen and cfg.listen.port), host = module.host,
	instance = saved and saved.node_instance or new_id(),
	calls_kv = module:open_store("jingle_sip_calls"), calls_map = module:open_store("jingle_sip_calls", "map"),
	nodes_kv = module:open_store("jingle_sip_nodes"), timeout = cfg.node_timeout,
	clock = require "util.time".monotonic, send = function(stanza) module:send(stanza) end,
	log = function(...) module:log(...) end,
	count = function(n) taken_over_metric:with_labels():add(n) end,
})
service_deps.on_started = node_registry.chain(service_deps.on_started, function(call) registry:call_started(call) end)
service_deps.on_unregistered = function(call) registry:call_ended(call) end
service_deps.on_ring = function(ring, ringing) registry:ring(ring, ringing) end
local fresh_load = not saved
module:add_timer(1, function()
	local ok, e = pcall(function()
		if fresh_load then registry:end_own_orphans() end
		fresh_load = false
		registry:tick()
	end)
	if not ok then module:log("error", "Node registry: %s", tostring(e)) end
	return math.max(1, cfg.node_timeout / 4)
end)
shell_components[module.host].calls = function() return shell.describe_calls(service) end
-- status(): health's verdict, plus the limits of README.md's "Running it on
-- a public address" with what they refused, as one more detail line.
shell_components[module.host].status = function()
	local ss = current_sip_stats and current_sip_stats()
	local level, summary, details = health:status(ss)
	if relay and ss then
		local rs = relay:stats()
		details = details or {}
		details[#details + 1] = ("limits: SIP from %s: %d dropped by the kernel filter (%d sockets), "
			.. "%d answered 403, %d INVITEs over the rate, %d over max_calls %d, %d SDP bodies refused; "
			.. "%d times out of descriptors"):format(ss.trusted_sources, ss.filter_drops, ss.filtered_sockets,
			ss.requests_untrusted, ss.invites_rejected_rate, ss.invites_rejected_limit, rs.max_calls,
			ss.sdp_rejected, rs.fd_exhausted)
	end
	details = details or {}
	details[#details + 1] = book:summary()
	local c = prosody_fds.counts
	details[#details + 1] = ("Prosody itself: %d times out of descriptors (accept %d, storage %d, other %d)")
		:format(prosody_fds.total, c.accept, c.storage, c.other)
	details[#details + 1] = registry:summary()
	return level, summary, details
end
shell_components[module.host].trace = function(id) return shell.trace_lines(service, id) end

-- A client that went away ends its calls at once (issue: the trunk leg
-- kept costing money until the media timeout). Two ways to learn it:
-- unavailable presence from a full JID to a phone JID or the component
-- (directed, or broadcast because the phone is in its roster; observed
-- before contacts.handlers answers it), and for a local user its c2s
-- session closing (resource-unbind on the user's host, which fires also
-- when the stream just dies without any presence).
local function on_presence_gone(event)
	local stanza = event.stanza
	local from = stanza.attr.from
	if stanza.attr.type == "unavailable" and from and select(3, jid_split(from)) then
		service:on_peer_gone(from, "the client went offline")
	end
end
module:hook("presence/full", on_presence_gone, 20)
module:hook("presence/bare", on_presence_gone, 20)
module:hook("presence/host", on_presence_gone, 20)

local function on_resource_unbind(event)
	local session = event.session
	if session and session.full_jid then
		service:on_peer_gone(session.full_jid, event.error
			and ("the client's session closed: " .. tostring(event.error)) or "the client's session closed")
	end
end
local function watch_user_host(host)
	local h = prosody.hosts[host]
	-- Before mod_presence (priority 0), which sends the session's unavailable
	-- presence on unbind: the phone JID shares the owner's presence
	-- (presence_book.lua), so that presence would otherwise end the call
	-- first, with the vaguer reason.
	if h and h.type == "local" then module:context(host):hook("resource-unbind", on_resource_unbind, 10) end
end
for host in pairs(prosody.hosts) do watch_user_host(host) end
module:hook_global("host-activated", watch_user_host)

-- XEP-0166 v1.1 / XEP-0353 v0.6: the calls themselves, after the gate.
local function on_jingle(event)
	service:on_jingle_iq(event.stanza)
	return true
end
local function on_message(event)
	if service:on_message(event.stanza) then return true end
end
module:hook("iq-set/bare/urn:xmpp:jingle:1:jingle", on_jingle)
module:hook("iq-set/full/urn:xmpp:jingle:1:jingle", on_jingle)
module:hook("message/bare", on_message)
module:hook("message/full", on_message)

-- The relay's events: calls' events into the call service, the trunk's
-- health, logs and counters (jingle_sip.relay_events).
local relay_events = relay_events_mod.new({
	relay = function() return relay end,
	service = service,
	legs_by_relay_id = legs_by_relay_id,
	legs_options = legs_options,
	disabled = function() return calls_disabled end,
	stats = stats,
	health = health,
	publish_status = publish_status,
	log = function(...) module:log(...) end,
})

-- Prosody 0.12 calls save() only on a reload, before unload() (with
-- module.reloading set): the relay, its legs and the calls go to the new
-- load, which watches the relay again. The relay's event descriptor stays
-- open meanwhile, so no event is lost.
function module.save()
	return { relay = relay, legs_by_relay_id = legs_by_relay_id, service = service, caps_nodes = caps_nodes,
		book = book, node_instance = registry.instance }
end

function module.unload()
	shell_components[module.host] = nil
	shell.uninstall(shell_env, shell_components)
	if watcher then watcher.close() end
	unwatch_fds()
	if module.reloading and relay then return end
	service:hangup_all("success", "the phone gateway is shutting down")
	registry:stop()
	if relay then relay:close() end
end

local relay_err
if relay then
	-- Kept across a reload: relay options (listen, trunk, media, workers)
	-- apply at the next unload and load, or restart.
	module:log("debug", "Keeping the running media relay across the reload")
elseif cfg.trunk and #config_errors == 0 then
	local relay_cfg, relay_notes
	relay_cfg, relay_err, relay_notes = config.relay_config(cfg, function(name) return module:get_option(name) end,
		os.time(), "jingle-sip/" .. version.module)
	for _, note in ipairs(relay_notes or {}) do module:log(note[1], "%s", note[2]) end
	if relay_cfg then relay, relay_err = callrelay.new_relay(relay_cfg) end
else
	-- No trunk: no SIP, but the relay still starts so the module's
	-- plumbing is checked at load.
	relay, relay_err = callrelay.new_relay({ workers = cfg.relay_workers, max_calls = config.relay_max_calls(cfg) })
end
if not relay then
	calls_disabled = "the phone gateway's media relay is not running and it takes no calls"
	module:log("error", "Cannot start the media relay, calls are refused: %s", relay_err)
	health:refuse("the media relay is not running: " .. tostring(relay_err))
	publish_status()
	return
end

if cfg.trunk and #config_errors == 0 then
	current_sip_stats = function()
		if relay.closed then return nil end
		return relay:sip_stats()
	end
	-- A reload keeps the relay, whose trunk events came before this load:
	-- start from its counters (a fresh relay has checked nothing yet).
	local s = relay:sip_stats()
	if s.trunk_up >= 0 then
		relay_events.trunk_event({ type = "sip_trunk_state", value = s.trunk_up, code = s.last_options_status })
	end
	if s.registered == 1 then relay_events.trunk_event({ type = "sip_registered", code = 200, value = 0, text = "" }) end
end

watcher = relay_watch.watch(server, relay, relay_events.on_event, function(e, event)
	module:log("error", "Error handling relay event %s for call %d: %s", event.type, event.call_id, e)
end)

module:log("info", "mod_jingle_sip %s loaded (relay %s, %s backend, %d workers) from %s",
	version.module, callrelay.version(), callrelay.backend, relay:stats().workers, module_dir)
-- The relay counts what the limits refused; the metrics read it when collected.
module:hook_global("stats-update", function()
	if not relay then return end
	local counters = relay:sip_stats()
	counters.fd_exhausted = relay:stats().fd_exhausted
	stats:limits(counters)
end)
do -- The limits in force, for an operator on a public address (README.md).
	local rs, ss = relay:stats(), relay:sip_stats()
	if cfg.max_calls == "auto" then
		module:log("info", "jingle_sip_max_calls = %d (auto: descriptor limit %d, raised from %d; %d open, "
			.. "%d per call, half kept for Prosody)", rs.max_calls, rs.fd_limit, rs.fd_limit_was, rs.fds_at_start,
			rs.fds_per_call)
	else
		module:log("info", "jingle_sip_max_calls = %d (0 = no limit; descriptor limit %d, %d per call)",
			rs.max_calls, rs.fd_limit, rs.fds_per_call)
	end
	if ss.trusted_sources ~= "" then
		module:log("info", "SIP is accepted only from %s (%s); new INVITEs per second per source: %s",
			ss.trusted_sources, ss.filtered_sockets > 0
				and ("kernel filter on %d sockets, others dropped unread"):format(ss.filtered_sockets)
				or "no kernel filter, others answered 403",
			cfg.invite_rate == 0 and "no limit" or tostring(cfg.invite_rate))
	end
end
