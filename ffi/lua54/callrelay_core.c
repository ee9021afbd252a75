/**
 * @file callrelay_core.c  Lua 5.4 binding of libcallrelay (the non-FFI backend)
 *
 * Debian's Prosody runs Lua 5.4, which has no FFI, so this small module
 * exposes the same flat backend functions as ffi/callrelay/ffi_backend.lua.
 * It stays thin: no decisions, only conversions between Lua values and the
 * public header's types. ffi/callrelay.lua builds the user-facing objects.
 *
 * Misuse (wrong argument types) raises; runtime failures return
 * nil, message, error-name.
 */
#include <string.h>

#include "lua54_util.h"

#define POLL_BATCH 64

int luaopen_callrelay_core(lua_State *L);

int cr_lua_push_failure(lua_State *L, int err, const char *msg)
{
	lua_pushnil(L);
	lua_pushstring(L, msg && msg[0] ? msg : cr_error_to_string(err));
	lua_pushstring(L, cr_error_name(err));
	return 3;
}

static relay_ud *check_relay(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, RELAY_MT);
}

static cr_relay_t *check_open_relay(lua_State *L, int idx)
{
	relay_ud *ud = check_relay(L, idx);

	luaL_argcheck(L, ud->relay != NULL, idx, "relay is closed");
	return ud->relay;
}

cr_relay_t *cr_lua_check_relay(lua_State *L, int idx)
{
	return check_open_relay(L, idx);
}

static call_ud *check_call(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, CALL_MT);
}

cr_call_t *cr_lua_check_call(lua_State *L, int idx)
{
	call_ud *ud = check_call(L, idx);

	luaL_argcheck(L, ud->call != NULL, idx, "call is closed");
	return ud->call;
}

int cr_lua_opt_int(lua_State *L, int idx, const char *what, const char *key, int def)
{
	int isnum, v;

	lua_getfield(L, idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return def;
	}
	if (lua_isboolean(L, -1)) {
		v = lua_toboolean(L, -1);
		lua_pop(L, 1);
		return v;
	}
	v = (int)lua_tointegerx(L, -1, &isnum);
	if (!isnum)
		luaL_error(L, "%s.%s must be an integer", what, key);
	lua_pop(L, 1);
	return v;
}

const char *cr_lua_opt_str(lua_State *L, int idx, const char *what, const char *key,
			   const char *def)
{
	const char *s;

	lua_getfield(L, idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return def;
	}
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "%s.%s must be a string", what, key);
	s = lua_tostring(L, -1);
	lua_pop(L, 1); /* still referenced by the table at idx */
	return s;
}

void cr_lua_copy_str(lua_State *L, int idx, const char *what, const char *key, char *dst,
		     size_t size)
{
	const char *s = cr_lua_opt_str(L, idx, what, key, "");

	if (strlen(s) >= size)
		luaL_error(L, "%s.%s is longer than %d bytes", what, key, (int)size - 1);
	strcpy(dst, s);
}

void cr_lua_set_int(lua_State *L, const char *key, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, key);
}

void cr_lua_set_str(lua_State *L, const char *key, const char *v)
{
	lua_pushstring(L, v);
	lua_setfield(L, -2, key);
}

static int l_version(lua_State *L)
{
	lua_pushstring(L, cr_version());
	return 1;
}

static void read_media_config(lua_State *L, int t, cr_media_config_t *m)
{
	cr_media_config_init(m);
	m->ice_addresses = cr_lua_opt_str(L, t, "media", "ice_addresses", NULL);
	m->ice_port_min = cr_lua_opt_int(L, t, "media", "ice_port_min", 0);
	m->ice_port_max = cr_lua_opt_int(L, t, "media", "ice_port_max", 0);
	m->stun_server = cr_lua_opt_str(L, t, "media", "stun_server", NULL);
	m->stun_port = cr_lua_opt_int(L, t, "media", "stun_port", 0);
	m->turn_server = cr_lua_opt_str(L, t, "media", "turn_server", NULL);
	m->turn_port = cr_lua_opt_int(L, t, "media", "turn_port", 0);
	m->turn_username = cr_lua_opt_str(L, t, "media", "turn_username", NULL);
	m->turn_password = cr_lua_opt_str(L, t, "media", "turn_password", NULL);
	m->sip_rtp_address = cr_lua_opt_str(L, t, "media", "sip_rtp_address", NULL);
	m->sip_port_min = cr_lua_opt_int(L, t, "media", "sip_port_min", 0);
	m->sip_port_max = cr_lua_opt_int(L, t, "media", "sip_port_max", 0);
	m->certificate_file = cr_lua_opt_str(L, t, "media", "certificate_file", NULL);
	m->private_key_file = cr_lua_opt_str(L, t, "media", "private_key_file", NULL);
	m->media_timeout_ms = cr_lua_opt_int(L, t, "media", "media_timeout_ms", 0);
	m->sip_media_timeout_ms = cr_lua_opt_int(L, t, "media", "sip_media_timeout_ms", 0);
}

