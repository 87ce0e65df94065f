/*
 * intune_token.c: Entra ID v2 client-credentials tokens, one for Graph and
 * one for Intune (a token serves one resource).  Each is cached until
 * shortly before it expires and fetched once for all who wait on it.  The
 * request carries the client secret or a signed client assertion; neither
 * they nor the tokens are ever logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common.h"
#include "config.h"
#include "intune.h"

#define TOKEN_ATTEMPTS	2
#define TOKEN_MAX	(16 * 1024)	/* goes into a header line */
#define MARGIN_S	300		/* refresh this long before expiry */
#define LIFE_MAX	(7 * 86400)
#define ASSERTION_TYPE	"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

static const char *const scope_names[ISCOPE__MAX] = { "Graph", "Intune" };

/* Appends key=value, URL-encoded, to a form that may hold a secret. */
static int
form_add(char **form, const char *key, const char *val)
{
	char	*esc, *s;
	int	 n;

	if ((esc = curl_easy_escape(NULL, val, 0)) == NULL)
		return -1;
	n = asprintf(&s, "%s%s%s=%s", *form != NULL ? *form : "",
	    *form != NULL ? "&" : "", key, esc);
	explicit_bzero(esc, strlen(esc));
	curl_free(esc);
	intune_wipe(*form);
	*form = n == -1 ? NULL : s;
	return n == -1 ? -1 : 0;
}

/* The token request's form: client id, scope and proof of identity. */
static char *
token_form(struct intune *in, enum intune_scope sc)
{
	const struct conf	*cf = in->in_conf;
	char			*form = NULL, *jwt = NULL;
	int			 bad;

	bad = form_add(&form, "grant_type", "client_credentials") == -1 ||
	    form_add(&form, "client_id", cf->cf_intune_client_id) == -1 ||
	    form_add(&form, "scope", sc == ISCOPE_GRAPH ?
	    cf->cf_intune_graph_scope : cf->cf_intune_scope) == -1;
	if (!bad && in->in_secret != NULL)
		bad = form_add(&form, "client_secret", in->in_secret) == -1;
	else if (!bad) {
		/* NULL until the validator connects a token's signer. */
		jwt = in->in_assert == NULL ? NULL :
		    in->in_assert(in->in_assert_arg, in->in_token_url);
		bad = jwt == NULL || form_add(&form, "client_assertion_type",
		    ASSERTION_TYPE) == -1 ||
		    form_add(&form, "client_assertion", jwt) == -1;
		intune_wipe(jwt);
	}
	if (bad) {
		intune_wipe(form);
		return NULL;
	}
	return form;
}

/* expires_in: a number (v2) or a numeric string (v1); -1 if neither. */
static long long
json_seconds(const json_t *v)
{
	const char	*s;
	char		*end;
	long long	 n;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (!json_is_string(v) || (s = json_string_value(v))[0] < '0' ||
	    s[0] > '9')
		return -1;
	n = strtoll(s, &end, 10);
	return *end == '\0' ? n : -1;
}

