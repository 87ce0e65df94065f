/*
 * scephttp.c: the HTTP side of a SCEP client (RFC 8894 4.1) with
 * libevent's evhttp client: GET operation=OP, or a POST of a pkiMessage.
 * One connection carries one request at a time, kept alive between them.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "scepmsg.h"

#define SCEPHTTP_TIMEOUT	60	/* seconds for one exchange */

/* One request in flight. */
struct sh_call {
	scephttp_fn	 c_fn;
	void		*c_arg;
};

/* What scephttp_fetch waits for. */
struct sh_result {
	struct event_base *r_base;
	uint8_t		*r_body;
	size_t		 r_len;
	int		 r_code;
};

static void	sh_done(struct evhttp_request *, void *);
static void	sh_keep(int, const uint8_t *, size_t, void *);

int
scephttp_open(struct scephttp *h, struct event_base *base, const char *url)
{
	struct evhttp_uri	*u;
	const char		*host, *path;
	int			 port, r = -1;

	memset(h, 0, sizeof(*h));
	if ((u = evhttp_uri_parse(url)) == NULL ||
	    evhttp_uri_get_scheme(u) == NULL ||
	    strcmp(evhttp_uri_get_scheme(u), "http") != 0 ||
	    (host = evhttp_uri_get_host(u)) == NULL) {
		warnx("%s: not an http:// URL", url);
		goto out;
	}
	if ((port = evhttp_uri_get_port(u)) == -1)
		port = 80;
	if ((path = evhttp_uri_get_path(u)) == NULL || *path == '\0')
		path = "/";
	snprintf(h->sh_host, sizeof(h->sh_host), "%s:%d", host, port);
	snprintf(h->sh_path, sizeof(h->sh_path), "%s", path);
	if ((h->sh_conn = evhttp_connection_base_new(base, NULL, host,
	    (unsigned short)port)) == NULL) {
		warnx("evhttp_connection_base_new %s", h->sh_host);
		goto out;
	}
	evhttp_connection_set_timeout(h->sh_conn, SCEPHTTP_TIMEOUT);
	r = 0;
 out:
	if (u != NULL)
		evhttp_uri_free(u);
	return r;
}

void
scephttp_close(struct scephttp *h)
{
	if (h->sh_conn != NULL)
		evhttp_connection_free(h->sh_conn);
	h->sh_conn = NULL;
}

static void
sh_done(struct evhttp_request *req, void *arg)
{
	struct sh_call	*c = arg;
	struct evbuffer	*in;
	size_t		 len = 0;
	const uint8_t	*body = NULL;
	int		 code = 0;

	if (req != NULL && (code = evhttp_request_get_response_code(req)) != 0) {
		in = evhttp_request_get_input_buffer(req);
		if ((len = evbuffer_get_length(in)) > 0)
			body = evbuffer_pullup(in, -1);
	}
	c->c_fn(code, body, len, c->c_arg);
	free(c);
}

int
scephttp_send(struct scephttp *h, const char *op, const uint8_t *body,
    size_t len, scephttp_fn done, void *arg)
{
	struct evhttp_request	*req;
	struct evkeyvalq	*hdrs;
	struct sh_call		*c;
	char			 uri[SCEPMSG_PATH_MAX + 64];

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (req = evhttp_request_new(sh_done, c)) == NULL) {
		free(c);
		warnx("evhttp_request_new");
		return -1;
	}
	c->c_fn = done;
	c->c_arg = arg;
	hdrs = evhttp_request_get_output_headers(req);
	evhttp_add_header(hdrs, "Host", h->sh_host);
	if (body != NULL) {
		evhttp_add_header(hdrs, "Content-Type",
		    "application/x-pki-message");
		evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
	}
	snprintf(uri, sizeof(uri), "%s?operation=%s", h->sh_path, op);
	/* It fails before queueing req (and frees it): no callback. */
	if (evhttp_make_request(h->sh_conn, req, body != NULL ?
	    EVHTTP_REQ_POST : EVHTTP_REQ_GET, uri) == -1) {
		free(c);
		warnx("evhttp_make_request %s", uri);
		return -1;
	}
	return 0;
}

static void
sh_keep(int code, const uint8_t *body, size_t len, void *arg)
{
	struct sh_result	*r = arg;

	r->r_code = code;
	if (len > 0 && (r->r_body = malloc(len)) != NULL) {
		memcpy(r->r_body, body, len);
		r->r_len = len;
	}
	event_base_loopbreak(r->r_base);
}

int
scephttp_fetch(const char *url, const char *op, const uint8_t *body,
    size_t len, uint8_t **out, size_t *outlen, int *code)
{
	struct scephttp		 h;
	struct sh_result	 r;
	int			 rv = -1;

	memset(&h, 0, sizeof(h));
	memset(&r, 0, sizeof(r));
	if ((r.r_base = event_base_new()) == NULL) {
		warnx("event_base_new");
		return -1;
	}
	if (scephttp_open(&h, r.r_base, url) == 0 &&
	    scephttp_send(&h, op, body, len, sh_keep, &r) == 0 &&
	    event_base_dispatch(r.r_base) != -1) {
		*out = r.r_body;
		*outlen = r.r_len;
		*code = r.r_code;
		r.r_body = NULL;
		rv = 0;
	}
	free(r.r_body);
	scephttp_close(&h);
	event_base_free(r.r_base);
	return rv;
}
