/*
 * intune.h: keyward's client for Entra ID, Microsoft Graph and the Intune
 * SCEP validation service.  It runs on the caller's libevent base and
 * drives every HTTPS exchange through one libcurl multi handle, so a
 * request waiting on Intune holds up nothing else.
 */
#ifndef KEYWARD_INTUNE_H
#define KEYWARD_INTUNE_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

struct conf;
struct event;
struct event_base;

#define INTUNE_TXID_MAX		128	/* as the validator accepts them */
#define INTUNE_CSR_MAX		(16 * 1024)
#define INTUNE_MSG_MAX		512	/* a result's log-safe message */
#define INTUNE_DESC_MAX		255	/* failureNotification description */

/*
 * What a call came to: the Intune service's own result codes first, in
 * the order of its libraries, then the ways a call gets no answer.
 */
enum intune_result {
	INTUNE_SUCCESS,
	INTUNE_UNKNOWN,			/* a code this table lacks */
	INTUNE_CSR_DECODING_FAILED,
	INTUNE_CHALLENGE_MISSING,
	INTUNE_CHALLENGE_DESERIALIZATION,
	INTUNE_CHALLENGE_DECRYPTION,
	INTUNE_CHALLENGE_DECODING,
	INTUNE_CHALLENGE_TIMESTAMP,
	INTUNE_CHALLENGE_EXPIRED,
	INTUNE_SUBJECT_MISSING,
	INTUNE_SUBJECT_MISMATCH,
	INTUNE_SAN_MISSING,
	INTUNE_SAN_MISMATCH,
	INTUNE_KU_MISMATCH,
	INTUNE_KEY_LENGTH_MISMATCH,
	INTUNE_EKU_MISSING,
	INTUNE_EKU_MISMATCH,
	INTUNE_AAD_KEY_ID_MISSING,
	INTUNE_REGISTERED_KEY_MISMATCH,
	INTUNE_SIGNING_THUMBPRINT_MISMATCH,
	INTUNE_PROFILE_NOT_TARGETED,
	INTUNE_SIGNATURE_FAILED,
	INTUNE_BAD_REQUEST_ID,
	INTUNE_BAD_DEVICE_ID,
	INTUNE_BAD_USER_ID,
	/* No verdict from Intune: the request may be tried again later. */
	INTUNE_ERR_TRANSPORT,		/* connect, TLS, timeout, reset */
	INTUNE_ERR_THROTTLED,		/* 429/503 beyond the deadline */
	INTUNE_ERR_HTTP,		/* a status other than 2xx */
	INTUNE_ERR_AUTH,		/* Entra ID refused our credentials */
	INTUNE_ERR_DISCOVERY,		/* Graph lists no SCEP service */
	INTUNE_ERR_PROTOCOL,		/* a reply we cannot read */
	INTUNE_ERR_INTERNAL,		/* out of memory, a local key */
	INTUNE__MAX
};

/* A call's outcome; msg is safe to log and names the client-request-id. */
typedef void	intune_cb(void *arg, enum intune_result, const char *msg);

/*
 * Makes a signed JWT client assertion for the token endpoint aud; NULL on
 * failure.  auth = certificate signs with the key file; with auth = token
 * the validator sets one that has the signer build and sign it.
 */
typedef char	*intune_assert_fn(void *arg, const char *aud);

struct intune;

/* intune.c: the module's life, result names, shared helpers. */
struct intune	*intune_new(struct event_base *, const struct conf *);
void		 intune_free(struct intune *);
void		 intune_set_assertion(struct intune *, intune_assert_fn *,
		    void *);
const char	*intune_result_name(enum intune_result);
/* True for Intune's refusal of the request (SCEP badRequest). */
int		 intune_result_refused(enum intune_result);

/* intune_actions.c: 0 if started (cb runs later, exactly once), else -1. */
int	intune_validate(struct intune *, const char *txid, const uint8_t *csr,
	    size_t csrlen, intune_cb *, void *);
int	intune_notify_success(struct intune *, const char *txid,
	    const uint8_t *csr, size_t csrlen, X509 *cert, intune_cb *,
	    void *);
int	intune_notify_failure(struct intune *, const char *txid,
	    const uint8_t *csr, size_t csrlen, uint32_t hresult,
	    const char *desc, intune_cb *, void *);

/* The directory objects a certificate can be bound to (spec section 10). */
enum intune_dir_kind { IDIR_ENTRA, IDIR_INTUNE, IDIR_USER, IDIR__MAX };
/* What Graph said of one; UNKNOWN (no authoritative answer) changes
 * nothing. */
enum intune_dir_state { IDIR_ENABLED, IDIR_DISABLED, IDIR_GONE,
    IDIR_UNKNOWN };
typedef void	intune_dir_cb(void *arg, enum intune_dir_state,
		    const char *msg);
/* One look-up in flight; the caller's storage until cb has run. */
struct intune_dirq {
	struct intune		*dq_in;
	char			 dq_url[512];
	int			 dq_retried;	/* a 401 dropped the token */
	intune_dir_cb		*dq_cb;
	void			*dq_arg;
};

/* intune_directory.c: an Intune managed device by its id (a GUID); 0
 * if started (cb runs later, once), else -1. */
int	intune_device_lookup(struct intune *, struct intune_dirq *,
	    const char *id, intune_dir_cb *, void *);

