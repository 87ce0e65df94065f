/*
 * evclient.c: a pool of connections to one peer process, each a
 * bufferevent, so that a request waiting on the peer holds up nothing
 * else.  A peer may answer a connection's requests in any order (the
 * validator does, when one waits on Intune): an answer belongs to the
 * call whose reqid it echoes, and must match that call's type.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common.h"
#include "ipc.h"
#include "ipcev.h"

#define POOL_MAX	64

/* A request sent, waiting for its answer. */
struct call {
	TAILQ_ENTRY(call)	 ca_entry;
	struct ipc_hdr		 ca_hdr;
	ipc_pool_cb		*ca_cb;
	void			*ca_arg;
};

/* One connection to the peer. */
struct link {
	struct ipc_pool		*l_pool;
	struct bufferevent	*l_bev;
	TAILQ_HEAD(, call)	 l_calls;	/* oldest first */
	int			 l_ncalls;
};

struct ipc_pool {
	const char	*p_name;
	uint32_t	 p_ca_id;
	uint32_t	 p_reqid;
	void		(*p_on_empty)(const char *);
	struct link	*p_links[POOL_MAX];
	int		 p_n;
	int		 p_down;	/* being freed: refuse new calls */
};

static void	link_read(struct bufferevent *, void *);
static void	link_event(struct bufferevent *, short, void *);

struct ipc_pool *
ipc_pool_new(const char *name, uint32_t ca_id, void (*on_empty)(const char *))
{
	struct ipc_pool	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->p_name = name;
	p->p_ca_id = ca_id;
	p->p_on_empty = on_empty;
	return p;
}

/* Makes fd (a connected socket, ours from now on) a connection of p. */
int
ipc_pool_add(struct ipc_pool *p, struct event_base *base, int fd)
{
	struct link	*l;

	if (p->p_n == POOL_MAX || (l = calloc(1, sizeof(*l))) == NULL) {
		close(fd);
		return -1;
	}
	if (evutil_make_socket_nonblocking(fd) == -1 ||
	    (l->l_bev = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_warnx("%s connection on fd %d", p->p_name, fd);
		close(fd);
		free(l);
		return -1;
	}
	l->l_pool = p;
	TAILQ_INIT(&l->l_calls);
	bufferevent_setcb(l->l_bev, link_read, NULL, link_event, l);
	bufferevent_enable(l->l_bev, EV_READ);
	p->p_links[p->p_n++] = l;
	return 0;
}

int
ipc_pool_size(const struct ipc_pool *p)
{
	return p->p_n;
}

/* Takes l out of its pool and fails its outstanding calls. */
static void
link_close(struct link *l)
{
	struct ipc_pool	*p = l->l_pool;
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

/* A broken or misbehaving connection is dropped; the owner hears when
 * none is left. */
static void
link_lost(struct link *l, const char *why)
{
	struct ipc_pool	*p = l->l_pool;

	log_warnx("%s connection lost: %s", p->p_name, why);
	link_close(l);
	if (p->p_n == 0 && !p->p_down && p->p_on_empty != NULL)
		p->p_on_empty(p->p_name);
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
pool_pick(struct ipc_pool *p)
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
int
ipc_pool_send(struct ipc_pool *p, struct ipc_msg *req, ipc_pool_cb *cb,
    void *arg)
{
	struct link	*l;
	struct call	*c = NULL;
	int		 r = -1;

	if (p->p_down || p->p_n == 0 || (c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	l = pool_pick(p);
	req->m_hdr.h_reqid = ++p->p_reqid;
	req->m_hdr.h_ca_id = p->p_ca_id;
	if (ipc_evwrite(bufferevent_get_output(l->l_bev), req) == -1) {
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

/* Every outstanding call fails (its cb sees NULL), then p goes. */
void
ipc_pool_free(struct ipc_pool *p)
{
	if (p == NULL)
		return;
	p->p_down = 1;
	while (p->p_n > 0)
		link_close(p->p_links[0]);
	free(p);
}
