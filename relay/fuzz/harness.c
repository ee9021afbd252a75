/**
 * @file harness.c  Quiet logs and string helpers for the libFuzzer targets
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void drop_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
		     gpointer data)
{
	(void)domain;
	(void)level;
	(void)message;
	(void)data;
}

void cr_fuzz_quiet(void)
{
	setenv("SU_DEBUG", "0", 1);
	setenv("TPORT_DEBUG", "0", 1);
	setenv("NTA_DEBUG", "0", 1);
	setenv("NUA_DEBUG", "0", 1);
	/* Warnings only: a critical still reaches stderr (and G_DEBUG can
	 * make it fatal when investigating a finding). */
	g_log_set_default_handler(drop_log, NULL);
}

char *cr_fuzz_string(char *buf, size_t cap, const uint8_t *data, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	memcpy(buf, data, n);
	buf[n] = '\0';
	return buf;
}
