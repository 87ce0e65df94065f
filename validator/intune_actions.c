/*
 * intune_actions.c: the three calls to the Intune SCEP validation service
 * (validateRequest, successNotification, failureNotification).  Each call
 * gets an Intune token, the service's URI from discovery, then POSTs its
 * JSON.  A 401 fetches a new token and a 404 asks discovery again, once
 * each; validateRequest is tried twice at most, a notification until
 * [intune] notification_deadline.  The caller's callback always runs
 * from the event loop, never from inside the call that started it.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "intune.h"
#include "jwt.h"

#define VALIDATE_ATTEMPTS	2
#define CN_MAX			256

enum iaction { IACT_VALIDATE, IACT_SUCCESS, IACT_FAILURE, IACT__MAX };

static const char *const action_names[IACT__MAX] = {
	"validateRequest", "successNotification", "failureNotification",
};

struct icall {
	TAILQ_ENTRY(icall)	 ic_entry;
	struct intune		*ic_in;
	enum iaction		 ic_action;
	char			 ic_txid[INTUNE_TXID_MAX + 1];
	char			*ic_body;
	char			*ic_token;
	int			 ic_token_retried;
	int			 ic_disc_retried;
	struct event		*ic_done;
	enum intune_result	 ic_result;
	char			 ic_msg[INTUNE_MSG_MAX];
	intune_cb		*ic_cb;
	void			*ic_arg;
};

static void	call_step(struct icall *);

static void
call_free(struct icall *ic)
{
	TAILQ_REMOVE(&ic->ic_in->in_calls, ic, ic_entry);
	if (ic->ic_done != NULL)
		event_free(ic->ic_done);
	free(ic->ic_body);
	intune_wipe(ic->ic_token);
	free(ic);
}

void
icall_free_all(struct intune *in)
{
	while (!TAILQ_EMPTY(&in->in_calls))
		call_free(TAILQ_FIRST(&in->in_calls));
}

/* Runs from the event loop: logs the outcome and tells the caller. */
static void
call_done(evutil_socket_t fd, short what, void *arg)
{
	struct icall	*ic = arg;

	if (ic->ic_result == INTUNE_SUCCESS)
		log_info("intune: %s %s: %s", action_names[ic->ic_action],
		    ic->ic_txid, ic->ic_msg);
	else
		log_warnx("intune: %s %s: %s: %s", action_names[ic->ic_action],
		    ic->ic_txid, intune_result_name(ic->ic_result), ic->ic_msg);
	ic->ic_cb(ic->ic_arg, ic->ic_result, ic->ic_msg);
	call_free(ic);
}

static void
call_finish(struct icall *ic, enum intune_result r, const char *msg)
{
	ic->ic_result = r;
	snprintf(ic->ic_msg, sizeof(ic->ic_msg), "%s", msg);
	event_active(ic->ic_done, EV_TIMEOUT, 0);
}

/* Intune's answer: {"code": ..., "errorDescription": ...}. */
static enum intune_result
reply_read(const struct ihttp_res *res, char *msg, size_t msgsz)
{
	json_t			*j;
	const char		*code, *desc;
	enum intune_result	 r;
	char			 c[64], d[INTUNE_DESC_MAX + 1];

	j = json_loadb(res->hr_body, res->hr_len, 0, NULL);
	code = json_string_value(json_object_get(j, "code"));
	desc = json_string_value(json_object_get(j, "errorDescription"));
	if (code == NULL) {
		snprintf(msg, msgsz, "unreadable reply from Intune "
		    "(client-request-id %s)", res->hr_reqid);
		json_decref(j);
		return INTUNE_ERR_PROTOCOL;
	}
	r = intune_result_parse(code);
	intune_clean(c, sizeof(c), code, sizeof(c));
	intune_clean(d, sizeof(d), desc != NULL ? desc : "", sizeof(d));
	snprintf(msg, msgsz, "%s%s%s (client-request-id %s)", c,
	    d[0] != '\0' ? ": " : "", d, res->hr_reqid);
	json_decref(j);
	return r;
}

