/**
 * @file callrelay_media.c  Lua 5.4 binding: a call's media plane
 *
 * Conversions only: tables in, structs to libcallrelay, tables out. The
 * names mirror ffi/callrelay/ffi_backend.lua; ffi/callrelay.lua shapes both.
 */
#include <stdbool.h>
#include <string.h>

#include "lua54_util.h"

static int result(lua_State *L, int err);

static void push_media_local(lua_State *L, const cr_media_local_t *loc)
{
	lua_createtable(L, 0, 6);
	cr_lua_set_str(L, "ice_ufrag", loc->ice_ufrag);
	cr_lua_set_str(L, "ice_pwd", loc->ice_pwd);
	cr_lua_set_str(L, "fingerprint", loc->fingerprint);
	cr_lua_set_str(L, "sip_rtp_addr", loc->sip_rtp_addr);
	cr_lua_set_int(L, "sip_rtp_port", loc->sip_rtp_port);
	cr_lua_set_int(L, "sip_rtcp_port", loc->sip_rtcp_port);
}

static int l_call_media_local(lua_State *L)
{
	cr_media_local_t loc;
	int err = cr_call_get_media_local(cr_lua_check_call(L, 1), &loc);

	if (err)
		return cr_lua_push_failure(L, err, NULL);
	push_media_local(L, &loc);
	return 1;
}

/* Reads the codec list on top of the stack (popping it) into p. */
static void read_codec_list(lua_State *L, cr_media_params_t *p)
{
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "params.codecs must be a list of tables");
	int n = (int)luaL_len(L, -1);
	if (n > CR_MAX_CODECS)
		luaL_error(L, "params.codecs has %d entries, at most %d", n, CR_MAX_CODECS);
	for (int i = 1; i <= n; i++) {
		cr_codec_map_t *c = &p->codecs[i - 1];

		lua_rawgeti(L, -1, i);
		if (!lua_istable(L, -1))
			luaL_error(L, "params.codecs[%d] must be a table", i);
		int t = lua_gettop(L);
		c->client_pt = cr_lua_opt_int(L, t, "codec", "client_pt", -1);
		/* The Lua table is flat: { client_pt, sip_pt, name, clock_rate, channels }. */
		c->sip.pt = cr_lua_opt_int(L, t, "codec", "sip_pt", -1);
		cr_lua_copy_str(L, t, "codec", "name", c->sip.name, sizeof(c->sip.name));
		c->sip.clock_rate = cr_lua_opt_int(L, t, "codec", "clock_rate", 0);
		c->sip.channels = cr_lua_opt_int(L, t, "codec", "channels", 1);
		lua_pop(L, 1);
	}
	p->n_codecs = n;
	lua_pop(L, 1);
}

static void read_codecs(lua_State *L, int idx, cr_media_params_t *p)
{
	lua_getfield(L, idx, "codecs");
	read_codec_list(L, p);
}

static int l_call_set_codecs(lua_State *L)
{
	cr_call_t *call = cr_lua_check_call(L, 1);
	cr_media_params_t p;

	luaL_checktype(L, 2, LUA_TTABLE);
	cr_media_params_init(&p);
	lua_pushvalue(L, 2);
	read_codec_list(L, &p);
	return result(L, cr_call_set_codecs(call, p.codecs, p.n_codecs));
}

/* Reads a transcoding leg { pt, name, clock_rate, channels, dtmf_pt,
 * dtmf_clock_rate } at idx: its codec, and its telephone-event into dtmf
 * (*has_dtmf false when dtmf_pt is 0 or absent). */
static void read_leg(lua_State *L, int idx, const char *what, cr_codec_t *c, cr_codec_t *dtmf,
		     bool *has_dtmf)
{
	luaL_argcheck(L, lua_istable(L, idx), idx, "codec table expected");
	memset(c, 0, sizeof(*c));
	memset(dtmf, 0, sizeof(*dtmf));
	c->pt = cr_lua_opt_int(L, idx, what, "pt", -1);
	cr_lua_copy_str(L, idx, what, "name", c->name, sizeof(c->name));
	c->clock_rate = cr_lua_opt_int(L, idx, what, "clock_rate", 0);
	c->channels = cr_lua_opt_int(L, idx, what, "channels", 1);
	dtmf->pt = cr_lua_opt_int(L, idx, what, "dtmf_pt", 0);
	memcpy(dtmf->name, "telephone-event", sizeof("telephone-event"));
	dtmf->clock_rate = cr_lua_opt_int(L, idx, what, "dtmf_clock_rate", 0);
	dtmf->channels = 1;
	*has_dtmf = dtmf->pt != 0;
}

