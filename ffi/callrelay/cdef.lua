-- Generated from relay/include/callrelay.h by scripts/check-cdef.lua
-- (`make check-cdef` fails when this file and the header differ).
return [[
enum {
	CR_OK = 0,
	CR_ERR_INVALID = -1,
	CR_ERR_NOMEM = -2,
	CR_ERR_PORTS = -3,
	CR_ERR_CLOSED = -4,
	CR_ERR_LIMIT = -5,
	CR_ERR_INTERNAL = -6,
	CR_ERR_NOTFOUND = -7
};
enum {
	CR_MAX_ERROR_LEN = 256,
	CR_MAX_EVENT_TEXT_LEN = 2048
};
enum {
	CR_EVENT_NONE = 0,
	CR_EVENT_CALL_READY = 1,
	CR_EVENT_CALL_CLOSED = 2,
	CR_EVENT_ERROR = 3
};
typedef struct cr_relay cr_relay_t;
typedef struct cr_call cr_call_t;
typedef struct cr_relay_config {
	int workers;
	int max_calls;
	int event_queue;
} cr_relay_config_t;
typedef struct cr_event {
	int type;
	uint32_t call_id;
	int64_t time_us;
	int32_t code;
	int32_t value;
	char text[CR_MAX_EVENT_TEXT_LEN];
} cr_event_t;
typedef struct cr_relay_stats {
	uint32_t workers;
	uint32_t active_calls;
	uint64_t calls_created;
	uint64_t calls_closed;
	uint64_t events_dropped;
} cr_relay_stats_t;
const char *cr_version(void);
const char *cr_error_to_string(int err);
void cr_relay_config_init(cr_relay_config_t *config);
int cr_relay_create(const cr_relay_config_t *config, cr_relay_t **out,
			      char *err_buf);
void cr_relay_destroy(cr_relay_t *relay);
int cr_relay_event_fd(const cr_relay_t *relay);
int cr_relay_poll_events(cr_relay_t *relay, cr_event_t *events, int max);
void cr_relay_get_stats(cr_relay_t *relay, cr_relay_stats_t *stats);
int cr_call_create(cr_relay_t *relay, cr_call_t **out, char *err_buf);
uint32_t cr_call_id(const cr_call_t *call);
void cr_call_close(cr_call_t *call, const char *reason);
]]