static void
call_reply(void *arg, const struct ihttp_res *res)
{
	struct icall		*ic = arg;
	struct intune		*in = ic->ic_in;
	enum intune_result	 r;
	char			 msg[INTUNE_MSG_MAX];

	if (res->hr_status == 401 && !ic->ic_token_retried) {
		ic->ic_token_retried = 1;
		itoken_drop(in, ISCOPE_INTUNE);
		call_step(ic);
		return;
	}
	if (res->hr_status == 404 && !ic->ic_disc_retried) {
		ic->ic_disc_retried = 1;
		idisc_invalidate(in);
		call_step(ic);
		return;
	}
	if (res->hr_status >= 200 && res->hr_status < 300)
		r = reply_read(res, msg, sizeof(msg));
	else {
		/* The service may have moved: ask discovery next time. */
		if (res->hr_transport || res->hr_status == 404 ||
		    res->hr_status >= 500)
			idisc_invalidate(in);
		r = ihttp_fail(res, "Intune", msg, sizeof(msg));
	}
	call_finish(ic, r, msg);
}

/* With the service's URI: POST the call's JSON there. */
static void
call_service(void *arg, const char *uri, enum intune_result r,
    const char *msg)
{
	struct icall		*ic = arg;
	const struct conf	*cf = ic->ic_in->in_conf;
	struct ihttp_call	 hc;
	char			*url;

	if (r != INTUNE_SUCCESS) {
		call_finish(ic, r, msg);
		return;
	}
	if (asprintf(&url, "%s/ScepActions/%s", uri,
	    action_names[ic->ic_action]) == -1) {
		call_finish(ic, INTUNE_ERR_INTERNAL, "out of memory");
		return;
	}
	memset(&hc, 0, sizeof(hc));
	hc.hc_url = url;
	hc.hc_json = ic->ic_body;
	hc.hc_bearer = ic->ic_token;
	hc.hc_api_version = cf->cf_intune_api_version;
	if (ic->ic_action == IACT_VALIDATE) {
		hc.hc_attempts = VALIDATE_ATTEMPTS;
		hc.hc_deadline_s = intune_deadline(cf, VALIDATE_ATTEMPTS);
	} else
		hc.hc_deadline_s = cf->cf_intune_notify_deadline;
	if (ihttp_start(ic->ic_in->in_http, &hc, call_reply, ic) == -1)
		call_finish(ic, INTUNE_ERR_INTERNAL, "cannot start");
	free(url);
}

/* With an Intune token: find the service. */
static void
call_token(void *arg, const char *token, enum intune_result r,
    const char *msg)
{
	struct icall	*ic = arg;

	if (r != INTUNE_SUCCESS) {
		call_finish(ic, r, msg);
		return;
	}
	intune_wipe(ic->ic_token);
	if ((ic->ic_token = strdup(token)) == NULL)
		call_finish(ic, INTUNE_ERR_INTERNAL, "out of memory");
	else if (idisc_get(ic->ic_in, call_service, ic) == -1)
		call_finish(ic, INTUNE_ERR_INTERNAL, "discovery: cannot start");
}

static void
call_step(struct icall *ic)
{
	if (itoken_get(ic->ic_in, ISCOPE_INTUNE, call_token, ic) == -1)
		call_finish(ic, INTUNE_ERR_AUTH, "Intune token: cannot start");
}

/* Queues a call whose body is ready; takes body, -1 if it cannot. */
static int
call_start(struct intune *in, enum iaction act, const char *txid,
    char *body, intune_cb *cb, void *arg)
{
	struct icall	*ic;

	if (body == NULL || (ic = calloc(1, sizeof(*ic))) == NULL) {
		log_warnx("intune: %s %s: cannot build the request",
		    action_names[act], txid);
		free(body);
		return -1;
	}
	ic->ic_in = in;
	ic->ic_action = act;
	ic->ic_body = body;
	ic->ic_cb = cb;
	ic->ic_arg = arg;
	snprintf(ic->ic_txid, sizeof(ic->ic_txid), "%s", txid);
	TAILQ_INSERT_TAIL(&in->in_calls, ic, ic_entry);
	if ((ic->ic_done = event_new(in->in_base, -1, 0, call_done, ic)) ==
	    NULL) {
		call_free(ic);
		return -1;
	}
	call_step(ic);
	return 0;
}

/* Checks what every call carries; -1 with a log line if it is bad. */
static int
args_ok(const char *act, const char *txid, size_t csrlen)
{
	size_t	 i, len = strlen(txid);

	for (i = 0; i < len; i++)
		if (txid[i] < 0x20 || txid[i] >= 0x7f)
			break;
	if (len == 0 || len > INTUNE_TXID_MAX || i < len) {
		log_warnx("intune: %s: bad transactionID", act);
		return -1;
	}
	if (csrlen == 0 || csrlen > INTUNE_CSR_MAX) {
		log_warnx("intune: %s %s: bad CSR length %zu", act, txid,
		    csrlen);
		return -1;
	}
	return 0;
}

