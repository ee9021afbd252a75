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
	CR_ERR_NOTFOUND = -7,
	CR_ERR_UNSUPPORTED = -8
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
	const struct cr_media_config *media;
	const struct cr_sip_config *sip;
	int max_transcoded_calls;
	int media_tick_us;
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
	uint32_t transcoded_calls;
	uint32_t max_calls;
	uint32_t fds_per_call;
	uint64_t fd_limit_was;
	uint64_t fd_limit;
	uint32_t fds_at_start;
	uint64_t fd_exhausted;
} cr_relay_stats_t;
const char *cr_version(void);
const char *cr_error_to_string(int err);
const char *cr_error_name(int err);
const char *cr_event_type_to_string(int type);
void cr_relay_config_init(cr_relay_config_t *config);
int cr_relay_create(const cr_relay_config_t *config, cr_relay_t **out,
			      char *err_buf);
void cr_relay_destroy(cr_relay_t *relay);
int cr_relay_event_fd(const cr_relay_t *relay);
int cr_relay_poll_events(cr_relay_t *relay, cr_event_t *events, int max);
void cr_relay_get_stats(cr_relay_t *relay, cr_relay_stats_t *stats);
enum {
	CR_MAX_ADDR_LEN = 64,
	CR_MAX_CODECS = 16,
	CR_MAX_CODEC_NAME_LEN = 32,
	CR_MAX_DIRECTION_LEN = 12
};
typedef struct cr_codec {
	int pt;
	char name[CR_MAX_CODEC_NAME_LEN];
	int clock_rate;
	int channels;
} cr_codec_t;
typedef struct cr_sip_media {
	uint32_t seq;
	char address[CR_MAX_ADDR_LEN];
	int port;
	int ptime;
	int dtmf_pt;
	char direction[CR_MAX_DIRECTION_LEN];
	int symmetric_rtp;
	int has_chosen;
	cr_codec_t chosen;
	int n_codecs;
	cr_codec_t codecs[CR_MAX_CODECS];
} cr_sip_media_t;
enum {
	CR_EVENT_SIP_INCOMING = 50,
	CR_EVENT_SIP_TRYING = 51,
	CR_EVENT_SIP_RINGING = 52,
	CR_EVENT_SIP_EARLY_MEDIA = 53,
	CR_EVENT_SIP_ANSWERED = 54,
	CR_EVENT_SIP_FAILED = 55,
	CR_EVENT_SIP_HANGUP = 56,
	CR_EVENT_SIP_MEDIA_CHANGED = 57,
	CR_EVENT_SIP_ENDED = 58,
	CR_EVENT_SIP_REGISTERED = 59,
	CR_EVENT_SIP_TRUNK_STATE = 60
};
enum {
	CR_SIP_MAX_URI_LEN = 512,
	CR_SIP_MAX_TRACE_LINE = 512,
	CR_SIP_MAX_SOURCES = 64,
	CR_SIP_MAX_SOURCES_LEN = 1024,
	CR_SIP_DEFAULT_INVITE_RATE = 10
};
typedef struct cr_sip_config {
	const char *listen_uri;
	const char *tls_listen_uri;
	const char *tls_cert_dir;
	const char *trunk_uri;
	const char *outbound_proxy;
	const char *username;
	const char *password;
	const char *from_domain;
	int register_expires;
	const char *user_agent;
	int options_interval;
	int session_expires;
	int symmetric_rtp;
	const char *trusted_sources;
	int source_filter;
	int invite_rate;
} cr_sip_config_t;
typedef struct cr_sip_dial_params {
	const char *number;
	const char *caller_id;
	const char *display_name;
	const cr_codec_t *codecs;
	size_t n_codecs;
	const char *local_rtp_address;
	int local_rtp_port;
	int ptime;
	int telephone_event;
} cr_sip_dial_params_t;
typedef struct cr_sip_answer_params {
	const cr_codec_t *codecs;
	size_t n_codecs;
	const char *local_rtp_address;
	int local_rtp_port;
	int ptime;
	int telephone_event;
} cr_sip_answer_params_t;
typedef struct cr_sip_stats {
	uint64_t invites_sent;
	uint64_t invites_received;
	uint64_t invites_rejected_limit;
	uint64_t options_sent;
	uint64_t options_ok;
	int32_t trunk_up;
	int32_t last_options_status;
	int32_t last_options_rtt_ms;
	int32_t registered;
	uint64_t sdp_rejected;
	uint64_t requests_untrusted;
	uint64_t invites_rejected_rate;
	uint64_t filter_drops;
	int32_t filtered_sockets;
	char trusted_sources[CR_SIP_MAX_SOURCES_LEN];
} cr_sip_stats_t;
void cr_sip_config_init(cr_sip_config_t *config);
void cr_sip_dial_params_init(cr_sip_dial_params_t *params);
void cr_sip_answer_params_init(cr_sip_answer_params_t *params);
void cr_relay_get_sip_stats(cr_relay_t *relay, cr_sip_stats_t *stats);
int cr_call_adopt(cr_relay_t *relay, uint32_t call_id, cr_call_t **out);
int cr_sip_dial(cr_call_t *call, const cr_sip_dial_params_t *params,
			  char *err_buf);