static int l_call_set_transcode(lua_State *L)
{
	cr_call_t *call = cr_lua_check_call(L, 1);
	cr_codec_t client, client_dtmf, sip, sip_dtmf;
	bool client_has_dtmf, sip_has_dtmf;
	char msg[CR_MAX_ERROR_LEN] = "";
	int err;

	if (lua_isnoneornil(L, 2) && lua_isnoneornil(L, 3)) {
		err = cr_call_set_transcode(call, NULL, NULL, NULL, NULL, msg);
	} else {
		read_leg(L, 2, "client", &client, &client_dtmf, &client_has_dtmf);
		read_leg(L, 3, "sip", &sip, &sip_dtmf, &sip_has_dtmf);
		err = cr_call_set_transcode(call, &client, client_has_dtmf ? &client_dtmf : NULL, &sip,
					    sip_has_dtmf ? &sip_dtmf : NULL, msg);
	}
	if (err)
		return cr_lua_push_failure(L, err, msg);
	lua_pushboolean(L, 1);
	return 1;
}

static int l_call_media_start(lua_State *L)
{
	cr_call_t *call = cr_lua_check_call(L, 1);
	cr_media_params_t p;
	char msg[CR_MAX_ERROR_LEN] = "";
	int err;

	luaL_checktype(L, 2, LUA_TTABLE);
	cr_media_params_init(&p);
	p.ice_controlling = cr_lua_opt_int(L, 2, "params", "ice_controlling", p.ice_controlling);
	p.rtcp_mux = cr_lua_opt_int(L, 2, "params", "rtcp_mux", p.rtcp_mux);
	p.dtls_role = cr_lua_opt_int(L, 2, "params", "dtls_role", p.dtls_role);
	cr_lua_copy_str(L, 2, "params", "remote_ufrag", p.remote_ufrag, sizeof(p.remote_ufrag));
	cr_lua_copy_str(L, 2, "params", "remote_pwd", p.remote_pwd, sizeof(p.remote_pwd));
	cr_lua_copy_str(L, 2, "params", "remote_fingerprint", p.remote_fingerprint,
			sizeof(p.remote_fingerprint));
	cr_lua_copy_str(L, 2, "params", "sip_remote_addr", p.sip_remote_addr,
			sizeof(p.sip_remote_addr));
	p.sip_remote_port = cr_lua_opt_int(L, 2, "params", "sip_remote_port", 0);
	p.sip_remote_rtcp_port = cr_lua_opt_int(L, 2, "params", "sip_remote_rtcp_port", 0);
	p.sip_latch = cr_lua_opt_int(L, 2, "params", "sip_latch", 0);
	cr_lua_copy_str(L, 2, "params", "sip_latch_addr", p.sip_latch_addr, sizeof(p.sip_latch_addr));
	read_codecs(L, 2, &p);
	err = cr_call_media_start(call, &p, msg);
	if (err)
		return cr_lua_push_failure(L, err, msg);
	lua_pushboolean(L, 1);
	return 1;
}

static int result(lua_State *L, int err)
{
	if (err)
		return cr_lua_push_failure(L, err, NULL);
	lua_pushboolean(L, 1);
	return 1;
}

static int l_call_add_remote_candidate(lua_State *L)
{
	cr_call_t *call = cr_lua_check_call(L, 1);

	return result(L, cr_call_add_remote_candidate(call, luaL_checkstring(L, 2)));
}

static int l_call_end_of_candidates(lua_State *L)
{
	return result(L, cr_call_end_of_candidates(cr_lua_check_call(L, 1)));
}

static int l_call_watch_sip_media(lua_State *L)
{
	return result(L, cr_call_watch_sip_media(cr_lua_check_call(L, 1), lua_toboolean(L, 2)));
}

static int l_call_set_remote_credentials(lua_State *L)
{
	cr_call_t *call = cr_lua_check_call(L, 1);

	return result(L, cr_call_set_remote_credentials(call, luaL_checkstring(L, 2),
							 luaL_checkstring(L, 3)));
}

static int l_call_set_remote_fingerprint(lua_State *L)
{
	cr_call_t *call = cr_lua_check_call(L, 1);

	return result(L, cr_call_set_remote_fingerprint(call, luaL_checkstring(L, 2)));
}

static int l_call_set_sip_remote(lua_State *L)
{
	cr_call_t *call = cr_lua_check_call(L, 1);
	const char *addr = luaL_checkstring(L, 2);
	int rtp = (int)luaL_checkinteger(L, 3);
	int rtcp = (int)luaL_optinteger(L, 4, 0);

	return result(L, cr_call_set_sip_remote(call, addr, rtp, rtcp));
}

static int l_call_send_dtmf(lua_State *L)
{
	cr_call_t *call = cr_lua_check_call(L, 1);
	size_t len;
	/* A string, not a number coerced to one: the FFI backend is as strict. */
	const char *digit = (luaL_checktype(L, 2, LUA_TSTRING), lua_tolstring(L, 2, &len));
	int duration = (int)luaL_checkinteger(L, 3);
	int volume = (int)luaL_optinteger(L, 4, -1);
	char msg[CR_MAX_ERROR_LEN] = "";
	int err;

	luaL_argcheck(L, len == 1, 2, "one-character string expected");
	err = cr_call_send_dtmf(call, digit[0], duration, volume, msg);
	if (err)
		return cr_lua_push_failure(L, err, msg);
	lua_pushboolean(L, 1);
	return 1;
}

static int l_call_ice_restart(lua_State *L)
{
	cr_media_local_t loc;
	int err = cr_call_ice_restart(cr_lua_check_call(L, 1), &loc);

	if (err)
		return cr_lua_push_failure(L, err, NULL);
	push_media_local(L, &loc);
	return 1;
}