/* intune_delta.c: Entra devices (by device id) or users (by object id),
 * copied through Graph delta queries. */
struct idelta;
typedef void	idelta_cb(void *arg, int ok, const char *msg);
struct idelta	*idelta_new(struct intune *, enum intune_dir_kind);
void		 idelta_free(struct idelta *);
int		 idelta_update(struct idelta *, idelta_cb *, void *);
enum intune_dir_state idelta_state(const struct idelta *, const char *id);

/* Below: shared by the intune_*.c files only. */

/* The two token audiences: Graph for discovery, Intune for the calls. */
enum intune_scope { ISCOPE_GRAPH, ISCOPE_INTUNE, ISCOPE__MAX };

/* A value fetched once for many waiters (token, service URI). */
typedef void	ivalue_cb(void *arg, const char *value, enum intune_result,
		    const char *msg);
struct iwaiter {
	TAILQ_ENTRY(iwaiter)	 iw_entry;
	ivalue_cb		*iw_cb;
	void			*iw_arg;
};
TAILQ_HEAD(iwaiters, iwaiter);

struct itoken {
	struct intune	*tk_in;
	enum intune_scope tk_scope;
	char		*tk_value;	/* NULL: none cached */
	int64_t		 tk_refresh;	/* monotonic ms: fetch a new one */
	int64_t		 tk_start;	/* when the fetch in flight began */
	struct iwaiters	 tk_waiters;	/* non-empty: a fetch in flight */
};

struct idisc {
	struct intune	*ds_in;
	char		*ds_uri;	/* the SCEP service, or NULL */
	int64_t		 ds_expires;	/* monotonic ms */
	char		*ds_next;	/* page being fetched */
	int		 ds_pages;
	int		 ds_retried;	/* a 401 dropped the Graph token */
	struct iwaiters	 ds_waiters;
};

struct icall;
struct ihttp;
struct ijwt;

struct intune {
	struct event_base	*in_base;
	const struct conf	*in_conf;
	struct ihttp		*in_http;
	char			*in_secret;	/* client secret, or NULL */
	struct ijwt		*in_jwt;	/* local assertion key, or NULL */
	intune_assert_fn	*in_assert;
	void			*in_assert_arg;
	char			*in_token_url;
	struct itoken		 in_tokens[ISCOPE__MAX];
	struct idisc		 in_disc;
	TAILQ_HEAD(, icall)	 in_calls;
};

/* intune.c */
int	 intune_deadline(const struct conf *, int attempts);
void	 intune_uuid(char out[37]);
void	 intune_clean(char *dst, size_t dstsz, const char *src, size_t len);
void	 intune_wipe(char *);
int	 intune_private_file(const char *path);
enum intune_result intune_result_parse(const char *code);
int	 iwait_get(struct iwaiters *, const char *fresh, ivalue_cb *, void *,
	    int (*fetch)(void *), void *);
void	 iwait_done(struct iwaiters *, const char *value, enum intune_result,
	    const char *msg);
void	 iwait_clear(struct iwaiters *);

/* intune_http.c: HTTPS exchanges with bounded retries. */
struct ihttp_res {
	long		 hr_status;	/* 0: no HTTP answer */
	int		 hr_transport;	/* no answer: connect, TLS, timeout */
	int		 hr_throttled;	/* 429/503 and no time left to wait */
	const char	*hr_body;	/* NUL-terminated */
	size_t		 hr_len;
	const char	*hr_error;	/* what went wrong, log-safe */
	const char	*hr_reqid;	/* client-request-id of the attempt */
};
typedef void	ihttp_cb(void *arg, const struct ihttp_res *);
struct ihttp_call {
	const char	*hc_url;
	const char	*hc_form;	/* POST form body, or NULL */
	const char	*hc_json;	/* POST JSON body, or NULL: GET */
	const char	*hc_bearer;	/* access token, or NULL */
	const char	*hc_api_version; /* Intune's header, or NULL */
	int		 hc_attempts;	/* 0: as many as the deadline allows */
	int		 hc_deadline_s;	/* for all attempts */
};
struct ihttp	*ihttp_new(struct event_base *, const struct conf *,
		    const char *proxy_userpwd);
void		 ihttp_free(struct ihttp *);
int		 ihttp_start(struct ihttp *, const struct ihttp_call *,
		    ihttp_cb *, void *);
enum intune_result ihttp_fail(const struct ihttp_res *, const char *what,
		    char *msg, size_t msgsz);

/* intune_token.c: Entra ID access tokens, one cached per scope. */
int	itoken_get(struct intune *, enum intune_scope, ivalue_cb *, void *);
void	itoken_drop(struct intune *, enum intune_scope);
void	itoken_free(struct itoken *);

/* intune_jwt.c: client assertions signed with a key from a file. */
struct ijwt	*ijwt_load(const struct conf *);
void		 ijwt_free(struct ijwt *);
char		*ijwt_assert(void *ijwt, const char *aud);

/* intune_discovery.c: the SCEP service's URI from Graph, cached. */
int	idisc_get(struct intune *, ivalue_cb *, void *);
void	idisc_invalidate(struct intune *);
void	idisc_free(struct idisc *);

/* intune_actions.c */
void	icall_free_all(struct intune *);

#endif
