/*
 * peers.c: the frontend's connections to the signer and the validator.
 * The frontend is jailed and cannot connect(): the supervisor connects on
 * its behalf and hands the sockets over at fixed fd numbers.  Each is a
 * connection of an ipc_pool (ipc/evclient.c).
 */
#include <fcntl.h>

#include <event2/event.h>

#include "common.h"
#include "frontend.h"
#include "ipc.h"
#include "ipcev.h"

#define FDS_MAX		64

/* The fds handed over, until started. */
struct handed {
	const char	*h_name;
	int		 h_fds[FDS_MAX];
	int		 h_n;
};

static struct handed	 signer_fds = { "signer", { 0 }, 0 };
static struct handed	 validator_fds = { "validator", { 0 }, 0 };
static struct ipc_pool	*signer, *validator;
static uint32_t		 pool_ca_id;
static int		 peers_down;	/* closing: refuse new calls */

/* Takes the open fds in [first, first + max) into h. */
static void
handed_collect(struct handed *h, int first, int max)
{
	int	 fd;

	for (fd = first; fd < first + max && h->h_n < FDS_MAX; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			h->h_fds[h->h_n++] = fd;
	if (h->h_n == 0)
		fatalx("no %s connection", h->h_name);
}

/* Before any other descriptor is opened: the fds after 4 are all ours. */
void
peers_collect(uint32_t ca_id)
{
	pool_ca_id = ca_id;
	handed_collect(&validator_fds, FRONT_FD_VALIDATOR, 1);
	handed_collect(&signer_fds, FRONT_FD_SIGNER0, FDS_MAX);
	log_info("%d signer connection(s), %d validator connection(s)",
	    signer_fds.h_n, validator_fds.h_n);
}

/*
 * With no connection left to a peer the process exits, so that the
 * supervisor starts a fresh frontend with fresh connections.
 */
static void
pool_empty(const char *name)
{
	if (peers_down)
		return;
	log_warnx("no %s connection left; exiting for a restart", name);
	frontend_quit(1);
}

/* A pool of the fds in h, on base. */
static struct ipc_pool *
pool_start(struct event_base *base, const struct handed *h)
{
	struct ipc_pool	*p;
	int		 i;

	if ((p = ipc_pool_new(h->h_name, pool_ca_id, pool_empty)) == NULL)
		fatalx("%s connections", h->h_name);
	for (i = 0; i < h->h_n; i++)
		if (ipc_pool_add(p, base, h->h_fds[i]) == -1)
			fatalx("%s connection on fd %d", h->h_name,
			    h->h_fds[i]);
	return p;
}

void
peers_start(struct event_base *base)
{
	validator = pool_start(base, &validator_fds);
	signer = pool_start(base, &signer_fds);
}

/* Refused once closing: a failed call's callback may try another peer. */
static int
peer_send(struct ipc_pool *p, struct ipc_msg *req, peer_cb *cb, void *arg)
{
	if (peers_down) {
		ipc_msg_free(req);
		return -1;
	}
	return ipc_pool_send(p, req, cb, arg);
}

int
signer_send(struct ipc_msg *req, peer_cb *cb, void *arg)
{
	return peer_send(signer, req, cb, arg);
}

int
validator_send(struct ipc_msg *req, peer_cb *cb, void *arg)
{
	return peer_send(validator, req, cb, arg);
}

/* At exit: every outstanding call fails, so its HTTP client is answered. */
void
peers_free(void)
{
	peers_down = 1;
	ipc_pool_free(signer);
	ipc_pool_free(validator);
	signer = validator = NULL;
}
