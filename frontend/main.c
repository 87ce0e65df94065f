/*
 * keyward-frontend: the HTTP side of the appliance.  It receives its
 * listener and its signer connections from the supervisor, then jails
 * itself in an empty chroot under its own user before serving.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include <openssl/crypto.h>

#include "common.h"
#include "config.h"
#include "frontend.h"
#include "ipc.h"
#include "privdrop.h"
#include "sandbox.h"

#define SIGNER_CONNS_MAX	64

static int	 signer_fds[SIGNER_CONNS_MAX];
static int	 nsigner;
static uint32_t	 next_reqid;
static uint32_t	 ca_id;

/* Collects the signer connections the supervisor put at fd 4 and up. */
static void
signer_fds_collect(void)
{
	int	 fd;

	for (fd = FRONT_FD_SIGNER0; fd < FRONT_FD_SIGNER0 + SIGNER_CONNS_MAX;
	    fd++)
		if (fcntl(fd, F_GETFD) != -1)
			signer_fds[nsigner++] = fd;
	if (nsigner == 0)
		fatalx("no signer connection");
}

/*
 * Sends req on one of the signer connections, round robin.  A broken
 * connection is dropped; with none left the process exits so that the
 * supervisor starts a fresh frontend with fresh connections.
 * XXX: blocking; SCEP and OCSP traffic will need the asynchronous form.
 */
int
signer_call(struct ipc_msg *req, struct ipc_msg *ans)
{
	const char	*why = NULL;
	int		 i;

	while (nsigner > 0) {
		i = (int)(next_reqid % (uint32_t)nsigner);
		req->m_hdr.h_reqid = ++next_reqid;
		req->m_hdr.h_ca_id = ca_id;
		if (ipc_call(signer_fds[i], req, ans, &why) == 0)
			return 0;
		log_warnx("signer connection lost: %s", why);
		close(signer_fds[i]);
		signer_fds[i] = signer_fds[--nsigner];
	}
	fatalx("no signer connection left; exiting for a restart");
}

static void
on_term(evutil_socket_t fd, short ev, void *arg)
{
	event_base_loopbreak(arg);
}

int
main(int argc, char *argv[])
{
	struct conf		 cf;
	struct event_base	*base;
	struct event		*term;
	uid_t			 uid;
	gid_t			 gid;

	if (argc != 3 || strcmp(argv[1], "-c") != 0) {
		fprintf(stderr, "usage: keyward-frontend -c FILE\n");
		return 2;
	}
	log_init("keyward-frontend", LOG_LVL_INFO);
	if (conf_load(argv[2], &cf) == -1)
		return 1;
	log_setlevel(cf.cf_log_level);
	ca_id = cf.cf_ca_id;
	signer_fds_collect();
	signal(SIGPIPE, SIG_IGN);
	tzset();
	if (privdrop_lookup(cf.cf_user_frontend, &uid, &gid) == -1 ||
	    (base = event_base_new()) == NULL ||
	    http_init(base, &cf, FRONT_FD_HTTP) == -1)
		return 1;
	/* OpenSSL reads its configuration now: the jail has none. */
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) == 0)
		fatalx("OPENSSL_init_crypto");
	evutil_secure_rng_init();
	privdrop(uid, gid, cf.cf_chroot);
	privdrop_limits();
	sandbox_enter(SANDBOX_FRONTEND);
	term = evsignal_new(base, SIGTERM, on_term, base);
	evsignal_add(term, NULL);
	log_info("ready: %d signer connection(s)", nsigner);
	event_base_dispatch(base);
	event_free(term);
	event_base_free(base);
	conf_free(&cf);
	return 0;
}
