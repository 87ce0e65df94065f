/*
 * intune.c: the Intune client's life (credentials are read once, at start,
 * from files only the validator's user may read), the names of its
 * results, and the helpers its parts share.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/rand.h>

#include "common.h"
#include "config.h"
#include "intune.h"

#define CRED_MAX	4096	/* a secret or "user:password" line */

/* Wire names of Intune's codes, then ours (never sent by Intune). */
static const char *const result_names[INTUNE__MAX] = {
	"Success", "Unknown", "CertificateRequestDecodingFailed",
	"ChallengePasswordMissing", "ChallengeDeserializationError",
	"ChallengeDecryptionError", "ChallengeDecodingError",
	"ChallengeInvalidTimestamp", "ChallengeExpired", "SubjectNameMissing",
	"SubjectNameMismatch", "SubjectAltNameMissing",
	"SubjectAltNameMismatch", "KeyUsageMismatch", "KeyLengthMismatch",
	"EnhancedKeyUsageMissing", "EnhancedKeyUsageMismatch",
	"AadKeyIdentifierListMissing", "RegisteredKeyMismatch",
	"SigningCertThumbprintMismatch",
	"ScepProfileNoLongerTargetedToTheClient", "SignatureValidationFailed",
	"BadCertificateRequestIdInChallenge", "BadDeviceIdInChallenge",
	"BadUserIdInChallenge",
	"transport-error", "throttled", "http-error", "auth-error",
	"discovery-error", "protocol-error", "internal-error",
};

const char *
intune_result_name(enum intune_result r)
{
	if ((unsigned)r >= INTUNE__MAX)
		return "invalid";
	return result_names[r];
}

int
intune_result_refused(enum intune_result r)
{
	return r > INTUNE_SUCCESS && r < INTUNE_ERR_TRANSPORT;
}

