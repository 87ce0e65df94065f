/*
 * ipcev.h: IPC over libevent, for processes that keep several requests in
 * flight (the validator waiting on Intune and the signer, the frontend
 * waiting on both).
 * Framing and checks are those of frame.c; only the I/O differs.
 */
#ifndef KEYWARD_IPCEV_H
#define KEYWARD_IPCEV_H

#include <sys/types.h>

#include "ipc.h"

struct event_base;
struct evbuffer;
struct ipc_evconn;

/* evframe.c */
/* 1 with one whole message moved from in to m, 0 if more bytes are
 * needed, -1 with why for a header that can never be valid. */
int	ipc_evread(struct evbuffer *in, struct ipc_msg *m, const char **why);
int	ipc_evwrite(struct evbuffer *out, const struct ipc_msg *m);

/* evclient.c: connections to one peer, requests matched by reqid. */
struct ipc_pool;
/* An answer, or NULL when the connection was lost before it came. */
typedef void	ipc_pool_cb(void *arg, struct ipc_msg *ans);
/* on_empty (may be NULL) runs when the last connection is lost. */
struct ipc_pool *ipc_pool_new(const char *name, uint32_t ca_id,
	    void (*on_empty)(const char *name));
int	ipc_pool_add(struct ipc_pool *, struct event_base *, int fd);
int	ipc_pool_send(struct ipc_pool *, struct ipc_msg *req, ipc_pool_cb *,
	    void *arg);
int	ipc_pool_size(const struct ipc_pool *);
void	ipc_pool_free(struct ipc_pool *);

/* evserver.c */
/* A request being answered; er_conn is NULL once its peer has gone. */
struct ipc_evreq {
	struct ipc_evconn	*er_conn;
	struct ipc_peer		 er_peer;
	struct ipc_msg		 er_req;
	struct ipc_msg		 er_ans;	/* initialised by ipc_evcheck */
	struct ipc_evreq	*er_next;	/* the connection's list */
};

struct ipc_evserver {
	struct event_base *es_base;
	const struct ipc_listener *es_listeners;
	size_t		 es_nlisteners;
	size_t		 es_conn_max;
	size_t		 es_inflight_max;	/* per connection */
	void		*es_arg;
	int		(*es_peer_ok)(void *, unsigned peer, uid_t, gid_t);
	/* Owns er from here: answers it with ipc_evreply, now or later;
	 * -1 (er untouched) drops the connection. */
	int		(*es_handle)(void *, struct ipc_evreq *er);
};

int	ipc_evserve(struct ipc_evserver *);
/* Checks er against a rule table and prepares er_ans: 0 go on with
 * *rule, 1 already answered (another CA), -1 refused (drop the
 * connection).  A rule's handler returns IPC_LATER when it keeps er to
 * answer later. */
#define IPC_LATER	1
int	ipc_evcheck(const struct ipc_rule *, size_t nrules, uint32_t ca_id,
	    struct ipc_evreq *er, const struct ipc_rule **rule);
/* Sends er_ans if the peer is still there, then frees er. */
void	ipc_evreply(struct ipc_evreq *er);

#endif