static void read_sip_config(lua_State *L, int t, cr_sip_config_t *s)
{
	cr_sip_config_init(s);
	s->listen_uri = cr_lua_opt_str(L, t, "sip", "listen_uri", NULL);
	s->tls_listen_uri = cr_lua_opt_str(L, t, "sip", "tls_listen_uri", NULL);
	s->tls_cert_dir = cr_lua_opt_str(L, t, "sip", "tls_cert_dir", NULL);
	s->trunk_uri = cr_lua_opt_str(L, t, "sip", "trunk_uri", NULL);
	s->outbound_proxy = cr_lua_opt_str(L, t, "sip", "outbound_proxy", NULL);
	s->username = cr_lua_opt_str(L, t, "sip", "username", NULL);
	s->password = cr_lua_opt_str(L, t, "sip", "password", NULL);
	s->from_domain = cr_lua_opt_str(L, t, "sip", "from_domain", NULL);
	s->register_expires = cr_lua_opt_int(L, t, "sip", "register_expires", 0);
	s->user_agent = cr_lua_opt_str(L, t, "sip", "user_agent", NULL);
	s->options_interval = cr_lua_opt_int(L, t, "sip", "options_interval", 0);
	s->session_expires = cr_lua_opt_int(L, t, "sip", "session_expires", 0);
	s->symmetric_rtp = cr_lua_opt_int(L, t, "sip", "symmetric_rtp", 0);
	s->trusted_sources = cr_lua_opt_str(L, t, "sip", "trusted_sources", NULL);
	s->source_filter = cr_lua_opt_int(L, t, "sip", "source_filter", 0);
	s->invite_rate = cr_lua_opt_int(L, t, "sip", "invite_rate", 0);
}

static int l_relay_create(lua_State *L)
{
	cr_relay_config_t cfg;
	cr_media_config_t media;
	cr_sip_config_t sip;
	char msg[CR_MAX_ERROR_LEN] = "";
	relay_ud *ud;
	int err;

	cr_relay_config_init(&cfg);
	if (!lua_isnoneornil(L, 1)) {
		luaL_checktype(L, 1, LUA_TTABLE);
		cfg.workers = cr_lua_opt_int(L, 1, "config", "workers", cfg.workers);
		cfg.max_calls = cr_lua_opt_int(L, 1, "config", "max_calls", cfg.max_calls);
		cfg.event_queue = cr_lua_opt_int(L, 1, "config", "event_queue", cfg.event_queue);
		cfg.max_transcoded_calls = cr_lua_opt_int(L, 1, "config", "max_transcoded_calls",
							  cfg.max_transcoded_calls);
		cfg.media_tick_us = cr_lua_opt_int(L, 1, "config", "media_tick_us", cfg.media_tick_us);
		lua_getfield(L, 1, "media");
		if (!lua_isnil(L, -1)) {
			luaL_argcheck(L, lua_istable(L, -1), 1, "config.media must be a table");
			read_media_config(L, lua_gettop(L), &media);
			cfg.media = &media;
		}
		lua_getfield(L, 1, "sip");
		if (!lua_isnil(L, -1)) {
			luaL_argcheck(L, lua_istable(L, -1), 1, "config.sip must be a table");
			read_sip_config(L, lua_gettop(L), &sip);
			cfg.sip = &sip;
		}
	}
	ud = lua_newuserdatauv(L, sizeof(*ud), 0);
	ud->relay = NULL;
	luaL_setmetatable(L, RELAY_MT);
	err = cr_relay_create(&cfg, &ud->relay, msg);
	if (err)
		return cr_lua_push_failure(L, err, msg);
	return 1;
}

static int l_relay_destroy(lua_State *L)
{
	relay_ud *ud = check_relay(L, 1);

	if (ud->relay) {
		cr_relay_destroy(ud->relay);
		ud->relay = NULL;
	}
	return 0;
}

static int l_relay_event_fd(lua_State *L)
{
	lua_pushinteger(L, cr_relay_event_fd(check_open_relay(L, 1)));
	return 1;
}

static int l_relay_poll(lua_State *L)
{
	cr_relay_t *relay = check_open_relay(L, 1);
	lua_Integer max = luaL_optinteger(L, 2, POLL_BATCH);
	cr_event_t batch[16];
	int total = 0;

	luaL_argcheck(L, max > 0, 2, "must be positive");
	lua_newtable(L);
	while (total < max) {
		int want = (int)(max - total < 16 ? max - total : 16);
		int n = cr_relay_poll_events(relay, batch, want);

		for (int i = 0; i < n; i++) {
			const char *type_name = cr_event_type_to_string(batch[i].type);

			lua_createtable(L, 0, 6);
			if (type_name)
				lua_pushstring(L, type_name);
			else
				lua_pushfstring(L, "unknown_%d", batch[i].type);
			lua_setfield(L, -2, "type");
			lua_pushinteger(L, batch[i].call_id);
			lua_setfield(L, -2, "call_id");
			lua_pushinteger(L, batch[i].time_us);
			lua_setfield(L, -2, "time_us");
			lua_pushinteger(L, batch[i].code);
			lua_setfield(L, -2, "code");
			lua_pushinteger(L, batch[i].value);
			lua_setfield(L, -2, "value");
			lua_pushstring(L, batch[i].text);
			lua_setfield(L, -2, "text");
			lua_rawseti(L, -2, ++total);
		}
		if (n < want)
			break;
	}
	return 1;
}

