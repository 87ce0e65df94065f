/*
 * ocsp_http.c: the OCSP responder over HTTP (RFC 6960 appendix A, RFC
 * 5019 5): POST at [ocsp] path, GET at path/BASE64.  Every OCSP outcome
 * is HTTP 200 application/ocsp-response; only what is not an OCSP
 * request at all gets an HTTP error.  One CertID without a nonce is
 * answered from the cache when it holds a fresh response; everything
 * else is signed by the signer for this request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <openssl/ocsp.h>

#include "common.h"
#include "config.h"
#include "frontend.h"
#include "ocsp.h"
#include "scep.h"

#define OCSP_TYPE	"application/ocsp-response"
#define OCSP_REQ_TYPE	"application/ocsp-request"

static const char	*ocsp_path;
static size_t		 ocsp_pathlen;

static void	reply_status(struct evhttp_request *, int);
static void	live_done(void *, int, const uint8_t *, size_t, uint64_t,
		    time_t, time_t);
static void	reply_live(struct evhttp_request *,
		    const struct ocsp_request *);
static void	answer(struct evhttp_request *, const uint8_t *, size_t);
static void	post(struct evhttp_request *);
static void	get(struct evhttp_request *, const char *);

void
ocsp_http_init(const struct conf *cf)
{
	ocsp_path = cf->cf_ocsp_path;
	/* "/" serves GET at /BASE64: the separator is the path itself. */
	ocsp_pathlen = strcmp(ocsp_path, "/") == 0 ? 0 : strlen(ocsp_path);
}

/* An unsigned OCSPResponse: malformedRequest, tryLater, unauthorized. */
static void
reply_status(struct evhttp_request *req, int status)
{
	uint8_t	*der = NULL;
	size_t	 len;

	if (ocsp_status_der(status, &der, &len) == -1) {
		http_text(req, 500, "no memory");
		return;
	}
	http_reply(req, 200, OCSP_TYPE, der, len);
	OPENSSL_free(der);
}

/* A request waiting for the signer's live answer. */
struct live {
	struct evhttp_request	*lv_req;
	int			 lv_md;
	char			 lv_serial[SERIAL_HEX_MAX];
	int			 lv_nonce;
};

/*
 * The signer's answer.  The stored nonce-free one goes into the cache for
 * the next client; an answer to a nonce is single-use (RFC 9654).
 */
static void
live_done(void *arg, int r, const uint8_t *der, size_t len, uint64_t seq,
    time_t t0, time_t t1)
{
	struct live		*lv = arg;
	struct evhttp_request	*req = lv->lv_req;
	const struct ocsp_entry	*e;

	if (r != 0)
		reply_status(req, r == 1 ? OCSP_RESPONSE_STATUS_UNAUTHORIZED :
		    OCSP_RESPONSE_STATUS_TRYLATER);
	else if (seq > 0 && ocsp_cache_put(lv->lv_md, lv->lv_serial, seq, t0,
	    t1, der, len) == 0 && (e = ocsp_cache_get(lv->lv_md,
	    lv->lv_serial, t0)) != NULL)
		http_cached(req, OCSP_TYPE, e->oe_der, e->oe_len,
		    e->oe_this_update, e->oe_next_update, e->oe_etag);
	else {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Cache-Control", lv->lv_nonce ? "no-cache" :
		    "max-age=0, public, no-transform, must-revalidate");
		http_reply(req, 200, OCSP_TYPE, der, len);
	}
	free(lv);
}

/* Asks the signer, unless too many requests wait already (503). */
static void
reply_live(struct evhttp_request *req, const struct ocsp_request *oq)
{
	struct live	*lv;

	if (http_hold(req) == -1)
		return;
	if ((lv = calloc(1, sizeof(*lv))) == NULL) {
		reply_status(req, OCSP_RESPONSE_STATUS_TRYLATER);
		return;
	}
	lv->lv_req = req;
	lv->lv_md = oq->oq_ids[0].oc_md;
	snprintf(lv->lv_serial, sizeof(lv->lv_serial), "%s",
	    oq->oq_ids[0].oc_serial);
	lv->lv_nonce = oq->oq_noncelen > 0;
	ocsp_client_live(oq, live_done, lv);
}

/* The decision table of spec/scep-ocsp.md B.8, for one request. */
static void
answer(struct evhttp_request *req, const uint8_t *der, size_t len)
{
	struct ocsp_request	 oq;
	const struct ocsp_entry	*e;

	if (ocsp_parse(der, len, &oq) == -1) {
		log_debug("ocsp: malformed request: %s", oq.oq_why);
		reply_status(req, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
		return;
	}
	if (oq.oq_noncelen > 2 + 32)
		log_debug("ocsp: nonce longer than the 32 bytes of RFC 8954");
	if (!ocsp_client_issuer()->oi_ready) {
		reply_status(req, OCSP_RESPONSE_STATUS_TRYLATER);
		return;
	}
	if (!ocsp_issuer_match(ocsp_client_issuer(), &oq)) {
		reply_status(req, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
		return;
	}
	if (oq.oq_n == 1 && oq.oq_noncelen == 0 &&
	    (e = ocsp_cache_get(oq.oq_ids[0].oc_md, oq.oq_ids[0].oc_serial,
	    time(NULL))) != NULL) {
		http_cached(req, OCSP_TYPE, e->oe_der, e->oe_len,
		    e->oe_this_update, e->oe_next_update, e->oe_etag);
		return;
	}
	reply_live(req, &oq);
}

static void
post(struct evhttp_request *req)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	const char	*type;
	size_t		 len = evbuffer_get_length(in);

	type = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	if (type == NULL || strncasecmp(type, OCSP_REQ_TYPE,
	    strlen(OCSP_REQ_TYPE)) != 0) {
		http_text(req, 415, "expected "
		    OCSP_REQ_TYPE);
		return;
	}
	answer(req, len == 0 ? NULL : evbuffer_pullup(in, -1), len);
}

/* GET path/BASE64: percent-decoded only, white space dropped (B.2). */
static void
get(struct evhttp_request *req, const char *tail)
{
	uint8_t	*der = NULL;
	size_t	 len = 0;

	if (strlen(tail) > OCSP_GET_MAX) {
		http_text(req, 414, "OCSP request too long");
		return;
	}
	if (scep_query_decode(tail, &der, &len) == -1)
		reply_status(req, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	else
		answer(req, der, len);
	free(der);
}

/* Returns 1 if path is the responder's (and answers it), else 0. */
int
ocsp_http_route(struct evhttp_request *req, const char *path)
{
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);

	if (strncmp(path, ocsp_path, ocsp_pathlen) != 0 ||
	    (path[ocsp_pathlen] != '\0' && path[ocsp_pathlen] != '/'))
		return 0;
	if (cmd == EVHTTP_REQ_POST)
		post(req);
	else if (cmd != EVHTTP_REQ_GET)
		http_text(req, 405, "use GET or POST");
	else if (path[ocsp_pathlen] == '\0' || path[ocsp_pathlen + 1] == '\0')
		http_text(req, 400, "no OCSP request in the "
		    "path");
	else
		get(req, path + ocsp_pathlen + 1);
	return 1;
}
