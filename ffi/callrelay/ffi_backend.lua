-- LuaJIT FFI backend of callrelay: the same flat functions as the Lua 5.4 C
-- binding (ffi/lua54/callrelay_core.c). Thin: conversions only.
--
-- Handles are plain Lua tables around the cdata pointer so that closing can
-- clear the pointer (closing twice is harmless); the cdata carries the
-- finalizer, so a dropped handle still frees its relay or call.
local ffi = require "ffi"

local M = { name = "ffi" }

local declared = false
local lib

function M.load(library_path)
	if not declared then
		ffi.cdef(require "callrelay.cdef")
		declared = true
	end
	lib = ffi.load(library_path)
	return M
end

local function failure(err, buf)
	local msg = buf and ffi.string(buf) or ""
	if msg == "" then msg = ffi.string(lib.cr_error_to_string(err)) end
	return nil, msg, ffi.string(lib.cr_error_name(err))
end

local function int_field(config, key, default)
	local v = config[key]
	if v == nil then return default end
	if type(v) ~= "number" or v % 1 ~= 0 then
		error("config." .. key .. " must be an integer", 3)
	end
	return v
end

local function check_open(handle, what, level)
	if type(handle) ~= "table" or handle.kind ~= what then
		error("bad argument #1 (" .. what .. " expected)", level + 1)
	end
	if handle.ptr == nil then error("bad argument #1 (" .. what .. " is closed)", level + 1) end
	return handle.ptr
end


-- Copies the fields of a Lua table into an FFI struct. spec: list of
-- { key, kind } with kind "int", "str" (const char*, borrowed from the
-- table, which the caller keeps alive) or "buf" (fixed char array).
local function fill(struct, what, t, spec, level)
	for _, f in ipairs(spec) do
		local key, kind = f[1], f[2]
		local v = t[key]
		if v ~= nil then
			if kind == "int" then
				if type(v) == "boolean" then v = v and 1 or 0 end
				if type(v) ~= "number" or v % 1 ~= 0 then
					error(what .. "." .. key .. " must be an integer", level + 1)
				end
				struct[key] = v
			elseif type(v) ~= "string" then
				error(what .. "." .. key .. " must be a string", level + 1)
			elseif kind == "str" then
				struct[key] = v
			else -- buf
				local size = ffi.sizeof(struct[key])
				if #v >= size then
					error(("%s.%s is longer than %d bytes"):format(what, key, size - 1), level + 1)
				end
				ffi.copy(struct[key], v)
			end
		end
	end
end

local MEDIA_CONFIG = {
	{ "ice_addresses", "str" }, { "ice_port_min", "int" }, { "ice_port_max", "int" },
	{ "stun_server", "str" }, { "stun_port", "int" }, { "turn_server", "str" }, { "turn_port", "int" },
	{ "turn_username", "str" }, { "turn_password", "str" }, { "sip_rtp_address", "str" },
	{ "sip_port_min", "int" }, { "sip_port_max", "int" }, { "certificate_file", "str" },
	{ "private_key_file", "str" }, { "media_timeout_ms", "int" },
	{ "sip_media_timeout_ms", "int" },
}
local SIP_CONFIG = {
	{ "listen_uri", "str" }, { "tls_listen_uri", "str" }, { "tls_cert_dir", "str" },
	{ "trunk_uri", "str" }, { "outbound_proxy", "str" }, { "username", "str" }, { "password", "str" },
	{ "from_domain", "str" }, { "register_expires", "int" }, { "user_agent", "str" },
	{ "options_interval", "int" }, { "session_expires", "int" }, { "symmetric_rtp", "int" },
	{ "trusted_sources", "str" }, { "source_filter", "int" }, { "invite_rate", "int" },
}
local MEDIA_PARAMS = {
	{ "ice_controlling", "int" }, { "rtcp_mux", "int" }, { "dtls_role", "int" },
	{ "remote_ufrag", "buf" }, { "remote_pwd", "buf" }, { "remote_fingerprint", "buf" },
	{ "sip_remote_addr", "buf" }, { "sip_remote_port", "int" }, { "sip_remote_rtcp_port", "int" },
	{ "sip_latch", "int" }, { "sip_latch_addr", "buf" },
}
-- A codec-map entry: flat in Lua { client_pt, sip_pt, name, clock_rate,
-- channels }, { client_pt, sip = cr_codec_t } in C.
local MAP_SIP = { { "name", "buf" }, { "clock_rate", "int" }, { "channels", "int" } }
local function fill_map_entry(entry, c, level)
	fill(entry, "codec", c, { { "client_pt", "int" } }, level + 1)
	fill(entry.sip, "codec", c, MAP_SIP, level + 1)
	local pt = c.sip_pt
	if pt ~= nil then
		if type(pt) ~= "number" or pt % 1 ~= 0 then error("codec.sip_pt must be an integer", level + 1) end
		entry.sip.pt = pt
	end
