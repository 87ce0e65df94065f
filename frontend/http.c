/*
 * http.c: the HTTP listener and its routes.  Limits are explicit: header
 * and body size, and a timeout, so a slow client is dropped, not waited
 * for.
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

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "frontend.h"
#include "ipc.h"

static char	 ca_path[128];

/* Sends a complete response with an explicit Content-Length. */
void
http_reply(struct evhttp_request *req, int code, const char *reason,
    const char *type, const void *body, size_t len)
{
	struct evbuffer	*b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", type);
	if (b == NULL || evbuffer_add(b, body, len) == -1) {
		evhttp_send_error(req, 500, "Internal Server Error");
		evbuffer_free(b);
		return;
	}
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

void
http_text(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	char	 line[256];
	int	 n = snprintf(line, sizeof(line), "%s\n", text);

	http_reply(req, code, reason, "text/plain", line, (size_t)n);
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
	if (inm != NULL && strcmp(inm, etag) == 0)
		evhttp_send_reply(req, 304, "Not Modified", NULL);
	else
		http_reply(req, 200, "OK", type, body, len);
}

/* The CA certificate in DER, as the caIssuers URL promises. */
static void
serve_ca(struct evhttp_request *req)
{
	struct ipc_msg	 q, a;
	X509		*x = NULL;
	unsigned char	*der = NULL;
	int		 dlen = -1;

	ipc_msg_init(&q, IPC_REQ_CACERT, 0, 0);
	memset(&a, 0, sizeof(a));
	if (signer_call(&q, &a) == 0 && (x = ipc_get_cacert(&a)) != NULL)
		dlen = i2d_X509(x, &der);
	if (dlen <= 0)
		http_text(req, 503, "Service Unavailable",
		    "CA certificate not available");
	else
		http_reply(req, 200, "OK", "application/pkix-cert", der,
		    (size_t)dlen);
	OPENSSL_free(der);
	X509_free(x);
	ipc_msg_free(&a);
}

static void
route(struct evhttp_request *req, void *arg)
{
	const char	*path = evhttp_uri_get_path(
	    evhttp_request_get_evhttp_uri(req));

	if (path != NULL && strcmp(path, ca_path) == 0) {
		if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
		    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
			http_text(req, 405, "Method Not Allowed", "use GET");
			return;
		}
		serve_ca(req);
		return;
	}
	/* The OCSP path may be "/": it comes last. */
	if (path != NULL && (crl_http_route(req, path) ||
	    scep_http_route(req, path) || ocsp_http_route(req, path)))
		return;
	http_text(req, 404, "Not Found", "no such resource");
}

int
http_init(struct event_base *base, const struct conf *cf, int fd)
{
	struct evhttp	*http;

	snprintf(ca_path, sizeof(ca_path), "/ca/%s.crt", cf->cf_ca_name);
	if (scep_http_init(cf) == -1 || ocsp_client_init(base) == -1)
		return -1;
	crl_http_init(cf);
	ocsp_http_init(cf);
	if (evutil_make_socket_nonblocking(fd) == -1 ||
	    (http = evhttp_new(base)) == NULL ||
	    evhttp_accept_socket(http, fd) == -1) {
		log_warnx("http: cannot serve on fd %d", fd);
		return -1;
	}
	evhttp_set_max_headers_size(http, HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(http, HTTP_BODY_MAX);
	evhttp_set_timeout(http, HTTP_TIMEOUT_S);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST);
	evhttp_set_gencb(http, route, NULL);
	return 0;
}
