/**
 * @file error.c  Library version, error strings and names, error messages
 *
 * Layer 1 (docs/ARCHITECTURE.md): depends on nothing else in the relay.
 */
#include <stdarg.h>

#include <glib.h>

#include "error.h"

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

const char *cr_error_name(int err)
{
	switch (err) {
	case CR_OK: return "ok";
	case CR_ERR_INVALID: return "invalid";
	case CR_ERR_NOMEM: return "nomem";
	case CR_ERR_PORTS: return "ports";
	case CR_ERR_CLOSED: return "closed";
	case CR_ERR_LIMIT: return "limit";
	case CR_ERR_INTERNAL: return "internal";
	case CR_ERR_NOTFOUND: return "notfound";
	case CR_ERR_UNSUPPORTED: return "unsupported";
	default: return "unknown";
	}
}

int cr_set_error(char *err_buf, int err, const char *fmt, ...)
{
	va_list ap;

	if (err_buf) {
		va_start(ap, fmt);
		g_vsnprintf(err_buf, CR_MAX_ERROR_LEN, fmt, ap);
		va_end(ap);
	}
	return err;
}
