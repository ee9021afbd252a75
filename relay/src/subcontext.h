/**
 * @file subcontext.h  A GMainContext iterated from inside another, only when it is due (subcontext.c)
 *
 * Layer 2 (docs/ARCHITECTURE.md): knows GLib only. GLib walks every source
 * of a context at every wake-up of its thread (prepare and check), so
 * sources that fire seldom but exist per call (libnice's timers: keepalive,
 * consent, conncheck) make each media wake-up of a worker cost more with
 * every call on it (docs/PERFORMANCE.md). A subcontext holds such sources
 * apart: the outer context sees it as one source whose fds and ready time
 * are the inner context's, so the inner sources are walked only when one of
 * them is due or one of their fds is ready, not at each wake-up for media.
 *
 * The inner context is created with G_MAIN_CONTEXT_FLAGS_OWNERLESS_POLLING:
 * GLib then signals its wake-up fd whenever a source is attached to it or a
 * source's fds or ready time change, from any thread, the outer one
 * included; that fd is among those the outer context watches, so a change
 * made between two iterations is seen at once.
 *
 * Threading: iterated on the thread that iterates the outer context;
 * sources may be attached to the inner one from any thread.
 */
#ifndef CR_SUBCONTEXT_H
#define CR_SUBCONTEXT_H

#include <glib.h>

typedef struct cr_subcontext cr_subcontext_t;

/* A new inner context, dispatched from outer (NULL on failure). */
cr_subcontext_t *cr_subcontext_new(GMainContext *outer);
/* The inner context, to give to whatever should attach its sources there. */
GMainContext *cr_subcontext_context(cr_subcontext_t *sub);
/* Detaches it from the outer context (on the outer thread, or after that
 * thread ended) and drops the inner context: sources still attached to it
 * are never dispatched again. NULL-safe. */
void cr_subcontext_free(cr_subcontext_t *sub);
/* Inner iterations so far (a check for tests and benchmarks). */
unsigned long cr_subcontext_iterations(const cr_subcontext_t *sub);

#endif