end
local DIAL = { { "number", "str" }, { "caller_id", "str" }, { "display_name", "str" },
	{ "local_rtp_address", "str" }, { "local_rtp_port", "int" }, { "ptime", "int" }, { "telephone_event", "int" } }
local ANSWER = { { "local_rtp_address", "str" }, { "local_rtp_port", "int" },
	{ "ptime", "int" }, { "telephone_event", "int" } }

function M.version()
	return ffi.string(lib.cr_version())
end

function M.relay_create(config)
	local media, sip -- keep the structs alive until cr_relay_create copied them
	local cfg = ffi.new("cr_relay_config_t")
	lib.cr_relay_config_init(cfg)
	if config ~= nil then
		if type(config) ~= "table" then error("bad argument #1 (table expected)", 2) end
		cfg.workers = int_field(config, "workers", cfg.workers)
		cfg.max_calls = int_field(config, "max_calls", cfg.max_calls)
		cfg.event_queue = int_field(config, "event_queue", cfg.event_queue)
		cfg.max_transcoded_calls = int_field(config, "max_transcoded_calls", cfg.max_transcoded_calls)
		cfg.media_tick_us = int_field(config, "media_tick_us", cfg.media_tick_us)
		if config.media ~= nil then
			if type(config.media) ~= "table" then error("config.media must be a table", 2) end
			media = ffi.new("cr_media_config_t")
			lib.cr_media_config_init(media)
			fill(media, "media", config.media, MEDIA_CONFIG, 2)
			cfg.media = media
		end
		if config.sip ~= nil then
			if type(config.sip) ~= "table" then error("config.sip must be a table", 2) end
			sip = ffi.new("cr_sip_config_t")
			lib.cr_sip_config_init(sip)
			fill(sip, "sip", config.sip, SIP_CONFIG, 2)
			cfg.sip = sip
		end
	end
	local out = ffi.new("cr_relay_t *[1]")
	local buf = ffi.new("char[?]", lib.CR_MAX_ERROR_LEN)
	local err = lib.cr_relay_create(cfg, out, buf)
	if err ~= 0 then return failure(err, buf) end
	return { kind = "relay", ptr = ffi.gc(out[0], lib.cr_relay_destroy) }
end

function M.relay_destroy(handle)
	if type(handle) ~= "table" or handle.kind ~= "relay" then
		error("bad argument #1 (relay expected)", 2)
	end
	local ptr = handle.ptr
	if ptr ~= nil then
		handle.ptr = nil
		ffi.gc(ptr, nil)
		lib.cr_relay_destroy(ptr)
	end
end

function M.relay_event_fd(handle)
	return tonumber(lib.cr_relay_event_fd(check_open(handle, "relay", 2)))
end

local batch_size = 16
local batch

function M.relay_poll(handle, max)
	local ptr = check_open(handle, "relay", 2)
	max = max or 64
	if type(max) ~= "number" or max <= 0 then error("bad argument #2 (must be positive)", 2) end
	batch = batch or ffi.new("cr_event_t[?]", batch_size)
	local events, total = {}, 0
	while total < max do
		local want = math.min(batch_size, max - total)
		local n = lib.cr_relay_poll_events(ptr, batch, want)
		for i = 0, n - 1 do
			local e = batch[i]
			total = total + 1
			local type_name = lib.cr_event_type_to_string(e.type)
			events[total] = {
				type = type_name ~= nil and ffi.string(type_name) or ("unknown_" .. tonumber(e.type)),
				call_id = tonumber(e.call_id),
				time_us = tonumber(e.time_us), code = tonumber(e.code),
				value = tonumber(e.value), text = ffi.string(e.text),
			}
		end
		if n < want then break end
	end
	return events
