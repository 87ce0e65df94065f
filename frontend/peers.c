/*
 * peers.c: the frontend's connections to the signer and the validator.
 * The frontend is jailed and cannot connect(): the supervisor connects on
 * its behalf and hands the sockets over at fixed fd numbers.  Each
 * connection is a bufferevent, so a request that waits on a peer holds up
 * nothing else.  A peer may answer a connection's requests in any order
 * (the validator does, when one waits on Intune): an answer belongs to
 * the call whose reqid it echoes, and must match that call's type.
 */
#include <sys/queue.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common.h"
#include "frontend.h"
#include "ipc.h"
#include "ipcev.h"

#define POOL_MAX	64

/* A request sent, waiting for its answer. */
struct call {
	TAILQ_ENTRY(call)	 ca_entry;
	struct ipc_hdr		 ca_hdr;
	peer_cb			*ca_cb;
	void			*ca_arg;
};

struct pool;

/* One connection to a peer process. */
struct link {
	struct pool		*l_pool;
	struct bufferevent	*l_bev;
	TAILQ_HEAD(, call)	 l_calls;	/* oldest first */
	int			 l_ncalls;
};

struct pool {
	const char	*p_name;
	int		 p_fds[POOL_MAX];	/* handed over, until started */
	struct link	*p_links[POOL_MAX];
	int		 p_n;
};

static struct pool	 signer = { "signer", { 0 }, { NULL }, 0 };
static struct pool	 validator = { "validator", { 0 }, { NULL }, 0 };
static uint32_t		 next_reqid;
static uint32_t		 pool_ca_id;
static int		 peers_down;	/* closing: refuse new calls */

static void	link_read(struct bufferevent *, void *);
static void	link_event(struct bufferevent *, short, void *);

