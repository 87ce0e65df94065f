/*
 * conns.c: the HTTP clients' connections and their limits.  evhttp 2.1 has
 * only idle timeouts and no connection cap, so the frontend owns the
 * listener and creates every connection's bufferevent itself.  It keeps a
 * reference to each one: evhttp's bufferevent_free() then only drops
 * evhttp's reference and clears the callbacks, which a periodic sweep
 * sees; the sweep also cuts off clients that miss a deadline.
 */
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "common.h"
#include "config.h"
#include "frontend.h"

#define SWEEP_MS	500
#define CAP_LOG_MS	60000	/* at most one "at the cap" line a minute */
#define FD_SPARE	96	/* listener, IPC (up to 64 signers), stdio */

enum conn_state {
	CONN_READING,		/* until a whole request: read deadline */
	CONN_BUSY,		/* the request is being answered */
	CONN_WRITING,		/* until the reply is out: write deadline */
};

struct conn {
	TAILQ_ENTRY(conn)	 c_entry;
	struct bufferevent	*c_bev;		/* one reference is ours */
	enum conn_state		 c_state;
	int64_t			 c_since;	/* ms, the deadline's start */
	int			 c_heard;	/* bytes came since c_since */
	int			 c_cut;		/* shut down, evhttp to free it */
};

static TAILQ_HEAD(, conn)	 conns = TAILQ_HEAD_INITIALIZER(conns);
static struct evconnlistener	*listener;
static struct event		*sweeper;
static const struct conf	*conf;
static int			 nconns, nbusy;
static int64_t			 cap_logged = -CAP_LOG_MS;
static int			 paused;	/* listener off: cap or error */
static int			 stopped;	/* listener off for good */

static void
listener_pause(void)
{
	if (!paused)
		evconnlistener_disable(listener);
	paused = 1;
}

/* Any byte from the client shows that the connection is not idle. */
static void
conn_heard(struct evbuffer *b, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn	*c = arg;

	if (info->n_added > 0)
		c->c_heard = 1;
}

/* evhttp's bufferevent callback: a new connection, tracked from here. */
static struct bufferevent *
conn_new(struct event_base *base, void *arg)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->c_bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    evbuffer_add_cb(bufferevent_get_input(c->c_bev), conn_heard,
	    c) == NULL) {
		log_warnx("http: no memory for a connection");
		if (c != NULL && c->c_bev != NULL)
			bufferevent_free(c->c_bev);
		free(c);
		return NULL;
	}
	bufferevent_incref(c->c_bev);
	c->c_state = CONN_READING;
	c->c_since = mono_ms();
	TAILQ_INSERT_TAIL(&conns, c, c_entry);
	if (++nconns >= conf->cf_http_max_conns && !paused) {
		if (c->c_since - cap_logged >= CAP_LOG_MS) {
			log_warnx("http: %d connections; accepting more as "
			    "they close", nconns);
			cap_logged = c->c_since;
		}
		listener_pause();
	}
	return c->c_bev;
}

/* The tracked connection req came on; NULL if the client is gone. */
static struct conn *
conn_find(struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	struct conn			*c;

	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return NULL;
	bev = evhttp_connection_get_bufferevent(evcon);
	TAILQ_FOREACH(c, &conns, c_entry)
		if (c->c_bev == bev)
			return c;
	return NULL;
}

/* A request was read whole: it is answered without a client deadline. */
void
conns_busy(struct evhttp_request *req)
{
	struct conn	*c;

	if ((c = conn_find(req)) != NULL && c->c_state != CONN_BUSY) {
		c->c_state = CONN_BUSY;
		nbusy++;
	}
}

/* Requests being answered, the one in hand included. */
int
conns_inflight(void)
{
	return nbusy;
}

/* The reply is out: the next request on the connection gets its time. */
static void
conn_done(struct evhttp_request *req, void *arg)
{
	struct conn	*c = arg;

	c->c_state = CONN_READING;
	c->c_since = mono_ms();
	c->c_heard = evbuffer_get_length(bufferevent_get_input(c->c_bev)) > 0;
}

/* The reply to req is about to be sent: it gets write_timeout. */
void
conns_reply(struct evhttp_request *req)
{
	struct conn	*c;

	if ((c = conn_find(req)) == NULL)
		return;
	if (c->c_state == CONN_BUSY)
		nbusy--;
	c->c_state = CONN_WRITING;
	c->c_since = mono_ms();
	evhttp_request_set_on_complete_cb(req, conn_done, c);
}

