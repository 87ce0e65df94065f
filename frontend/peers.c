/*
 * peers.c: the frontend's connections to the signer and the validator.
 * The frontend is jailed and cannot connect(): the supervisor connects on
 * its behalf and hands the sockets over at fixed fd numbers.
 */
#include <fcntl.h>
#include <unistd.h>

#include "common.h"
#include "frontend.h"
#include "ipc.h"

#define POOL_MAX	64

struct pool {
	const char	*p_name;
	int		 p_fds[POOL_MAX];
	int		 p_n;
};

static struct pool	 signer = { "signer", { 0 }, 0 };
static struct pool	 validator = { "validator", { 0 }, 0 };
static uint32_t		 next_reqid;
static uint32_t		 pool_ca_id;

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

void
peers_collect(uint32_t ca_id)
{
	pool_ca_id = ca_id;
	pool_collect(&validator, FRONT_FD_VALIDATOR, 1);
	pool_collect(&signer, FRONT_FD_SIGNER0, POOL_MAX);
	log_info("%d signer connection(s), %d validator connection(s)",
	    signer.p_n, validator.p_n);
}

/*
 * Sends req on one of the pool's connections, round robin.  A broken
 * connection is dropped; with none left the process exits so that the
 * supervisor starts a fresh frontend with fresh connections.
 * XXX: blocking; SCEP and OCSP load will need the asynchronous form.
 */
static int
pool_call(struct pool *p, struct ipc_msg *req, struct ipc_msg *ans)
{
	const char	*why = NULL;
	int		 i;

	while (p->p_n > 0) {
		i = (int)(next_reqid % (uint32_t)p->p_n);
		req->m_hdr.h_reqid = ++next_reqid;
		req->m_hdr.h_ca_id = pool_ca_id;
		if (ipc_call(p->p_fds[i], req, ans, &why) == 0)
			return 0;
		log_warnx("%s connection lost: %s", p->p_name, why);
		close(p->p_fds[i]);
		p->p_fds[i] = p->p_fds[--p->p_n];
	}
	fatalx("no %s connection left; exiting for a restart", p->p_name);
}

int
signer_call(struct ipc_msg *req, struct ipc_msg *ans)
{
	return pool_call(&signer, req, ans);
}

int
validator_call(struct ipc_msg *req, struct ipc_msg *ans)
{
	return pool_call(&validator, req, ans);
}
