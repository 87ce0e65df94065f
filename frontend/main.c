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

#define QUIT_GRACE_S	1	/* for replies already queued */

static struct event_base	*base;
static int			 exit_status;

static void
on_term(evutil_socket_t fd, short ev, void *arg)
{
	event_base_loopbreak(arg);
}

/* Stops accepting and leaves the event loop soon, to exit with status. */
void
frontend_quit(int status)
{
	struct timeval	 grace = { QUIT_GRACE_S, 0 };

	exit_status = status;
	conns_stop();
	event_base_loopexit(base, &grace);
}

int
main(int argc, char *argv[])
{
	struct conf		 cf;
	struct event_config	*ecf;
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
	peers_collect(cf.cf_ca_id);
	signal(SIGPIPE, SIG_IGN);
	tzset();
	/* evhttp turns write interest on and off for every response: let
	 * epoll coalesce those changes (a third of the system calls). */
	if ((ecf = event_config_new()) == NULL ||
	    event_config_set_flag(ecf,
	    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == -1)
		fatalx("event_config");
	base = event_base_new_with_config(ecf);
	event_config_free(ecf);
	if (privdrop_lookup(cf.cf_user_frontend, &uid, &gid) == -1 ||
	    base == NULL)
		return 1;
	peers_start(base);
	if (http_init(base, &cf, FRONT_FD_HTTP) == -1)
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
	log_info("ready");
	event_base_dispatch(base);
	/* Calls still out fail first, while their clients can be answered. */
	peers_free();
	http_free();
	ocsp_client_free();
	crl_http_free();
	event_free(term);
	event_base_free(base);
	conf_free(&cf);
	return exit_status;
}