end

function M.relay_stats(handle)
	local st = ffi.new("cr_relay_stats_t")
	lib.cr_relay_get_stats(check_open(handle, "relay", 2), st)
	return {
		workers = tonumber(st.workers), active_calls = tonumber(st.active_calls),
		calls_created = tonumber(st.calls_created), calls_closed = tonumber(st.calls_closed),
		events_dropped = tonumber(st.events_dropped), transcoded_calls = tonumber(st.transcoded_calls),
		max_calls = tonumber(st.max_calls), fds_per_call = tonumber(st.fds_per_call),
		fd_limit_was = tonumber(st.fd_limit_was), fd_limit = tonumber(st.fd_limit),
		fds_at_start = tonumber(st.fds_at_start), fd_exhausted = tonumber(st.fd_exhausted),
	}
end

local function close_call_ptr(ptr)
	lib.cr_call_close(ptr, "handle garbage-collected")
end

function M.call_create(relay)
	local rptr = check_open(relay, "relay", 2)
	local out = ffi.new("cr_call_t *[1]")
	local buf = ffi.new("char[?]", lib.CR_MAX_ERROR_LEN)
	local err = lib.cr_call_create(rptr, out, buf)
	if err ~= 0 then return failure(err, buf) end
	-- relay: keeps the relay's handle (and its finalizer) alive with the call.
	return { kind = "call", ptr = ffi.gc(out[0], close_call_ptr), relay = relay }
end

function M.call_adopt(relay, id)
	local rptr = check_open(relay, "relay", 2)
	local out = ffi.new("cr_call_t *[1]")
	local err = lib.cr_call_adopt(rptr, id, out)
	if err ~= 0 then return failure(err) end
	return { kind = "call", ptr = ffi.gc(out[0], close_call_ptr), relay = relay }
end

local function result(err, buf)
	if err ~= 0 then return failure(err, buf) end
	return true
end

local function media_local_table(loc)
	return {
		ice_ufrag = ffi.string(loc.ice_ufrag), ice_pwd = ffi.string(loc.ice_pwd),
		fingerprint = ffi.string(loc.fingerprint), sip_rtp_addr = ffi.string(loc.sip_rtp_addr),
		sip_rtp_port = tonumber(loc.sip_rtp_port), sip_rtcp_port = tonumber(loc.sip_rtcp_port),
	}
end

function M.call_media_local(handle)
	local loc = ffi.new("cr_media_local_t")
	local err = lib.cr_call_get_media_local(check_open(handle, "call", 2), loc)
	if err ~= 0 then return failure(err) end
	return media_local_table(loc)
end