static int l_call_stats(lua_State *L)
{
	cr_call_stats_t s;
	int err = cr_call_get_stats(cr_lua_check_call(L, 1), &s);

	if (err)
		return cr_lua_push_failure(L, err, NULL);
	lua_createtable(L, 0, 21);
	cr_lua_set_int(L, "ice_state", s.ice_state);
	cr_lua_set_int(L, "dtls_state", s.dtls_state);
	cr_lua_set_str(L, "selected_pair", s.selected_pair);
	cr_lua_set_int(L, "client_rx_packets", (lua_Integer)s.client_rx_packets);
	cr_lua_set_int(L, "client_rx_bytes", (lua_Integer)s.client_rx_bytes);
	cr_lua_set_int(L, "client_tx_packets", (lua_Integer)s.client_tx_packets);
	cr_lua_set_int(L, "client_tx_bytes", (lua_Integer)s.client_tx_bytes);
	cr_lua_set_int(L, "sip_rx_packets", (lua_Integer)s.sip_rx_packets);
	cr_lua_set_int(L, "sip_rx_bytes", (lua_Integer)s.sip_rx_bytes);
	cr_lua_set_int(L, "sip_tx_packets", (lua_Integer)s.sip_tx_packets);
	cr_lua_set_int(L, "sip_tx_bytes", (lua_Integer)s.sip_tx_bytes);
	cr_lua_set_int(L, "srtp_auth_failed", (lua_Integer)s.srtp_auth_failed);
	cr_lua_set_int(L, "dtls_bad", (lua_Integer)s.dtls_bad);
	cr_lua_set_int(L, "ice_bad", (lua_Integer)s.ice_bad);
	cr_lua_set_int(L, "early_dropped", (lua_Integer)s.early_dropped);
	cr_lua_set_int(L, "sip_foreign", (lua_Integer)s.sip_foreign);
	cr_lua_set_int(L, "unmapped_pt", (lua_Integer)s.unmapped_pt);
	cr_lua_set_int(L, "candidates_dropped", (lua_Integer)s.candidates_dropped);
	cr_lua_set_int(L, "dtmf_events", (lua_Integer)s.dtmf_events);
	cr_lua_set_str(L, "media_path", s.media_path);
	cr_lua_set_int(L, "transcoded_packets", (lua_Integer)s.transcoded_packets);
	cr_lua_set_int(L, "transcode_dropped", (lua_Integer)s.transcode_dropped);
	cr_lua_set_int(L, "sip_ssrc_dropped", (lua_Integer)s.sip_ssrc_dropped);
	cr_lua_set_int(L, "fast_rx_packets", (lua_Integer)s.fast_rx_packets);
	cr_lua_set_int(L, "fast_tx_packets", (lua_Integer)s.fast_tx_packets);
	cr_lua_set_int(L, "fast_stun_answered", (lua_Integer)s.fast_stun_answered);
	cr_lua_set_int(L, "fast_fallbacks", (lua_Integer)s.fast_fallbacks);
	return 1;
}

/* Text getters that report the full length: grow the buffer once. */
typedef int (*text_getter)(cr_call_t *call, char *buf, size_t len);

static int push_text(lua_State *L, cr_call_t *call, text_getter get)
{
	char small[4096];
	int n = get(call, small, sizeof(small));

	if (n < 0)
		return cr_lua_push_failure(L, n, NULL);
	if ((size_t)n < sizeof(small)) {
		lua_pushlstring(L, small, (size_t)n);
		return 1;
	}
	luaL_Buffer b;
	char *big = luaL_buffinitsize(L, &b, (size_t)n + 1);
	int m = get(call, big, (size_t)n + 1);
	if (m < 0)
		return cr_lua_push_failure(L, m, NULL);
	luaL_pushresultsize(&b, (size_t)(m < n ? m : n));
	return 1;
}

static int l_call_trace(lua_State *L)
{
	return push_text(L, cr_lua_check_call(L, 1), cr_call_get_trace);
}

static const luaL_Reg media_functions[] = {
	{ "call_media_local", l_call_media_local },
	{ "call_media_start", l_call_media_start },
	{ "call_add_remote_candidate", l_call_add_remote_candidate },
	{ "call_end_of_candidates", l_call_end_of_candidates },
	{ "call_watch_sip_media", l_call_watch_sip_media },
	{ "call_set_remote_credentials", l_call_set_remote_credentials },
	{ "call_set_remote_fingerprint", l_call_set_remote_fingerprint },
	{ "call_set_sip_remote", l_call_set_sip_remote },
	{ "call_set_codecs", l_call_set_codecs },
	{ "call_send_dtmf", l_call_send_dtmf },
	{ "call_set_transcode", l_call_set_transcode },
	{ "call_ice_restart", l_call_ice_restart },
	{ "call_stats", l_call_stats },
	{ "call_trace", l_call_trace },
	{ NULL, NULL }
};

void cr_lua_open_media(lua_State *L)
{
	luaL_setfuncs(L, media_functions, 0);
}
