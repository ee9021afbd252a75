/**
 * @file callrelay.h  libcallrelay: the media and SIP plane of jingle-sip
 *
 * This header is the whole contract between the relay and its users (the
 * Lua binding, the LuaJIT FFI declarations in ffi/callrelay/cdef.lua, and the
 * C tests). It uses plain C types only: no GLib, libnice, OpenSSL or Sofia
 * types leak through it, so `ffi.cdef` can read the declarations between the
 * CR_CDEF_BEGIN and CR_CDEF_END markers verbatim.
 *
 * Threading: every function is safe to call from one controlling thread (the
 * Lua thread) and never blocks on the network. Work is posted to the relay's
 * worker threads; results come back as events on one queue per relay whose
 * readiness is a pollable file descriptor (cr_relay_event_fd()).
 */
#ifndef CALLRELAY_H
#define CALLRELAY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CR_EXPORT __attribute__((visibility("default")))
#else
#define CR_EXPORT
#endif

#define CR_VERSION_MAJOR 0
#define CR_VERSION_MINOR 1
#define CR_VERSION_PATCH 0

/* CR_CDEF_BEGIN */

/* Error codes: 0 is success, every failure is negative. */
enum {
	CR_OK = 0,
	CR_ERR_INVALID = -1,  /* bad argument or configuration */
	CR_ERR_NOMEM = -2,    /* out of memory */
	CR_ERR_PORTS = -3,    /* no free port in the configured range */
	CR_ERR_CLOSED = -4,   /* the object is closing or closed */
	CR_ERR_LIMIT = -5,    /* a configured maximum was reached */
	CR_ERR_INTERNAL = -6, /* a library or system call failed */
	CR_ERR_NOTFOUND = -7  /* no such call */
};

/* Sizes of caller-visible text buffers, terminating NUL included. */
enum {
	CR_MAX_ERROR_LEN = 256,
	CR_MAX_EVENT_TEXT_LEN = 2048
};

/* Event types delivered by cr_relay_poll_events(). */
enum {
	CR_EVENT_NONE = 0,
	CR_EVENT_CALL_READY = 1,  /* the call exists on its worker; value = worker index */
	CR_EVENT_CALL_CLOSED = 2, /* every resource of the call is freed; text = reason */
	CR_EVENT_ERROR = 3        /* a failure not tied to a call; text = message */
};

typedef struct cr_relay cr_relay_t;
typedef struct cr_call cr_call_t;

/* Relay configuration. Initialise with cr_relay_config_init(), then set. */
typedef struct cr_relay_config {
	int workers;     /* worker threads; 0 = one per online core */
	int max_calls;   /* concurrent calls; 0 = unlimited */
	int event_queue; /* events kept before new ones are dropped (counted); 0 = 65536 */
} cr_relay_config_t;

/* One event. Plain data: copy what you need before the next poll. */
typedef struct cr_event {
	int type;        /* CR_EVENT_* */
	uint32_t call_id;/* 0 when not about a call */
	int64_t time_us; /* monotonic time the event was raised, microseconds */
	int32_t code;    /* meaning depends on type */
	int32_t value;   /* meaning depends on type */
	char text[CR_MAX_EVENT_TEXT_LEN];
} cr_event_t;

/* Relay-wide counters, copied out by cr_relay_get_stats(). */
typedef struct cr_relay_stats {
	uint32_t workers;
	uint32_t active_calls;
	uint64_t calls_created;
	uint64_t calls_closed;
	uint64_t events_dropped; /* queue full: the consumer is not draining */
} cr_relay_stats_t;

/**
 * The library version as "MAJOR.MINOR.PATCH".
 * @return a static string
 */
CR_EXPORT const char *cr_version(void);

/**
 * A fixed English description of an error code.
 * @param err a CR_ERR_* value
 * @return a static string
 */
CR_EXPORT const char *cr_error_to_string(int err);

/**
 * Fill a configuration with defaults.
 * @param config the configuration to initialise
 */
CR_EXPORT void cr_relay_config_init(cr_relay_config_t *config);

/**
 * Create a relay and start its worker threads.
 * @param config configuration, or NULL for defaults
 * @param out receives the relay
 * @param err_buf optional buffer of CR_MAX_ERROR_LEN for a readable message
 * @return 0 if success, otherwise a CR_ERR_* code
 */
CR_EXPORT int cr_relay_create(const cr_relay_config_t *config, cr_relay_t **out,
			      char *err_buf);

/**
 * Stop every call, join the worker threads and free the relay. Calls that
 * were not closed are closed here; their handles must not be used after.
 * @param relay the relay, or NULL
 */
CR_EXPORT void cr_relay_destroy(cr_relay_t *relay);

/**
 * The descriptor that becomes readable while events are queued. Poll it,
 * then drain with cr_relay_poll_events() until it returns 0.
 * @param relay the relay
 * @return a file descriptor owned by the relay
 */
CR_EXPORT int cr_relay_event_fd(const cr_relay_t *relay);

/**
 * Take up to max queued events, oldest first. Never blocks.
 * @param relay the relay
 * @param events caller-owned array of max events
 * @param max size of the array
 * @return the number of events written (0 when the queue is empty)
 */
CR_EXPORT int cr_relay_poll_events(cr_relay_t *relay, cr_event_t *events, int max);

/**
 * Copy the relay-wide counters.
 * @param relay the relay
 * @param stats receives the counters
 */
CR_EXPORT void cr_relay_get_stats(cr_relay_t *relay, cr_relay_stats_t *stats);

/**
 * Create a call on the least loaded worker. CR_EVENT_CALL_READY follows.
 * @param relay the relay
 * @param out receives the call handle, owned by the caller until cr_call_close()
 * @param err_buf optional buffer of CR_MAX_ERROR_LEN for a readable message
 * @return 0 if success, otherwise a CR_ERR_* code (CR_ERR_LIMIT past max_calls)
 */
CR_EXPORT int cr_call_create(cr_relay_t *relay, cr_call_t **out, char *err_buf);

/**
 * The call's identifier, unique within its relay, as used in events.
 * @param call the call
 * @return a non-zero identifier
 */
CR_EXPORT uint32_t cr_call_id(const cr_call_t *call);

/**
 * Close a call: its resources are freed on its worker and
 * CR_EVENT_CALL_CLOSED follows with the reason. The handle is invalid after.
 * @param call the call, or NULL
 * @param reason a short reason kept in the trace and the event, or NULL
 */
CR_EXPORT void cr_call_close(cr_call_t *call, const char *reason);

/* CR_CDEF_END */

#ifdef __cplusplus
}
#endif

#endif /* CALLRELAY_H */