/* A random (version 4) UUID for client-request-id. */
void
intune_uuid(char out[37])
{
	uint8_t	 b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		fatalx("RAND_bytes");
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* Copies at most len bytes of src as printable ASCII for a log line. */
void
intune_clean(char *dst, size_t dstsz, const char *src, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && i + 1 < dstsz && src[i] != '\0'; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

/* Zeroes a string that may hold a secret, then frees it. */
void
intune_wipe(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* The deadline of a call of a few attempts: each may take the whole
 * request timeout, and the backoff between them adds a little. */
int
intune_deadline(const struct conf *cf, int attempts)
{
	return attempts * (cf->cf_intune_request_timeout + 2);
}

/* An Intune result code as the service spells it; Unknown if new. */
enum intune_result
intune_result_parse(const char *code)
{
	int	 r;

	for (r = INTUNE_SUCCESS; r < INTUNE_ERR_TRANSPORT; r++)
		if (strcmp(result_names[r], code) == 0)
			return r;
	return INTUNE_UNKNOWN;
}

static int
iwait_add(struct iwaiters *ws, ivalue_cb *cb, void *arg)
{
	struct iwaiter	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("calloc");
		return -1;
	}
	w->iw_cb = cb;
	w->iw_arg = arg;
	TAILQ_INSERT_TAIL(ws, w, iw_entry);
	return 0;
}

/* Hands the value to every waiter; a waiter may queue a new one. */
void
iwait_done(struct iwaiters *ws, const char *value, enum intune_result r,
    const char *msg)
{
	struct iwaiters	 now;
	struct iwaiter	*w;

	TAILQ_INIT(&now);
	TAILQ_CONCAT(&now, ws, iw_entry);
	while ((w = TAILQ_FIRST(&now)) != NULL) {
		TAILQ_REMOVE(&now, w, iw_entry);
		w->iw_cb(w->iw_arg, value, r, msg);
		free(w);
	}
}

/*
 * One fetch for many waiters: a fresh value goes to cb at once; else cb
 * waits, and the first waiter starts fetch(farg).  -1 if it cannot.
 */
int
iwait_get(struct iwaiters *ws, const char *fresh, ivalue_cb *cb, void *arg,
    int (*fetch)(void *), void *farg)
{
	int	 busy = !TAILQ_EMPTY(ws);

	if (!busy && fresh != NULL) {
		cb(arg, fresh, INTUNE_SUCCESS, "");
		return 0;
	}
	if (iwait_add(ws, cb, arg) == -1)
		return -1;
	if (!busy && fetch(farg) == -1) {
		iwait_clear(ws);
		return -1;
	}
	return 0;
}

void
iwait_clear(struct iwaiters *ws)
{
	struct iwaiter	*w;

	while ((w = TAILQ_FIRST(ws)) != NULL) {
		TAILQ_REMOVE(ws, w, iw_entry);
		free(w);
	}
}

/* 0 if only the owner may read or write path (a secret, a key). */
int
intune_private_file(const char *path)
{
	struct stat	 st;

	if (stat(path, &st) == -1) {
		log_warn("%s", path);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		log_warnx("%s: open to others (expected mode 0600 or 0400)",
		    path);
		return -1;
	}
	return 0;
}

/* Reads a one-line credential from a file no one else may read. */
static char *
cred_read(const char *path)
{
	char	 buf[CRED_MAX], *s;

	if (intune_private_file(path) == -1 ||
	    secret_read(path, buf, sizeof(buf)) == -1)
		return NULL;
	if ((s = strdup(buf)) == NULL)
		log_warn("strdup");
	explicit_bzero(buf, sizeof(buf));
	return s;
}

/* The client secret or the assertion key, and the proxy's login. */
static int
creds_load(struct intune *in, char **proxy_login)
{
	const struct conf	*cf = in->in_conf;

	*proxy_login = NULL;
	if (cf->cf_intune_auth == INTUNE_AUTH_SECRET) {
		if ((in->in_secret = cred_read(cf->cf_intune_secret_file)) ==
		    NULL)
			return -1;
	} else if (cf->cf_intune_auth == INTUNE_AUTH_CERTIFICATE) {
		if ((in->in_jwt = ijwt_load(cf)) == NULL)
			return -1;
		intune_set_assertion(in, ijwt_assert, in->in_jwt);
	}
	if (cf->cf_intune_proxy_credentials_file == NULL)
		return 0;
	if ((*proxy_login = cred_read(cf->cf_intune_proxy_credentials_file)) ==
	    NULL)
		return -1;
	if (strchr(*proxy_login, ':') == NULL) {
		log_warnx("%s: expected one line USER:PASSWORD",
		    cf->cf_intune_proxy_credentials_file);
		return -1;
	}
	return 0;
}

struct intune *
intune_new(struct event_base *base, const struct conf *cf)
{
	struct intune	*in;
	char		*login = NULL;
	int		 i;

	if (cf->cf_intune_tenant == NULL) {
		log_warnx("intune: [intune] is not configured");
		return NULL;
	}
	if ((in = calloc(1, sizeof(*in))) == NULL) {
		log_warn("calloc");
		return NULL;
	}
	in->in_base = base;
	in->in_conf = cf;
	TAILQ_INIT(&in->in_calls);
	in->in_disc.ds_in = in;
	TAILQ_INIT(&in->in_disc.ds_waiters);
	for (i = 0; i < ISCOPE__MAX; i++) {
		in->in_tokens[i].tk_in = in;
		in->in_tokens[i].tk_scope = i;
		TAILQ_INIT(&in->in_tokens[i].tk_waiters);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		log_warnx("curl_global_init");
		free(in);
		return NULL;
	}
	if (asprintf(&in->in_token_url, "%s%s/oauth2/v2.0/token",
	    cf->cf_intune_authority, cf->cf_intune_tenant) == -1) {
		in->in_token_url = NULL;
		log_warn("asprintf");
		goto fail;
	}
	if (creds_load(in, &login) == 0)
		in->in_http = ihttp_new(base, cf, login);
	intune_wipe(login);
	if (in->in_http == NULL)
		goto fail;
	return in;
 fail:
	intune_free(in);
	return NULL;
}

/* Ends every call without its callback and forgets every secret. */
void
intune_free(struct intune *in)
{
	int	 i;

	if (in == NULL)
		return;
	icall_free_all(in);
	ihttp_free(in->in_http);
	for (i = 0; i < ISCOPE__MAX; i++)
		itoken_free(&in->in_tokens[i]);
	idisc_free(&in->in_disc);
	intune_wipe(in->in_secret);
	ijwt_free(in->in_jwt);
	free(in->in_token_url);
	free(in);
	curl_global_cleanup();
}

void
intune_set_assertion(struct intune *in, intune_assert_fn *fn, void *arg)
{
	in->in_assert = fn;
	in->in_assert_arg = arg;
}
