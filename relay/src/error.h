/**
 * @file error.h  Error messages for every layer of the relay (error.c)
 */
#ifndef CR_ERROR_H
#define CR_ERROR_H

#include "callrelay.h"

#if defined(__GNUC__)
#define CR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CR_PRINTF(f, a)
#endif

/* Copies a message into an optional CR_MAX_ERROR_LEN buffer; returns err. */
int cr_set_error(char *err_buf, int err, const char *fmt, ...) CR_PRINTF(3, 4);

#endif
