/**
 * @file reg.c  REGISTER and the OPTIONS health check toward the trunk
 *
 * Both run on the SIP thread with a NUA handle of the UA's own (reg_nh,
 * opt_nh); sip_ua.c starts them once NUA is up, routes their answers here
 * from its NUA callback and destroys their handles at close. The digest
 * answer to a challenge (cr_sip_ua_authenticate) is shared with the
 * outbound INVITE (invite_out.c).
 */
#include <stdlib.h>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include "sip.h"

/* ---- digest ---- */

bool cr_sip_ua_authenticate(cr_sip_ua_t *ua, nua_handle_t *nh, const sip_t *sip)
{
	const msg_auth_t *au = NULL;
	const char *realm;
	char *auth;

	if (!ua->username || !ua->password || !sip)
		return false;
	if (sip->sip_www_authenticate)
		au = sip->sip_www_authenticate;
	else if (sip->sip_proxy_authenticate)
		au = sip->sip_proxy_authenticate;
	if (!au || !au->au_scheme)
		return false;
	realm = msg_params_find(au->au_params, "realm=");
	if (!realm)
		return false;
	/* NUTAG_AUTH wants scheme:"realm":user:password, realm as quoted. */
	auth = g_strdup_printf("%s:%s:%s:%s", au->au_scheme, realm, ua->username,
			       ua->password);
	nua_authenticate(nh, NUTAG_AUTH(auth), TAG_END());
	g_free(auth);
	return true;
}

/* ---- REGISTER and OPTIONS toward the trunk ---- */

void cr_sip_reg_start(cr_sip_ua_t *ua)
{
	char *aor = g_strdup_printf("sip:%s@%s", ua->username,
				    ua->from_domain ? ua->from_domain : ua->trunk_hostport);
	char *expires = g_strdup_printf("%d", ua->register_expires);

	ua->reg_nh = nua_handle(ua->nua, NULL, SIPTAG_TO_STR(aor), SIPTAG_FROM_STR(aor),
				TAG_END());
	nua_register(ua->reg_nh, NUTAG_REGISTRAR(ua->trunk_uri),
		     NUTAG_M_USERNAME(ua->username), SIPTAG_EXPIRES_STR(expires),
		     TAG_END());
	g_free(aor);
	g_free(expires);
}

void cr_sip_reg_response(cr_sip_ua_t *ua, int status, const char *phrase, const sip_t *sip)
{
	int expires = 0;

	if (status < 200)
		return;
	if ((status == 401 || status == 407) && !ua->reg_auth_tried &&
	    cr_sip_ua_authenticate(ua, ua->reg_nh, sip)) {
		ua->reg_auth_tried = true;
		return;
	}
	if (status < 300) {
		/* A refresh may be challenged again: allow one answer each. */
		ua->reg_auth_tried = false;
		if (sip && sip->sip_contact && sip->sip_contact->m_expires)
			expires = atoi(sip->sip_contact->m_expires);
		else if (sip && sip->sip_expires)
			expires = (int)sip->sip_expires->ex_delta;
	}
	atomic_store(&ua->registered, status < 300);
	cr_sip_ua_emit(ua, CR_EVENT_SIP_REGISTERED, status, expires, "%s", phrase ? phrase : "");
}

gboolean cr_sip_options_send(gpointer p)
{
	cr_sip_ua_t *ua = p;

	if (ua->opt_nh) /* the last one is still pending */
		return G_SOURCE_CONTINUE;
	ua->opt_nh = nua_handle(ua->nua, NULL, NUTAG_URL(ua->trunk_uri),
				SIPTAG_TO_STR(ua->trunk_uri), TAG_END());
	ua->opt_sent_at = g_get_monotonic_time();
	ua->opt_auth_tried = false;
	atomic_fetch_add(&ua->options_sent, 1);
	nua_options(ua->opt_nh, TAG_END());
	return G_SOURCE_CONTINUE;
}

void cr_sip_options_response(cr_sip_ua_t *ua, int status, const sip_t *sip)
{
	int up, was;

	if (status < 200)
		return;
	if ((status == 401 || status == 407) && !ua->opt_auth_tried &&
	    cr_sip_ua_authenticate(ua, ua->opt_nh, sip)) {
		ua->opt_auth_tried = true;
		return;
	}
	/* Any answer but a timeout or an overload says the trunk is there. */
	up = status < 500 && status != 408;
	atomic_store(&ua->last_options_status, status == 408 ? 0 : status);
	atomic_store(&ua->last_options_rtt_ms,
		     (int)((g_get_monotonic_time() - ua->opt_sent_at) / 1000));
	if (status < 300)
		atomic_fetch_add(&ua->options_ok, 1);
	was = atomic_exchange(&ua->trunk_up, up);
	if (was != up)
		cr_sip_ua_emit(ua, CR_EVENT_SIP_TRUNK_STATE, status == 408 ? 0 : status, up, "%s",
			       up ? "up" : "down");
	nua_handle_destroy(ua->opt_nh);
	ua->opt_nh = NULL;
}