/* True once evhttp has freed the connection (its bufferevent_free). */
static int
conn_gone(const struct conn *c)
{
	bufferevent_event_cb	 eventcb;

	bufferevent_getcb(c->c_bev, NULL, NULL, &eventcb, NULL);
	return eventcb == NULL;
}

static void
conn_drop(struct conn *c)
{
	TAILQ_REMOVE(&conns, c, c_entry);
	nconns--;
	if (c->c_state == CONN_BUSY)
		nbusy--;
	bufferevent_decref(c->c_bev);	/* the last reference: closes */
	free(c);
}

/*
 * Shuts the socket down, which evhttp sees as the client's end of stream
 * (reading on, so that it sees it in any state) and answers by freeing
 * the connection.  Only ever for a connection without a request in hand.
 */
static void
conn_cut(struct conn *c, const char *why, int secs)
{
	log_info("http: dropping a client: %s in %d s", why, secs);
	shutdown(bufferevent_getfd(c->c_bev), SHUT_RDWR);
	bufferevent_enable(c->c_bev, EV_READ);
	c->c_cut = 1;
}

static void
conn_check(struct conn *c, int64_t now)
{
	int64_t		 age = now - c->c_since;
	const struct conf *cf = conf;

	if (c->c_cut)
		return;
	if (c->c_state == CONN_READING &&
	    age >= cf->cf_http_read_timeout * 1000LL)
		conn_cut(c, "no whole request", cf->cf_http_read_timeout);
	else if (c->c_state == CONN_READING && !c->c_heard &&
	    age >= cf->cf_http_idle_timeout * 1000LL)
		conn_cut(c, "not a byte", cf->cf_http_idle_timeout);
	else if (c->c_state == CONN_WRITING &&
	    age >= cf->cf_http_write_timeout * 1000LL)
		conn_cut(c, "reply not taken", cf->cf_http_write_timeout);
}

/* Forgets what evhttp freed, enforces deadlines, resumes accepting. */
static void
conns_sweep(evutil_socket_t fd, short ev, void *arg)
{
	struct conn	*c, *next;
	int64_t		 now = mono_ms();

	for (c = TAILQ_FIRST(&conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, c_entry);
		if (conn_gone(c))
			conn_drop(c);
		else
			conn_check(c, now);
	}
	if (paused && !stopped && nconns < conf->cf_http_max_conns) {
		evconnlistener_enable(listener);
		paused = 0;
	}
}

/* accept() failed (out of descriptors, say): pause until the sweep. */
static void
accept_error(struct evconnlistener *l, void *arg)
{
	log_warn("http: accept");
	listener_pause();
}

/* Room for every client and our own descriptors, raising the soft limit. */
static int
fd_limit(int max_conns)
{
	struct rlimit	 rl;
	rlim_t		 need = (rlim_t)max_conns + FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit");
		return -1;
	}
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		log_warnx("http: max_connections %d needs %llu descriptors, "
		    "the limit is %llu", max_conns, (unsigned long long)need,
		    (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("setrlimit");
		return -1;
	}
	return 0;
}

/* Serves http on the listening socket fd within cf's [http] limits. */
int
conns_init(struct event_base *base, struct evhttp *http, int fd,
    const struct conf *cf)
{
	struct timeval	 tv = { 0, SWEEP_MS * 1000 };

	conf = cf;
	if (fd_limit(cf->cf_http_max_conns) == -1)
		return -1;
	if (evutil_make_socket_nonblocking(fd) == -1 ||
	    (listener = evconnlistener_new(base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE, 0, fd)) == NULL ||
	    evhttp_bind_listener(http, listener) == NULL ||
	    (sweeper = event_new(base, -1, EV_PERSIST, conns_sweep,
	    NULL)) == NULL || event_add(sweeper, &tv) == -1) {
		log_warnx("http: cannot serve on fd %d", fd);
		return -1;
	}
	evconnlistener_set_error_cb(listener, accept_error);
	evhttp_set_bevcb(http, conn_new, NULL);
	return 0;
}

/* No new connections from now on. */
void
conns_stop(void)
{
	stopped = 1;
	listener_pause();
}

/* After evhttp_free(): drops our references, closing every socket. */
void
conns_free(void)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&conns)) != NULL)
		conn_drop(c);
	event_free(sweeper);
}
