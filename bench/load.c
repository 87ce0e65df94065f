/*
 * load.c: the benchmark's client: conns keep-alive connections on one
 * libevent loop, each posting the next prebuilt request as soon as its
 * previous answer is in, so that conns requests are always in flight.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bench.h"

struct load {
	struct event_base *l_base;
	struct bench_req *l_reqs;
	int		 l_n;
	int		 l_next;	/* first request not yet sent */
	int		 l_done;
};

struct load_conn {
	struct scephttp	 lc_http;
	struct load	*lc_load;
	struct bench_req *lc_cur;
};

static void	load_next(struct load_conn *);
static void	load_done(int, const uint8_t *, size_t, void *);

/* Sends the next request on c, if any is left. */
static void
load_next(struct load_conn *c)
{
	struct load	*l = c->lc_load;
	struct bench_req *r;

	if (l->l_next >= l->l_n)
		return;
	r = c->lc_cur = &l->l_reqs[l->l_next++];
	r->br_sent = bench_now();
	if (scephttp_send(&c->lc_http, "PKIOperation", r->br_der, r->br_len,
	    load_done, c) == -1) {
		r->br_done = r->br_sent;
		if (++l->l_done == l->l_n)
			event_base_loopbreak(l->l_base);
	}
}

/* The answer to c's request: kept for checking after the run. */
static void
load_done(int code, const uint8_t *body, size_t len, void *arg)
{
	struct load_conn *c = arg;
	struct load	*l = c->lc_load;
	struct bench_req *r = c->lc_cur;

	r->br_done = bench_now();
	r->br_code = code;
	if (len > 0 && (r->br_reply = malloc(len)) != NULL) {
		memcpy(r->br_reply, body, len);
		r->br_replylen = len;
	}
	if (++l->l_done == l->l_n)
		event_base_loopbreak(l->l_base);
	else
		load_next(c);
}

int
load_run(const char *url, struct bench_req *reqs, int n, int conns,
    double *wall)
{
	struct load		 l;
	struct load_conn	*cs = NULL;
	double			 t0;
	int			 i, opened = 0, rv = -1;

	memset(&l, 0, sizeof(l));
	l.l_reqs = reqs;
	l.l_n = n;
	if ((l.l_base = event_base_new()) == NULL ||
	    (cs = calloc((size_t)conns, sizeof(*cs))) == NULL) {
		warnx("load set-up");
		goto out;
	}
	for (opened = 0; opened < conns; opened++) {
		cs[opened].lc_load = &l;
		if (scephttp_open(&cs[opened].lc_http, l.l_base, url) == -1)
			goto out;
	}
	t0 = bench_now();
	for (i = 0; i < conns; i++)
		load_next(&cs[i]);
	if (event_base_dispatch(l.l_base) == -1) {
		warnx("event_base_dispatch");
		goto out;
	}
	*wall = bench_now() - t0;
	rv = l.l_done == n ? 0 : -1;
 out:
	for (i = 0; i < opened; i++)
		scephttp_close(&cs[i].lc_http);
	free(cs);
	if (l.l_base != NULL)
		event_base_free(l.l_base);
	return rv;
}
