/**
 * @file callrelay_sip.c  Lua 5.4 binding: a call's SIP leg and the relay's SIP stats
 */
#include "lua54_util.h"

static int result(lua_State *L, int err, const char *msg)
{
	if (err)
		return cr_lua_push_failure(L, err, msg);
	lua_pushboolean(L, 1);
	return 1;
}

static int l_relay_sip_stats(lua_State *L)
{
	cr_sip_stats_t s;

	cr_relay_get_sip_stats(cr_lua_check_relay(L, 1), &s);
	lua_createtable(L, 0, 15);
	cr_lua_set_int(L, "invites_sent", (lua_Integer)s.invites_sent);
	cr_lua_set_int(L, "invites_received", (lua_Integer)s.invites_received);
	cr_lua_set_int(L, "invites_rejected_limit", (lua_Integer)s.invites_rejected_limit);
	cr_lua_set_int(L, "options_sent", (lua_Integer)s.options_sent);
	cr_lua_set_int(L, "options_ok", (lua_Integer)s.options_ok);
	cr_lua_set_int(L, "trunk_up", s.trunk_up);
	cr_lua_set_int(L, "last_options_status", s.last_options_status);
	cr_lua_set_int(L, "last_options_rtt_ms", s.last_options_rtt_ms);
	cr_lua_set_int(L, "registered", s.registered);
	cr_lua_set_int(L, "sdp_rejected", (lua_Integer)s.sdp_rejected);
	cr_lua_set_int(L, "requests_untrusted", (lua_Integer)s.requests_untrusted);
	cr_lua_set_int(L, "invites_rejected_rate", (lua_Integer)s.invites_rejected_rate);
	cr_lua_set_int(L, "filter_drops", (lua_Integer)s.filter_drops);
	cr_lua_set_int(L, "filtered_sockets", s.filtered_sockets);
	lua_pushstring(L, s.trusted_sources);
	lua_setfield(L, -2, "trusted_sources");
	return 1;
}

static int l_call_sip_dial(lua_State *L)
{
	cr_call_t *call = cr_lua_check_call(L, 1);
	cr_sip_dial_params_t p;
	char msg[CR_MAX_ERROR_LEN] = "";

	luaL_checktype(L, 2, LUA_TTABLE);
	cr_sip_dial_params_init(&p);
	p.number = cr_lua_opt_str(L, 2, "params", "number", NULL);
	p.caller_id = cr_lua_opt_str(L, 2, "params", "caller_id", NULL);
	p.display_name = cr_lua_opt_str(L, 2, "params", "display_name", NULL);
	p.codecs = cr_lua_opt_str(L, 2, "params", "codecs", NULL);
	p.local_rtp_address = cr_lua_opt_str(L, 2, "params", "local_rtp_address", NULL);
	p.local_rtp_port = cr_lua_opt_int(L, 2, "params", "local_rtp_port", 0);
	p.ptime = cr_lua_opt_int(L, 2, "params", "ptime", 0);
	p.telephone_event = cr_lua_opt_int(L, 2, "params", "telephone_event", p.telephone_event);
	return result(L, cr_sip_dial(call, &p, msg), msg);
}

static int l_call_sip_ringing(lua_State *L)
{
	return result(L, cr_sip_ringing(cr_lua_check_call(L, 1)), NULL);
}

static int l_call_sip_answer(lua_State *L)
{
	cr_call_t *call = cr_lua_check_call(L, 1);
	cr_sip_answer_params_t p;
	char msg[CR_MAX_ERROR_LEN] = "";

	luaL_checktype(L, 2, LUA_TTABLE);
	cr_sip_answer_params_init(&p);
	p.codecs = cr_lua_opt_str(L, 2, "params", "codecs", NULL);
	p.local_rtp_address = cr_lua_opt_str(L, 2, "params", "local_rtp_address", NULL);
	p.local_rtp_port = cr_lua_opt_int(L, 2, "params", "local_rtp_port", 0);
	p.ptime = cr_lua_opt_int(L, 2, "params", "ptime", 0);
	p.telephone_event = cr_lua_opt_int(L, 2, "params", "telephone_event", p.telephone_event);
	return result(L, cr_sip_answer(call, &p, msg), msg);
}

static int l_call_sip_reject(lua_State *L)
{
	cr_call_t *call = cr_lua_check_call(L, 1);

	return result(L, cr_sip_reject(call, (int)luaL_checkinteger(L, 2)), NULL);
}

/* hangup([cause, text]): with a Q.850 cause and a text, the BYE says why
 * (RFC 3326 Reason header). */
static int l_call_sip_hangup(lua_State *L)
{
	cr_call_t *call = cr_lua_check_call(L, 1);

	if (lua_isnoneornil(L, 2))
		return result(L, cr_sip_hangup(call), NULL);
	if (!lua_isinteger(L, 2)) /* the FFI backend takes no "16" either */
		return luaL_typeerror(L, 2, "integer");
	return result(L, cr_sip_hangup_reason(call, (int)luaL_checkinteger(L, 2), luaL_checkstring(L, 3)),
		      NULL);
}

/* hold: true puts the trunk on hold (re-INVITE a=sendonly), false resumes. */
static int l_call_sip_hold(lua_State *L)
{
	return result(L, cr_sip_hold(cr_lua_check_call(L, 1), lua_toboolean(L, 2)), NULL);
}

static const luaL_Reg sip_functions[] = {
	{ "relay_sip_stats", l_relay_sip_stats },
	{ "call_sip_dial", l_call_sip_dial },
	{ "call_sip_ringing", l_call_sip_ringing },
	{ "call_sip_answer", l_call_sip_answer },
	{ "call_sip_reject", l_call_sip_reject },
	{ "call_sip_hangup", l_call_sip_hangup },
	{ "call_sip_hold", l_call_sip_hold },
	{ NULL, NULL }
};

void cr_lua_open_sip(lua_State *L)
{
	luaL_setfuncs(L, sip_functions, 0);
}
