/**
 * @file event_queue.h  The relay's events on their way to the consumer (event_queue.c)
 *
 * Layer 2 (docs/ARCHITECTURE.md): knows the public event type, not calls or
 * the relay. A bounded multi-producer queue whose eventfd is readable
 * exactly while the queue holds events.
 */
#ifndef CR_EVENT_QUEUE_H
#define CR_EVENT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "callrelay.h"
#include "error.h"

typedef struct cr_event_queue cr_event_queue_t;

int cr_event_queue_create(size_t capacity, cr_event_queue_t **out);
void cr_event_queue_destroy(cr_event_queue_t *queue);
int cr_event_queue_fd(const cr_event_queue_t *queue);
/* Copies the event; returns CR_ERR_LIMIT (and counts a drop) when full. */
int cr_event_queue_push(cr_event_queue_t *queue, const cr_event_t *event);
int cr_event_queue_pop(cr_event_queue_t *queue, cr_event_t *events, int max);
uint64_t cr_event_queue_dropped(const cr_event_queue_t *queue);
/* Builds an event stamped now (text from fmt, truncated to the event's
 * buffer; none when fmt is NULL) and pushes it. */
void cr_event_queue_emit(cr_event_queue_t *queue, int type, uint32_t call_id, int32_t code,
			 int32_t value, const char *fmt, ...) CR_PRINTF(6, 7);

#endif
