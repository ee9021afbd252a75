/**
 * @file peer_kamailio.c  kamailio as a stateful, record-routing proxy in the path
 *
 * The smallest useful proxy: max-forwards, record-route, loose routing of
 * in-dialog requests, CANCEL matched to its INVITE transaction, t_relay to
 * the Request-URI. It stays in the foreground (-DD) with its own runtime
 * directory so parallel runs do not meet.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "peer_kamailio.h"
#include "sip_helpers.h"

static const char *config_fmt =
	"#!KAMAILIO\n"
	"debug=2\n"
	"log_stderror=yes\n"
	"children=2\n"
	"auto_aliases=no\n"
	"listen=udp:127.0.0.1:%d\n"
	"mpath=\"/usr/lib/x86_64-linux-gnu/kamailio/modules/\"\n"
	"loadmodule \"tm.so\"\n"
	"loadmodule \"sl.so\"\n"
	"loadmodule \"rr.so\"\n"
	"loadmodule \"maxfwd.so\"\n"
	"loadmodule \"siputils.so\"\n"
	"loadmodule \"pv.so\"\n"
	"loadmodule \"xlog.so\"\n"
	"loadmodule \"textops.so\"\n"
	"request_route {\n"
	"  xlog(\"L_INFO\", \"$rm $ru from $si:$sp\\n\");\n"
	"  if (!mf_process_maxfwd_header(\"10\")) { sl_send_reply(\"483\", \"Too Many Hops\"); exit; }\n"
	"  if (has_totag()) {\n"
	"    if (loose_route()) { t_relay(); exit; }\n"
	"    if (is_method(\"ACK\")) { if (t_check_trans()) { t_relay(); } exit; }\n"
	"    sl_send_reply(\"404\", \"Not here\");\n"
	"    exit;\n"
	"  }\n"
	"  if (is_method(\"CANCEL\")) { if (t_check_trans()) { t_relay(); } exit; }\n"
	"  record_route();\n"
	"  if (!t_relay()) { sl_reply_error(); }\n"
	"}\n";

int kamailio_start(kamailio_peer_t *peer, int port)
{
	char path[256], log[256], config[2048];
	static int counter;
	FILE *f;

	peer->pid = -1;
	peer->port = port;
	snprintf(peer->dir, sizeof(peer->dir), "/tmp/cr-kamailio-%d-%d", getpid(), ++counter);
	mkdir(peer->dir, 0700);
	snprintf(path, sizeof(path), "%s/kamailio.cfg", peer->dir);
	snprintf(config, sizeof(config), config_fmt, port);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(config, f);
	fclose(f);
	snprintf(log, sizeof(log), "%s/kamailio.log", peer->dir);
	{
		const char *argv[] = { "kamailio", "-f", path, "-DD", "-E", "-Y", peer->dir,
				       "-w", peer->dir, "-m", "32", "-M", "4", NULL };

		peer->pid = spawn_logged(log, argv);
	}
	if (peer->pid < 0)
		return -1;
	usleep(1000 * 1000); /* kamailio forks its workers before it answers */
	return 0;
}

void kamailio_stop(kamailio_peer_t *peer, int dump)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/kamailio.log", peer->dir);
	stop_logged(&peer->pid, path, "kamailio", dump);
	if (!dump)
		remove_dir(peer->dir);
}