static int l_relay_stats(lua_State *L)
{
	cr_relay_stats_t st;

	cr_relay_get_stats(check_open_relay(L, 1), &st);
	lua_createtable(L, 0, 12);
	lua_pushinteger(L, st.workers);
	lua_setfield(L, -2, "workers");
	lua_pushinteger(L, st.active_calls);
	lua_setfield(L, -2, "active_calls");
	lua_pushinteger(L, (lua_Integer)st.calls_created);
	lua_setfield(L, -2, "calls_created");
	lua_pushinteger(L, (lua_Integer)st.calls_closed);
	lua_setfield(L, -2, "calls_closed");
	lua_pushinteger(L, (lua_Integer)st.events_dropped);
	lua_setfield(L, -2, "events_dropped");
	lua_pushinteger(L, st.transcoded_calls);
	lua_setfield(L, -2, "transcoded_calls");
	lua_pushinteger(L, st.max_calls);
	lua_setfield(L, -2, "max_calls");
	lua_pushinteger(L, st.fds_per_call);
	lua_setfield(L, -2, "fds_per_call");
	lua_pushinteger(L, (lua_Integer)st.fd_limit_was);
	lua_setfield(L, -2, "fd_limit_was");
	lua_pushinteger(L, (lua_Integer)st.fd_limit);
	lua_setfield(L, -2, "fd_limit");
	lua_pushinteger(L, st.fds_at_start);
	lua_setfield(L, -2, "fds_at_start");
	lua_pushinteger(L, (lua_Integer)st.fd_exhausted);
	lua_setfield(L, -2, "fd_exhausted");
	return 1;
}

static int l_call_create(lua_State *L)
{
	cr_relay_t *relay = check_open_relay(L, 1);
	char msg[CR_MAX_ERROR_LEN] = "";
	call_ud *ud;
	int err;

	ud = lua_newuserdatauv(L, sizeof(*ud), 1);
	ud->call = NULL;
	luaL_setmetatable(L, CALL_MT);
	/* The call keeps its relay's userdata alive. */
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, -2, 1);
	err = cr_call_create(relay, &ud->call, msg);
	if (err)
		return cr_lua_push_failure(L, err, msg);
	return 1;
}

static int l_call_adopt(lua_State *L)
{
	cr_relay_t *relay = check_open_relay(L, 1);
	lua_Integer id = luaL_checkinteger(L, 2);
	call_ud *ud;
	int err;

	ud = lua_newuserdatauv(L, sizeof(*ud), 1);
	ud->call = NULL;
	luaL_setmetatable(L, CALL_MT);
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, -2, 1);
	err = cr_call_adopt(relay, (uint32_t)id, &ud->call);
	if (err)
		return cr_lua_push_failure(L, err, NULL);
	return 1;
}

static int l_call_id(lua_State *L)
{
	call_ud *ud = check_call(L, 1);

	luaL_argcheck(L, ud->call != NULL, 1, "call is closed");
	lua_pushinteger(L, cr_call_id(ud->call));
	return 1;
}

static int l_call_close(lua_State *L)
{
	call_ud *ud = check_call(L, 1);
	const char *reason = luaL_optstring(L, 2, NULL);

	if (ud->call) {
		cr_call_close(ud->call, reason);
		ud->call = NULL;
	}
	return 0;
}

static int l_call_gc(lua_State *L)
{
	call_ud *ud = check_call(L, 1);

	if (ud->call) {
		cr_call_close(ud->call, "handle garbage-collected");
		ud->call = NULL;
	}
	return 0;
}

static const luaL_Reg functions[] = {
	{ "version", l_version },
	{ "relay_create", l_relay_create },
	{ "relay_destroy", l_relay_destroy },
	{ "relay_event_fd", l_relay_event_fd },
	{ "relay_poll", l_relay_poll },
	{ "relay_stats", l_relay_stats },
	{ "call_create", l_call_create },
	{ "call_adopt", l_call_adopt },
	{ "call_id", l_call_id },
	{ "call_close", l_call_close },
	{ NULL, NULL }
};

int luaopen_callrelay_core(lua_State *L)
{
	luaL_newmetatable(L, RELAY_MT);
	lua_pushcfunction(L, l_relay_destroy);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
	luaL_newmetatable(L, CALL_MT);
	lua_pushcfunction(L, l_call_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
	luaL_newlib(L, functions);
	cr_lua_open_media(L);
	cr_lua_open_sip(L);
	lua_pushstring(L, "lua54");
	lua_setfield(L, -2, "name");
	return 1;
}
