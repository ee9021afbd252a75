/**
 * @file version.c  Library version and error strings
 */
#include "callrelay.h"

#define CR_STR_(x) #x
#define CR_STR(x) CR_STR_(x)

const char *cr_version(void)
{
	return CR_STR(CR_VERSION_MAJOR) "." CR_STR(CR_VERSION_MINOR) "." CR_STR(CR_VERSION_PATCH);
}

const char *cr_error_to_string(int err)
{
	switch (err) {
	case CR_OK: return "success";
	case CR_ERR_INVALID: return "invalid argument";
	case CR_ERR_NOMEM: return "out of memory";
	case CR_ERR_PORTS: return "no free port in the configured range";
	case CR_ERR_CLOSED: return "closed";
	case CR_ERR_LIMIT: return "limit reached";
	case CR_ERR_INTERNAL: return "internal error";
	case CR_ERR_NOTFOUND: return "not found";
	case CR_ERR_UNSUPPORTED: return "not negotiated on this call";
	default: return "unknown error";
	}
}
