/*
 * http.c: the HTTP server and its routes.  Size limits are evhttp's;
 * connections and their deadlines are conns.c's.  A request that waits on
 * the signer or the validator is answered from the IPC callback, and only
 * so many wait at once: beyond that a client hears 503 at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "frontend.h"
#include "ipc.h"

#define RETRY_AFTER	"5"	/* seconds, with every 503 */

static struct evhttp	*http;
static const struct conf *conf;
static char		 ca_path[128];

/*
 * Sends a complete response with an explicit Content-Length.  A client
 * that went away meanwhile costs nothing: evhttp frees its request.
 */
void
http_reply(struct evhttp_request *req, int code, const char *type,
    const void *body, size_t len)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evbuffer		*b = evbuffer_new();

	conns_reply(req);
	evhttp_add_header(h, "Content-Type", type);
	if (code == 503)
		evhttp_add_header(h, "Retry-After", RETRY_AFTER);
	if (b == NULL || evbuffer_add(b, body, len) == -1) {
		evhttp_send_error(req, 500, NULL);
		evbuffer_free(b);
		return;
	}
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
}

/* A one-line text/plain answer. */
void
http_text(struct evhttp_request *req, int code, const char *text)
{
	char	 line[256];
	int	 n = snprintf(line, sizeof(line), "%s\n", text);

	http_reply(req, code, "text/plain", line,
	    n > 0 && (size_t)n < sizeof(line) ? (size_t)n : 0);
}

/* An IMF-fixdate (RFC 9110 5.6.7); the frontend runs in the C locale. */
static void
http_date(time_t t, char *out, size_t outsz)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void
http_cached(struct evhttp_request *req, const char *type, const void *body,
    size_t len, time_t this_update, time_t next_update, const char *etag)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	const char		*inm;
	char			 buf[96];
	time_t			 now = time(NULL);

	http_date(this_update, buf, sizeof(buf));
	evhttp_add_header(out, "Last-Modified", buf);
	http_date(next_update, buf, sizeof(buf));
	evhttp_add_header(out, "Expires", buf);
	snprintf(buf, sizeof(buf), "max-age=%lld, public, no-transform, "
	    "must-revalidate", (long long)(next_update > now ?
	    next_update - now : 0));
	evhttp_add_header(out, "Cache-Control", buf);
	evhttp_add_header(out, "ETag", etag);
	inm = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "If-None-Match");
	if (inm != NULL && strcmp(inm, etag) == 0) {
		conns_reply(req);
		evhttp_send_reply(req, 304, NULL, NULL);
	} else
		http_reply(req, 200, type, body, len);
}

/*
 * Whether req may wait on IPC: 0, or -1 after answering 503 because
 * max_inflight requests already wait.
 */
int
http_hold(struct evhttp_request *req)
{
	if (conns_inflight() <= conf->cf_http_max_inflight)
		return 0;
	log_debug("http: %d requests in flight; 503",
	    conf->cf_http_max_inflight);
	http_text(req, 503, "busy, try again later");
	return -1;
}

/* IPC callback: the CA certificate in DER, as the caIssuers URL promises. */
static void
ca_answer(void *arg, struct ipc_msg *a)
{
	struct evhttp_request	*req = arg;
	X509			*x = NULL;
	unsigned char		*der = NULL;
	int			 dlen = -1;

	if (a != NULL && (x = ipc_get_cacert(a)) != NULL)
		dlen = i2d_X509(x, &der);
	if (dlen <= 0)
		http_text(req, 503, "CA certificate not available");
	else
		http_reply(req, 200, "application/pkix-cert", der,
		    (size_t)dlen);
	OPENSSL_free(der);
	X509_free(x);
}

/* Asks the signer a question without fields for req; cb answers req. */
void
http_ask_signer(struct evhttp_request *req, uint16_t type, peer_cb *cb)
{
	struct ipc_msg	 q;

	if (http_hold(req) == -1)
		return;
	ipc_msg_init(&q, type, 0, 0);
	if (signer_send(&q, cb, req) == -1)
		cb(req, NULL);
}

static void
route(struct evhttp_request *req, void *arg)
{
	const char	*path = evhttp_uri_get_path(
	    evhttp_request_get_evhttp_uri(req));

	conns_busy(req);
	if (path != NULL && strcmp(path, ca_path) == 0) {
		if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
		    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
			http_text(req, 405, "use GET");
		else
			http_ask_signer(req, IPC_REQ_CACERT, ca_answer);
		return;
	}
	/* The OCSP path may be "/": it comes last. */
	if (path != NULL && (crl_http_route(req, path) ||
	    scep_http_route(req, path) || ocsp_http_route(req, path)))
		return;
	http_text(req, 404, "no such resource");
}

int
http_init(struct event_base *base, const struct conf *cf, int fd)
{
	conf = cf;
	snprintf(ca_path, sizeof(ca_path), "/ca/%s.crt", cf->cf_ca_name);
	if (scep_http_init(cf) == -1 || ocsp_client_init(base) == -1)
		return -1;
	crl_http_init(cf);
	ocsp_http_init(cf);
	if ((http = evhttp_new(base)) == NULL ||
	    conns_init(base, http, fd, cf) == -1)
		return -1;
	evhttp_set_max_headers_size(http, cf->cf_http_max_headers);
	evhttp_set_max_body_size(http, cf->cf_http_max_body);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST);
	evhttp_set_gencb(http, route, NULL);
	return 0;
}

/* Closes every client connection and the listener. */
void
http_free(void)
{
	if (http == NULL)
		return;
	evhttp_free(http);
	conns_free();
	http = NULL;
}
