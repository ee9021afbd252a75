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

-- Options (README.md lists each with its default).
local relay_workers = module:get_option_number("jingle_sip_relay_workers", 0)
local max_calls = module:get_option_number("jingle_sip_max_calls", 0)

-- XEP-0030 v2.5: what a phone gateway component is and speaks.
module:depends("disco")
module:add_identity("gateway", "pstn", "Phone calls (jingle-sip)")
for _, feature in ipairs(version.disco_features) do
	module:add_feature(feature)
end

local relay, err = callrelay.new_relay({ workers = relay_workers, max_calls = max_calls })
if not relay then
	module:log_status("error", "Cannot start the media relay: %s", err)
	return
end

local watcher = relay_watch.watch(server, relay, function(event)
	module:log("debug", "relay event %s call=%d code=%d value=%d %s", event.type,
		event.call_id, event.code, event.value, event.text)
end, function(e, event)
	module:log("error", "Error handling relay event %s: %s", event.type, e)
end)

module:log("info", "mod_jingle_sip %s loaded (relay %s, %s backend, %d workers) from %s",
	version.module, callrelay.version(), callrelay.backend, relay:stats().workers, module_dir)

function module.unload()
	watcher.close()
	relay:close()
end