function M.call_media_start(handle, params)
	local ptr = check_open(handle, "call", 2)
	if type(params) ~= "table" then error("bad argument #2 (table expected)", 2) end
	local p = ffi.new("cr_media_params_t")
	lib.cr_media_params_init(p)
	fill(p, "params", params, MEDIA_PARAMS, 2)
	local codecs = params.codecs or {}
	if #codecs > lib.CR_MAX_CODECS then
		error(("params.codecs has %d entries, at most %d"):format(#codecs, lib.CR_MAX_CODECS), 2)
	end
	for i, c in ipairs(codecs) do
		if type(c) ~= "table" then error(("params.codecs[%d] must be a table"):format(i), 2) end
		local entry = p.codecs[i - 1]
		entry.client_pt, entry.sip.pt, entry.sip.channels = -1, -1, 1
		fill_map_entry(entry, c, 2)
	end
	p.n_codecs = #codecs
	local buf = ffi.new("char[?]", lib.CR_MAX_ERROR_LEN)
	return result(lib.cr_call_media_start(ptr, p, buf), buf)
end

local function codec_array(list, level)
	if type(list) ~= "table" then error("codecs must be a list of tables", level + 1) end
	if #list > lib.CR_MAX_CODECS then
		error(("params.codecs has %d entries, at most %d"):format(#list, lib.CR_MAX_CODECS), level + 1)
	end
	local arr = ffi.new("cr_codec_map_t[?]", math.max(1, #list))
	for i, c in ipairs(list) do
		if type(c) ~= "table" then error(("params.codecs[%d] must be a table"):format(i), level + 1) end
		local entry = arr[i - 1]
		entry.client_pt, entry.sip.pt, entry.sip.channels = -1, -1, 1
		fill_map_entry(entry, c, level + 1)
	end
	return arr, #list
end

function M.call_set_codecs(handle, list)
	local ptr = check_open(handle, "call", 2)
	local arr, n = codec_array(list, 2)
	return result(lib.cr_call_set_codecs(ptr, arr, n))
end

local XCODEC = { { "pt", "int" }, { "name", "buf" }, { "clock_rate", "int" }, { "channels", "int" } }

-- A transcoding leg { pt, name, clock_rate, channels, dtmf_pt (0 = none),
-- dtmf_clock_rate }: its codec, and its telephone-event or nil.
local function xleg(t, what, n)
	if type(t) ~= "table" then error(("bad argument #%d (codec table expected)"):format(n), 3) end
	local c = ffi.new("cr_codec_t")
	c.pt, c.channels = -1, 1
	fill(c, what, t, XCODEC, 3)
	local dtmf
	fill({}, what, t, { { "dtmf_pt", "int" }, { "dtmf_clock_rate", "int" } }, 3)
	if t.dtmf_pt ~= nil and t.dtmf_pt ~= 0 then
		dtmf = ffi.new("cr_codec_t")
		dtmf.pt, dtmf.clock_rate, dtmf.channels = t.dtmf_pt, t.dtmf_clock_rate or 0, 1
		ffi.copy(dtmf.name, "telephone-event")
	end
	return c, dtmf
end

function M.call_set_transcode(handle, client, sip)
	local ptr = check_open(handle, "call", 2)
	local buf = ffi.new("char[?]", lib.CR_MAX_ERROR_LEN)
	if client == nil and sip == nil then
		return result(lib.cr_call_set_transcode(ptr, nil, nil, nil, nil, buf), buf)
	end
	local c, cd = xleg(client, "client", 2)
	local sc, sd = xleg(sip, "sip", 3)
	return result(lib.cr_call_set_transcode(ptr, c, cd, sc, sd, buf), buf)
end

local function check_string(v, n)
	if type(v) ~= "string" then error(("bad argument #%d (string expected)"):format(n), 3) end
	return v
end

function M.call_add_remote_candidate(handle, text)
	return result(lib.cr_call_add_remote_candidate(check_open(handle, "call", 2), check_string(text, 2)))
end

function M.call_end_of_candidates(handle)
	return result(lib.cr_call_end_of_candidates(check_open(handle, "call", 2)))
end

function M.call_watch_sip_media(handle, on)
	return result(lib.cr_call_watch_sip_media(check_open(handle, "call", 2), on and 1 or 0))
end

function M.call_set_remote_credentials(handle, ufrag, pwd)
	return result(lib.cr_call_set_remote_credentials(check_open(handle, "call", 2),
		check_string(ufrag, 2), check_string(pwd, 3)))
end

function M.call_set_remote_fingerprint(handle, fp)
	return result(lib.cr_call_set_remote_fingerprint(check_open(handle, "call", 2), check_string(fp, 2)))
end

function M.call_set_sip_remote(handle, addr, rtp, rtcp)
	if type(rtp) ~= "number" then error("bad argument #3 (number expected)", 2) end
	return result(lib.cr_call_set_sip_remote(check_open(handle, "call", 2), check_string(addr, 2),
		rtp, rtcp or 0))
end

function M.call_send_dtmf(handle, digit, duration_ms, volume)
	local ptr = check_open(handle, "call", 2)
	if type(digit) ~= "string" or #digit ~= 1 then error("bad argument #2 (one-character string expected)", 2) end
	if type(duration_ms) ~= "number" or duration_ms % 1 ~= 0 then error("bad argument #3 (integer expected)", 2) end
	if volume ~= nil and (type(volume) ~= "number" or volume % 1 ~= 0) then
		error("bad argument #4 (integer expected)", 2)
	end
	local buf = ffi.new("char[?]", lib.CR_MAX_ERROR_LEN)
	return result(lib.cr_call_send_dtmf(ptr, digit:byte(), duration_ms, volume or -1, buf), buf)
end

function M.call_ice_restart(handle)
	local loc = ffi.new("cr_media_local_t")
	local err = lib.cr_call_ice_restart(check_open(handle, "call", 2), loc)
	if err ~= 0 then return failure(err) end
	return media_local_table(loc)
end

local CALL_STATS = { "client_rx_packets", "client_rx_bytes", "client_tx_packets", "client_tx_bytes",
	"sip_rx_packets", "sip_rx_bytes", "sip_tx_packets", "sip_tx_bytes", "srtp_auth_failed", "dtls_bad",
	"ice_bad", "early_dropped", "sip_foreign", "unmapped_pt", "candidates_dropped", "dtmf_events",
	"transcoded_packets", "transcode_dropped", "sip_ssrc_dropped", "fast_rx_packets",
	"fast_tx_packets", "fast_stun_answered", "fast_fallbacks" }

function M.call_stats(handle)
	local s = ffi.new("cr_call_stats_t")
	local err = lib.cr_call_get_stats(check_open(handle, "call", 2), s)
	if err ~= 0 then return failure(err) end
	local t = { ice_state = tonumber(s.ice_state), dtls_state = tonumber(s.dtls_state),
		selected_pair = ffi.string(s.selected_pair), media_path = ffi.string(s.media_path) }
	for _, k in ipairs(CALL_STATS) do t[k] = tonumber(s[k]) end
	return t
end

local function text_of(get, ptr)
	local size = 4096
	for _ = 1, 2 do
		local buf = ffi.new("char[?]", size)
		local n = tonumber(get(ptr, buf, size))
		if n < 0 then return failure(n) end
		if n < size then return ffi.string(buf, n) end
		size = n + 1
	end
	return failure(lib.CR_ERR_INTERNAL)
end

function M.call_trace(handle)
	return text_of(lib.cr_call_get_trace, check_open(handle, "call", 2))
end

local SIP_STATS = { "invites_sent", "invites_received", "invites_rejected_limit", "options_sent",
	"options_ok", "trunk_up", "last_options_status", "last_options_rtt_ms", "registered", "sdp_rejected",
	"requests_untrusted", "invites_rejected_rate", "filter_drops", "filtered_sockets" }

function M.relay_sip_stats(handle)
	local s = ffi.new("cr_sip_stats_t")
	lib.cr_relay_get_sip_stats(check_open(handle, "relay", 2), s)
	local t = {}
	for _, k in ipairs(SIP_STATS) do t[k] = tonumber(s[k]) end
	t.trusted_sources = ffi.string(s.trusted_sources)
	return t
end

-- A SIP parameter block with its codec array in the same allocation, so the
-- array lives exactly as long as the parameters that point at it.
local sip_params_types = {}
local function new_sip_params(ctype)
	local t = sip_params_types[ctype]
	if not t then
		t = ffi.typeof("struct { " .. ctype .. " p; cr_codec_t codecs[$]; }", lib.CR_MAX_CODECS)
		sip_params_types[ctype] = t
	end
	return t()
end

-- params.codecs: a list of codec tables { name, pt (absent: our usual
-- number), clock_rate, channels } or names, into block.codecs.
local function sip_codecs(block, params, level)
	local p, list = block.p, params.codecs
	if list == nil then return end
	if type(list) ~= "table" then
		error("params.codecs must be a list of codec tables or names", level + 1)
	end
	if #list > lib.CR_MAX_CODECS then
		error(("params.codecs has %d entries, at most %d"):format(#list, lib.CR_MAX_CODECS), level + 1)
	end
	for i, c in ipairs(list) do
		local entry = block.codecs[i - 1]
		entry.pt = -1
		if type(c) == "string" then c = { name = c } end
		if type(c) ~= "table" then
			error(("params.codecs[%d] must be a codec table or a name"):format(i), level + 1)
		end
		fill(entry, "codec", c, XCODEC, level + 1)
	end
	p.codecs, p.n_codecs = block.codecs, #list
end

local function codec_table(c)
	return { pt = c.pt, name = ffi.string(c.name), clock_rate = c.clock_rate, channels = c.channels }
end

-- The SIP leg's media facts (cr_call_get_sip_media) as a table; seq 0: no
-- SDP from the trunk yet.
function M.call_sip_media(handle)
	local m = ffi.new("cr_sip_media_t")
	local err = lib.cr_call_get_sip_media(check_open(handle, "call", 2), m)
	if err ~= 0 then return failure(err) end
	local t = { seq = tonumber(m.seq), address = ffi.string(m.address), port = m.port, ptime = m.ptime,
		dtmf_pt = m.dtmf_pt, direction = ffi.string(m.direction), symmetric_rtp = m.symmetric_rtp ~= 0,
		codecs = {} }
	if m.has_chosen ~= 0 then t.chosen = codec_table(m.chosen) end
	for i = 0, math.min(m.n_codecs, lib.CR_MAX_CODECS) - 1 do t.codecs[i + 1] = codec_table(m.codecs[i]) end
	return t
end

function M.call_sip_dial(handle, params)
	local ptr = check_open(handle, "call", 2)
	if type(params) ~= "table" then error("bad argument #2 (table expected)", 2) end
	local block = new_sip_params("cr_sip_dial_params_t")
	lib.cr_sip_dial_params_init(block.p)
	fill(block.p, "params", params, DIAL, 2)
	sip_codecs(block, params, 2)
	local buf = ffi.new("char[?]", lib.CR_MAX_ERROR_LEN)
	return result(lib.cr_sip_dial(ptr, block.p, buf), buf)
end

function M.call_sip_ringing(handle)
	return result(lib.cr_sip_ringing(check_open(handle, "call", 2)))
end

function M.call_sip_answer(handle, params)
	local ptr = check_open(handle, "call", 2)
	if type(params) ~= "table" then error("bad argument #2 (table expected)", 2) end
	local block = new_sip_params("cr_sip_answer_params_t")
	lib.cr_sip_answer_params_init(block.p)
	fill(block.p, "params", params, ANSWER, 2)
	sip_codecs(block, params, 2)
	local buf = ffi.new("char[?]", lib.CR_MAX_ERROR_LEN)
	return result(lib.cr_sip_answer(ptr, block.p, buf), buf)
end

function M.call_sip_reject(handle, status)
	if type(status) ~= "number" then error("bad argument #2 (number expected)", 2) end
	return result(lib.cr_sip_reject(check_open(handle, "call", 2), status))
end

-- hangup([cause, text]): with a Q.850 cause and a text, the BYE says why
-- (RFC 3326 Reason header).
function M.call_sip_hangup(handle, cause, text)
	local h = check_open(handle, "call", 2)
	if cause == nil then return result(lib.cr_sip_hangup(h)) end
	if type(cause) ~= "number" or cause % 1 ~= 0 then
		error("bad argument #2 (integer expected)", 2)
	end
	return result(lib.cr_sip_hangup_reason(h, cause, check_string(text, 3)))
end

-- hold: true puts the trunk on hold (re-INVITE a=sendonly), false resumes.
function M.call_sip_hold(handle, hold)
	return result(lib.cr_sip_hold(check_open(handle, "call", 2), hold and 1 or 0))
end

function M.call_id(handle)
	return tonumber(lib.cr_call_id(check_open(handle, "call", 2)))
end

function M.call_close(handle, reason)
	if type(handle) ~= "table" or handle.kind ~= "call" then
		error("bad argument #1 (call expected)", 2)
	end
	if reason ~= nil and type(reason) ~= "string" then
		error("bad argument #2 (string expected)", 2)
	end
	local ptr = handle.ptr
	if ptr ~= nil then
		handle.ptr = nil
		ffi.gc(ptr, nil)
		lib.cr_call_close(ptr, reason)
	end
end

return M
