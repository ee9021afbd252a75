/**
 * @file report.c  How a call's media reports up: events and descriptor exhaustion, through the env it was created with
 *
 * Layer 3's base (docs/ARCHITECTURE.md): every media file reports through
 * these two, so none of them calls back into session.c or above.
 */
#include <stdarg.h>

#include "media.h"

void cr_media_emit(cr_media_call_t *mc, int type, int32_t code, int32_t value,
		   const char *fmt, ...)
{
	char text[CR_MAX_EVENT_TEXT_LEN];
	va_list ap;

	text[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		g_vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
	}
	cr_event_queue_emit(mc->env.events, type, mc->call_id, code, value, "%s", text);
}

bool cr_media_fd_exhausted(const cr_media_env_t *env, int errnum, const char *what)
{
	return env->fd_exhausted && env->fd_exhausted(env->arg, errnum, what);
}