/* A token we can send: printable, no spaces, of sane length. */
static int
token_ok(const char *t)
{
	size_t	 i, len = strlen(t);

	if (len == 0 || len > TOKEN_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (t[i] <= 0x20 || t[i] >= 0x7f)
			return 0;
	return 1;
}

/* Keeps a 200 answer's token; else says what is wrong with it. */
static enum intune_result
token_keep(struct itoken *tk, const struct ihttp_res *res, char *msg,
    size_t msgsz)
{
	json_t		*j;
	const char	*tok;
	long long	 life;
	int64_t		 margin;

	j = json_loadb(res->hr_body, res->hr_len, 0, NULL);
	tok = json_string_value(json_object_get(j, "access_token"));
	life = json_seconds(json_object_get(j, "expires_in"));
	if (tok == NULL || !token_ok(tok) || life <= 0 || life > LIFE_MAX) {
		json_decref(j);
		snprintf(msg, msgsz, "%s token: unusable reply from Entra ID "
		    "(client-request-id %s)", scope_names[tk->tk_scope],
		    res->hr_reqid);
		return INTUNE_ERR_PROTOCOL;
	}
	intune_wipe(tk->tk_value);
	tk->tk_value = strdup(tok);
	json_decref(j);
	if (tk->tk_value == NULL)
		return INTUNE_ERR_INTERNAL;
	/* Short-lived tokens are renewed at half their life. */
	margin = life >= 2 * MARGIN_S ? MARGIN_S : life / 2;
	tk->tk_refresh = tk->tk_start + (life - margin) * 1000;
	log_debug("intune: %s token for %lld s", scope_names[tk->tk_scope],
	    life);
	return INTUNE_SUCCESS;
}

/* Entra ID's refusal: error and the first line of its description. */
static void
token_refused(struct itoken *tk, const struct ihttp_res *res, char *msg,
    size_t msgsz)
{
	json_t		*j;
	const char	*err, *desc;
	char		 e[64], d[200];

	j = json_loadb(res->hr_body, res->hr_len, 0, NULL);
	err = json_string_value(json_object_get(j, "error"));
	desc = json_string_value(json_object_get(j, "error_description"));
	intune_clean(e, sizeof(e), err != NULL ? err : "?", sizeof(e));
	intune_clean(d, sizeof(d), desc != NULL ? desc : "",
	    desc != NULL ? strcspn(desc, "\r\n") : 0);
	snprintf(msg, msgsz, "%s token: Entra ID refused us (HTTP %ld): %s: "
	    "%s (client-request-id %s)", scope_names[tk->tk_scope],
	    res->hr_status, e, d, res->hr_reqid);
	json_decref(j);
}

static void
token_reply(void *arg, const struct ihttp_res *res)
{
	struct itoken		*tk = arg;
	enum intune_result	 r;
	char			 msg[INTUNE_MSG_MAX], what[32];

	msg[0] = '\0';
	if (res->hr_status == 200)
		r = token_keep(tk, res, msg, sizeof(msg));
	else if (res->hr_status == 400 || res->hr_status == 401) {
		token_refused(tk, res, msg, sizeof(msg));
		r = INTUNE_ERR_AUTH;
	} else {
		snprintf(what, sizeof(what), "%s token",
		    scope_names[tk->tk_scope]);
		r = ihttp_fail(res, what, msg, sizeof(msg));
	}
	iwait_done(&tk->tk_waiters, r == INTUNE_SUCCESS ? tk->tk_value : NULL,
	    r, msg);
}

static int
token_fetch(void *arg)
{
	struct itoken		*tk = arg;
	struct intune		*in = tk->tk_in;
	struct ihttp_call	 hc;
	char			*form;
	int			 r;

	if ((form = token_form(in, tk->tk_scope)) == NULL) {
		log_warnx("intune: cannot build the %s token request",
		    scope_names[tk->tk_scope]);
		return -1;
	}
	memset(&hc, 0, sizeof(hc));
	hc.hc_url = in->in_token_url;
	hc.hc_form = form;
	hc.hc_attempts = TOKEN_ATTEMPTS;
	hc.hc_deadline_s = intune_deadline(in->in_conf, TOKEN_ATTEMPTS);
	tk->tk_start = mono_ms();
	r = ihttp_start(in->in_http, &hc, token_reply, tk);
	intune_wipe(form);
	return r;
}

/* Hands cb a token for the scope: the cached one or a new one. */
int
itoken_get(struct intune *in, enum intune_scope sc, ivalue_cb *cb,
    void *arg)
{
	struct itoken	*tk = &in->in_tokens[sc];
	const char	*fresh = NULL;

	if (tk->tk_value != NULL && mono_ms() < tk->tk_refresh)
		fresh = tk->tk_value;
	return iwait_get(&tk->tk_waiters, fresh, cb, arg, token_fetch, tk);
}

/* A service refused the token: the next call fetches a new one. */
void
itoken_drop(struct intune *in, enum intune_scope sc)
{
	struct itoken	*tk = &in->in_tokens[sc];

	intune_wipe(tk->tk_value);
	tk->tk_value = NULL;
}

void
itoken_free(struct itoken *tk)
{
	intune_wipe(tk->tk_value);
	tk->tk_value = NULL;
	iwait_clear(&tk->tk_waiters);
}