/* Compact JSON of an object; the object is released. */
static char *
json_text(json_t *j)
{
	char	*s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

int
intune_validate(struct intune *in, const char *txid, const uint8_t *csr,
    size_t csrlen, intune_cb *cb, void *arg)
{
	char	*b64, *body = NULL;

	if (args_ok("validateRequest", txid, csrlen) == -1 ||
	    (b64 = jwt_base64(csr, csrlen, 0)) == NULL)
		return -1;
	body = json_text(json_pack("{s:{s:s, s:s, s:s}}", "request",
	    "transactionId", txid, "certificateRequest", b64, "callerInfo",
	    in->in_conf->cf_intune_provider));
	free(b64);
	return call_start(in, IACT_VALIDATE, txid, body, cb, arg);
}

/* What Intune records of an issued certificate. */
struct issued {
	char	 is_thumb[2 * 20 + 1];		/* SHA-1, upper-case hex */
	char	 is_serial[SERIAL_HEX_MAX];
	char	 is_expiry[32];			/* ISO 8601 UTC */
	char	 is_issuer[CN_MAX];		/* the issuer's CN */
	char	 is_ca[CONF_NAME_MAX + 16];	/* name/id: stable */
};

static int
issued_read(const struct conf *cf, X509 *cert, struct issued *is)
{
	X509_NAME	*iss = X509_get_issuer_name(cert);
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned	 mdlen;
	struct tm	 tm;

	if (X509_digest(cert, EVP_sha1(), md, &mdlen) != 1 ||
	    serial_of_cert(cert, is->is_serial) == -1 ||
	    ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1)
		return -1;
	serial_hex(md, mdlen, is->is_thumb, sizeof(is->is_thumb));
	strftime(is->is_expiry, sizeof(is->is_expiry),
	    "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	if (X509_NAME_get_text_by_NID(iss, NID_commonName, is->is_issuer,
	    sizeof(is->is_issuer)) <= 0)
		X509_NAME_oneline(iss, is->is_issuer, sizeof(is->is_issuer));
	snprintf(is->is_ca, sizeof(is->is_ca), "%s/%u", cf->cf_ca_name,
	    (unsigned)cf->cf_ca_id);
	return 0;
}

int
intune_notify_success(struct intune *in, const char *txid,
    const uint8_t *csr, size_t csrlen, X509 *cert, intune_cb *cb, void *arg)
{
	struct issued	 is;
	char		*b64, *body;

	if (args_ok("successNotification", txid, csrlen) == -1)
		return -1;
	if (issued_read(in->in_conf, cert, &is) == -1) {
		log_warnx("intune: successNotification %s: unreadable "
		    "certificate", txid);
		return -1;
	}
	if ((b64 = jwt_base64(csr, csrlen, 0)) == NULL)
		return -1;
	body = json_text(json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:s, s:s}}", "notification", "transactionId", txid,
	    "certificateRequest", b64, "certificateThumbprint", is.is_thumb,
	    "certificateSerialNumber", is.is_serial,
	    "certificateExpirationDateUtc", is.is_expiry,
	    "issuingCertificateAuthority", is.is_issuer,
	    "callerInfo", in->in_conf->cf_intune_provider,
	    "caConfiguration", is.is_ca, "certificateAuthority", is.is_issuer));
	free(b64);
	return call_start(in, IACT_SUCCESS, txid, body, cb, arg);
}

/* hresult goes as its signed 32-bit value (E_FAIL is -2147467259). */
int
intune_notify_failure(struct intune *in, const char *txid,
    const uint8_t *csr, size_t csrlen, uint32_t hresult, const char *desc,
    intune_cb *cb, void *arg)
{
	char	*b64, *body, d[INTUNE_DESC_MAX + 1];

	if (args_ok("failureNotification", txid, csrlen) == -1 ||
	    (b64 = jwt_base64(csr, csrlen, 0)) == NULL)
		return -1;
	intune_clean(d, sizeof(d), desc, sizeof(d));
	body = json_text(json_pack("{s:{s:s, s:s, s:I, s:s, s:s}}",
	    "notification", "transactionId", txid, "certificateRequest", b64,
	    "hResult", (json_int_t)(int32_t)hresult, "errorDescription",
	    d[0] != '\0' ? d : "CA error", "callerInfo",
	    in->in_conf->cf_intune_provider));
	free(b64);
	return call_start(in, IACT_FAILURE, txid, body, cb, arg);
}
