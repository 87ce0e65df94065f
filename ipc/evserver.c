/*
 * evserver.c: the asynchronous sibling of server.c.  Requests are read as
 * they arrive and answered when their handler is done, in any order (the
 * caller matches answers by reqid), so one request waiting on the network
 * does not hold up the others.  A peer that goes away leaves its pending
 * requests orphaned, not freed: their handlers still own them.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "common.h"
#include "ipc.h"
#include "ipcev.h"
#include "privdrop.h"

struct ipc_evconn {
	struct ipc_evserver	*ec_sv;
	struct bufferevent	*ec_bev;
	struct ipc_peer		 ec_peer;
	struct ipc_evreq	*ec_reqs;	/* awaiting their answer */
	size_t			 ec_n;
};

struct ev_listener {
	struct ipc_evserver	*el_sv;
	unsigned		 el_peer;
};

static struct evconnlistener	**listeners;
static size_t			  nconns;

static void	conn_free(struct ipc_evconn *);
static void	conn_read(struct bufferevent *, void *);
static void	conn_event(struct bufferevent *, short, void *);
static void	listeners_enable(struct ipc_evserver *, int);
static void	on_accept(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);

static void
listeners_enable(struct ipc_evserver *sv, int on)
{
	size_t	 i;

	for (i = 0; i < sv->es_nlisteners; i++)
		on ? evconnlistener_enable(listeners[i]) :
		    evconnlistener_disable(listeners[i]);
}

static void
conn_free(struct ipc_evconn *c)
{
	struct ipc_evreq	*er;

	for (er = c->ec_reqs; er != NULL; er = er->er_next)
		er->er_conn = NULL;
	bufferevent_free(c->ec_bev);
	if (nconns-- == c->ec_sv->es_conn_max)
		listeners_enable(c->ec_sv, 1);
	free(c);
}

/* Hands every whole message to the handler, up to the in-flight cap. */
static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct ipc_evconn	*c = arg;
	struct ipc_evreq	*er;
	const char		*why = NULL;
	int			 r = 0;

	while (c->ec_n < c->ec_sv->es_inflight_max) {
		if ((er = calloc(1, sizeof(*er))) == NULL)
			fatal("ipc_evserver");
		if ((r = ipc_evread(bufferevent_get_input(bev), &er->er_req,
		    &why)) != 1) {
			free(er);
			break;
		}
		er->er_conn = c;
		er->er_peer = c->ec_peer;
		er->er_next = c->ec_reqs;
		c->ec_reqs = er;
		c->ec_n++;
		if ((r = c->ec_sv->es_handle(c->ec_sv->es_arg, er)) == -1) {
			c->ec_reqs = er->er_next;	/* untouched: still first */
			ipc_msg_free(&er->er_req);
			ipc_msg_free(&er->er_ans);
			free(er);
			why = "refused message";
			break;
		}
	}
	if (r == -1) {
		log_warnx("dropping peer uid %u: %s",
		    (unsigned)c->ec_peer.ip_uid, why);
		conn_free(c);
	} else if (c->ec_n >= c->ec_sv->es_inflight_max)
		bufferevent_disable(bev, EV_READ);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	conn_free(arg);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct ev_listener	*el = arg;
	struct ipc_evserver	*sv = el->el_sv;
	struct ipc_evconn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("ipc_evserver");
	if (unixsock_peer(fd, &c->ec_peer.ip_uid, &c->ec_peer.ip_gid,
	    &c->ec_peer.ip_pid) == -1 || !sv->es_peer_ok(sv->es_arg,
	    el->el_peer, c->ec_peer.ip_uid, c->ec_peer.ip_gid) ||
	    (c->ec_bev = bufferevent_socket_new(sv->es_base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_warnx("refused connection from uid %u pid %d",
		    (unsigned)c->ec_peer.ip_uid, (int)c->ec_peer.ip_pid);
		close(fd);
		free(c);
		return;
	}
	c->ec_sv = sv;
	c->ec_peer.ip_fd = fd;
	c->ec_peer.ip_peer = el->el_peer;
	bufferevent_setcb(c->ec_bev, conn_read, NULL, conn_event, c);
	bufferevent_enable(c->ec_bev, EV_READ);
	if (++nconns == sv->es_conn_max)
		listeners_enable(sv, 0);
}

int
ipc_evserve(struct ipc_evserver *sv)
{
	struct ev_listener	*el;
	size_t			 i;

	if ((listeners = calloc(sv->es_nlisteners, sizeof(*listeners))) ==
	    NULL || (el = calloc(sv->es_nlisteners, sizeof(*el))) == NULL)
		return -1;
	for (i = 0; i < sv->es_nlisteners; i++) {
		el[i].el_sv = sv;
		el[i].el_peer = sv->es_listeners[i].il_peer;
		if (evutil_make_socket_nonblocking(
		    sv->es_listeners[i].il_fd) == -1 ||
		    (listeners[i] = evconnlistener_new(sv->es_base, on_accept,
		    &el[i], LEV_OPT_CLOSE_ON_EXEC, 0,	/* listening already */
		    sv->es_listeners[i].il_fd)) == NULL)
			return -1;
	}
	return 0;
}

int
ipc_evcheck(const struct ipc_rule *rules, size_t nrules, uint32_t ca_id,
    struct ipc_evreq *er, const struct ipc_rule **rule)
{
	const struct ipc_hdr	*h = &er->er_req.m_hdr;
	const char		*why = NULL;

	if ((*rule = ipc_rule_check(rules, nrules, h, er->er_peer.ip_peer,
	    &why)) == NULL) {
		log_warnx("refused %s (type %u, reqid %u, %u bytes) from "
		    "uid %u: %s", ipc_type_name(h->h_type), h->h_type,
		    h->h_reqid, h->h_bodylen, (unsigned)er->er_peer.ip_uid,
		    why);
		return -1;
	}
	ipc_msg_init(&er->er_ans, h->h_type + 1, h->h_reqid, h->h_ca_id);
	if (h->h_ca_id == ca_id)
		return 0;
	ipc_error(&er->er_ans, &er->er_req, IPC_ERR_NOTFOUND,
	    "no CA with id %u here", h->h_ca_id);
	ipc_evreply(er);
	return 1;
}

void
ipc_evreply(struct ipc_evreq *er)
{
	struct ipc_evconn	*c = er->er_conn;
	struct ipc_evreq	**pp;

	if (c != NULL) {
		if (ipc_evwrite(bufferevent_get_output(c->ec_bev),
		    &er->er_ans) == -1)
			log_warnx("answer to uid %u lost",
			    (unsigned)er->er_peer.ip_uid);
		for (pp = &c->ec_reqs; *pp != er; pp = &(*pp)->er_next)
			;
		*pp = er->er_next;
		if (c->ec_n-- == c->ec_sv->es_inflight_max)
			bufferevent_enable(c->ec_bev, EV_READ);
	}
	ipc_msg_free(&er->er_req);
	ipc_msg_free(&er->er_ans);
	free(er);
}