/* Takes the open fds in [first, first + max) into pool p. */
static void
pool_collect(struct pool *p, int first, int max)
{
	int	 fd;

	for (fd = first; fd < first + max && p->p_n < POOL_MAX; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			p->p_fds[p->p_n++] = fd;
	if (p->p_n == 0)
		fatalx("no %s connection", p->p_name);
}

/* Before any other descriptor is opened: the fds after 4 are all ours. */
void
peers_collect(uint32_t ca_id)
{
	pool_ca_id = ca_id;
	pool_collect(&validator, FRONT_FD_VALIDATOR, 1);
	pool_collect(&signer, FRONT_FD_SIGNER0, POOL_MAX);
	log_info("%d signer connection(s), %d validator connection(s)",
	    signer.p_n, validator.p_n);
}

/* Makes each collected fd of p a bufferevent on base. */
static void
pool_start(struct event_base *base, struct pool *p)
{
	struct link	*l;
	int		 i, fd;

	for (i = 0; i < p->p_n; i++) {
		fd = p->p_fds[i];
		if ((l = calloc(1, sizeof(*l))) == NULL ||
		    evutil_make_socket_nonblocking(fd) == -1 ||
		    (l->l_bev = bufferevent_socket_new(base, fd,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL)
			fatalx("%s connection on fd %d", p->p_name, fd);
		l->l_pool = p;
		TAILQ_INIT(&l->l_calls);
		bufferevent_setcb(l->l_bev, link_read, NULL, link_event, l);
		bufferevent_enable(l->l_bev, EV_READ);
		p->p_links[i] = l;
	}
}

void
peers_start(struct event_base *base)
{
	pool_start(base, &validator);
	pool_start(base, &signer);
}

/* Takes l out of its pool and fails its outstanding calls. */
static void
link_close(struct link *l)
{
	struct pool	*p = l->l_pool;
	struct call	*c;
	int		 i;

	for (i = 0; i < p->p_n && p->p_links[i] != l; i++)
		;
	if (i < p->p_n)
		p->p_links[i] = p->p_links[--p->p_n];
	bufferevent_free(l->l_bev);
	while ((c = TAILQ_FIRST(&l->l_calls)) != NULL) {
		TAILQ_REMOVE(&l->l_calls, c, ca_entry);
		c->ca_cb(c->ca_arg, NULL);
		free(c);
	}
	free(l);
}

/*
 * A broken or misbehaving connection is dropped; with none left in its
 * pool the process exits, so that the supervisor starts a fresh frontend
 * with fresh connections.
 */
static void
link_lost(struct link *l, const char *why)
{
	struct pool	*p = l->l_pool;

	log_warnx("%s connection lost: %s", p->p_name, why);
	link_close(l);
	if (p->p_n == 0 && !peers_down) {
		log_warnx("no %s connection left; exiting for a restart",
		    p->p_name);
		frontend_quit(1);
	}
}

/* Hands every complete answer to the call it belongs to. */
static void
link_read(struct bufferevent *bev, void *arg)
{
	struct link	*l = arg;
	struct call	*c;
	struct ipc_msg	 m;
	const char	*why = NULL;
	int		 r;

	while ((r = ipc_evread(bufferevent_get_input(bev), &m, &why)) == 1) {
		TAILQ_FOREACH(c, &l->l_calls, ca_entry)
			if (c->ca_hdr.h_reqid == m.m_hdr.h_reqid)
				break;
		if (c == NULL)
			why = "answer without a request";
		else if (ipc_answer_check(&c->ca_hdr, &m.m_hdr, &why) == 0) {
			TAILQ_REMOVE(&l->l_calls, c, ca_entry);
			l->l_ncalls--;
			c->ca_cb(c->ca_arg, &m);
			ipc_msg_free(&m);
			free(c);
			continue;
		}
		ipc_msg_free(&m);
		r = -1;
		break;
	}
	if (r == -1)
		link_lost(l, why);
}

static void
link_event(struct bufferevent *bev, short what, void *arg)
{
	link_lost(arg, (what & BEV_EVENT_EOF) ? "closed by the peer" :
	    "read or write error");
}

/* The connection with the fewest calls outstanding. */
static struct link *
pool_pick(struct pool *p)
{
	struct link	*best = p->p_links[0];
	int		 i;

	for (i = 1; i < p->p_n; i++)
		if (p->p_links[i]->l_ncalls < best->l_ncalls)
			best = p->p_links[i];
	return best;
}

/*
 * Sends req (and frees its body) on one of the pool's connections; cb
 * runs with the answer, or with NULL if the connection is lost first.
 * Returns -1, without calling cb, if the request cannot be sent.
 */
static int
pool_send(struct pool *p, struct ipc_msg *req, peer_cb *cb, void *arg)
{
	struct evbuffer	*out;
	struct link	*l;
	struct call	*c = NULL;
	int		 r = -1;

	if (peers_down || p->p_n == 0 || (c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	l = pool_pick(p);
	out = bufferevent_get_output(l->l_bev);
	req->m_hdr.h_reqid = ++next_reqid;
	req->m_hdr.h_ca_id = pool_ca_id;
	if (ipc_evwrite(out, req) == -1) {
		log_warnx("%s: cannot send %s", p->p_name,
		    ipc_type_name(req->m_hdr.h_type));
		goto out;
	}
	c->ca_hdr = req->m_hdr;
	c->ca_cb = cb;
	c->ca_arg = arg;
	TAILQ_INSERT_TAIL(&l->l_calls, c, ca_entry);
	l->l_ncalls++;
	c = NULL;
	r = 0;
 out:
	free(c);
	ipc_msg_free(req);
	return r;
}

int
signer_send(struct ipc_msg *req, peer_cb *cb, void *arg)
{
	return pool_send(&signer, req, cb, arg);
}

int
validator_send(struct ipc_msg *req, peer_cb *cb, void *arg)
{
	return pool_send(&validator, req, cb, arg);
}

/* At exit: every outstanding call fails, so its HTTP client is answered. */
void
peers_free(void)
{
	peers_down = 1;
	while (signer.p_n > 0)
		link_close(signer.p_links[0]);
	while (validator.p_n > 0)
		link_close(validator.p_links[0]);
}