int cr_sip_ringing(cr_call_t *call);
int cr_sip_answer(cr_call_t *call, const cr_sip_answer_params_t *params,
			    char *err_buf);
int cr_sip_reject(cr_call_t *call, int status);
int cr_sip_hangup(cr_call_t *call);
enum { CR_MAX_SIP_REASON_LEN = 160 };
int cr_sip_hangup_reason(cr_call_t *call, int q850_cause, const char *text);
int cr_sip_hold(cr_call_t *call, int hold);
int cr_call_get_sip_media(cr_call_t *call, cr_sip_media_t *out);
int cr_call_create(cr_relay_t *relay, cr_call_t **out, char *err_buf);
uint32_t cr_call_id(const cr_call_t *call);
void cr_call_close(cr_call_t *call, const char *reason);
enum {
	CR_MAX_UFRAG_LEN = 257,
	CR_MAX_PWD_LEN = 257,
	CR_MAX_FINGERPRINT_LEN = 208,
	CR_MAX_FOUNDATION_LEN = 33,
	CR_MAX_PAIR_LEN = 160,
	CR_MAX_REMOTE_CANDIDATES = 64
};
enum {
	CR_EVENT_LOCAL_CANDIDATE = 10,
	CR_EVENT_GATHERING_DONE = 11,
	CR_EVENT_ICE_STATE = 12,
	CR_EVENT_SELECTED_PAIR = 13,
	CR_EVENT_DTLS_CONNECTED = 14,
	CR_EVENT_DTLS_FAILED = 15,
	CR_EVENT_FIRST_MEDIA = 16,
	CR_EVENT_MEDIA_TIMEOUT = 17,
	CR_EVENT_DTMF = 18,
	CR_EVENT_ICE_RESTARTED = 19,
	CR_EVENT_MEDIA_ERROR = 20,
	CR_EVENT_ICE_FAILED = 21
};
enum {
	CR_ICE_DISCONNECTED = 0,
	CR_ICE_GATHERING = 1,
	CR_ICE_CONNECTING = 2,
	CR_ICE_CONNECTED = 3,
	CR_ICE_READY = 4,
	CR_ICE_FAILED = 5
};
enum {
	CR_DTLS_ACTIVE = 1,
	CR_DTLS_PASSIVE = 2
};
enum {
	CR_DTLS_FAIL_HANDSHAKE = 1,
	CR_DTLS_FAIL_FINGERPRINT = 2,
	CR_DTLS_FAIL_SRTP = 3
};
enum {
	CR_DIR_CLIENT_TO_SIP = 1,
	CR_DIR_SIP_TO_CLIENT = 2
};
typedef struct cr_media_config {
	const char *ice_addresses;
	int ice_port_min;
	int ice_port_max;
	const char *stun_server;
	int stun_port;
	const char *turn_server;
	int turn_port;
	const char *turn_username;
	const char *turn_password;
	const char *sip_rtp_address;
	int sip_port_min;
	int sip_port_max;
	const char *certificate_file;
	const char *private_key_file;
	int media_timeout_ms;
	int sip_media_timeout_ms;
} cr_media_config_t;
typedef struct cr_codec_map {
	int client_pt;
	cr_codec_t sip;
} cr_codec_map_t;
typedef struct cr_media_params {
	int ice_controlling;
	int rtcp_mux;
	int dtls_role;
	char remote_ufrag[CR_MAX_UFRAG_LEN];
	char remote_pwd[CR_MAX_PWD_LEN];
	char remote_fingerprint[CR_MAX_FINGERPRINT_LEN];
	char sip_remote_addr[CR_MAX_ADDR_LEN];
	int sip_remote_port;
	int sip_remote_rtcp_port;
	int sip_latch;
	char sip_latch_addr[CR_MAX_ADDR_LEN];
	int n_codecs;
	cr_codec_map_t codecs[CR_MAX_CODECS];
} cr_media_params_t;
typedef struct cr_media_local {
	char ice_ufrag[CR_MAX_UFRAG_LEN];
	char ice_pwd[CR_MAX_PWD_LEN];
	char fingerprint[CR_MAX_FINGERPRINT_LEN];
	char sip_rtp_addr[CR_MAX_ADDR_LEN];
	int sip_rtp_port;
	int sip_rtcp_port;
} cr_media_local_t;
typedef struct cr_call_stats {
	int ice_state;
	int dtls_state;
	char selected_pair[CR_MAX_PAIR_LEN];
	uint64_t client_rx_packets;
	uint64_t client_rx_bytes;
	uint64_t client_tx_packets;
	uint64_t client_tx_bytes;
	uint64_t sip_rx_packets;
	uint64_t sip_rx_bytes;
	uint64_t sip_tx_packets;
	uint64_t sip_tx_bytes;
	uint64_t srtp_auth_failed;
	uint64_t dtls_bad;
	uint64_t ice_bad;
	uint64_t early_dropped;
	uint64_t sip_foreign;
	uint64_t unmapped_pt;
	uint64_t candidates_dropped;
	uint64_t dtmf_events;
	char media_path[CR_MAX_PAIR_LEN];
	uint64_t transcoded_packets;
	uint64_t transcode_dropped;
	uint64_t sip_ssrc_dropped;
	uint64_t fast_rx_packets;
	uint64_t fast_tx_packets;
	uint64_t fast_stun_answered;
	uint64_t fast_fallbacks;
} cr_call_stats_t;
void cr_media_config_init(cr_media_config_t *config);
void cr_media_params_init(cr_media_params_t *params);
int cr_call_get_media_local(cr_call_t *call, cr_media_local_t *local);
int cr_call_media_start(cr_call_t *call, const cr_media_params_t *params,
				  char *err_buf);
