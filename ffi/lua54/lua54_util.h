/**
 * @file lua54_util.h  Table <-> struct helpers shared by the Lua 5.4 binding's files
 */
#ifndef CALLRELAY_LUA54_UTIL_H
#define CALLRELAY_LUA54_UTIL_H

#include <lauxlib.h>
#include <lua.h>

#include "callrelay.h"

#define RELAY_MT "callrelay.relay"
#define CALL_MT "callrelay.call"

typedef struct {
	cr_relay_t *relay; /* NULL once destroyed */
} relay_ud;

typedef struct {
	cr_call_t *call; /* NULL once closed */
} call_ud;

int cr_lua_push_failure(lua_State *L, int err, const char *msg);
cr_relay_t *cr_lua_check_relay(lua_State *L, int idx);
cr_call_t *cr_lua_check_call(lua_State *L, int idx);

/* Optional fields of the table at idx; raise a Lua error naming `what.key`
 * when a field has the wrong type. Strings are borrowed from the table,
 * valid while it is on the stack. */
int cr_lua_opt_int(lua_State *L, int idx, const char *what, const char *key, int def);
const char *cr_lua_opt_str(lua_State *L, int idx, const char *what, const char *key,
			   const char *def);
/* Copies an optional string field into a fixed buffer; raises if too long. */
void cr_lua_copy_str(lua_State *L, int idx, const char *what, const char *key, char *dst,
		     size_t size);

void cr_lua_set_int(lua_State *L, const char *key, lua_Integer v);
void cr_lua_set_str(lua_State *L, const char *key, const char *v);

void cr_lua_open_media(lua_State *L); /* adds media functions to the table on top */
void cr_lua_open_sip(lua_State *L);   /* adds SIP functions to the table on top */

#endif