int cr_call_add_remote_candidate(cr_call_t *call, const char *candidate);
int cr_call_end_of_candidates(cr_call_t *call);
int cr_call_set_remote_credentials(cr_call_t *call, const char *ufrag,
					     const char *pwd);
int cr_call_set_remote_fingerprint(cr_call_t *call, const char *fingerprint);
int cr_call_set_sip_remote(cr_call_t *call, const char *addr, int rtp_port,
				     int rtcp_port);
int cr_call_watch_sip_media(cr_call_t *call, int on);
int cr_call_set_codecs(cr_call_t *call, const cr_codec_map_t *codecs, int n_codecs);
int cr_call_set_transcode(cr_call_t *call, const cr_codec_t *client,
				    const cr_codec_t *client_dtmf, const cr_codec_t *sip,
				    const cr_codec_t *sip_dtmf, char *err_buf);
int cr_call_ice_restart(cr_call_t *call, cr_media_local_t *local);
int cr_call_get_stats(cr_call_t *call, cr_call_stats_t *stats);
int cr_call_get_trace(cr_call_t *call, char *buf, size_t len);
enum {
	CR_DTMF_MIN_MS = 40,
	CR_DTMF_MAX_MS = 1000,
	CR_DTMF_DEFAULT_VOLUME = 10,
	CR_DTMF_MAX_QUEUED = 16
};
int cr_call_send_dtmf(cr_call_t *call, char digit, int duration_ms, int volume,
				char *err_buf);
]]
