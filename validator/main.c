/*
 * keyward-validator: decides whether a request may be issued (challenge
 * modes, Intune, directory checks) and asks the signer to act.  It holds
 * the Intune credentials and nothing of the CA.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "privdrop.h"
#include "sandbox.h"

/* Proves the channel to the signer works before declaring ready. */
static int
signer_ping(const struct conf *cf)
{
	struct ipc_msg	 q, a;
	char		 path[512];
	const char	*why = NULL;
	int		 fd, r;

	snprintf(path, sizeof(path), "%s/signer-valid.sock", cf->cf_run_dir);
	if ((fd = unixsock_connect(path)) == -1) {
		log_warn("connect %s", path);
		return -1;
	}
	ipc_msg_init(&q, IPC_REQ_PING, 1, cf->cf_ca_id);
	memset(&a, 0, sizeof(a));
	r = ipc_call(fd, &q, &a, &why);
	if (r == -1)
		log_warnx("signer: %s", why);
	ipc_msg_free(&a);
	close(fd);
	return r;
}

int
main(int argc, char *argv[])
{
	struct conf	 cf;
	sigset_t	 mask;
	uid_t		 uid;
	gid_t		 gid;
	int		 sig;

	if (argc != 3 || strcmp(argv[1], "-c") != 0) {
		fprintf(stderr, "usage: keyward-validator -c FILE\n");
		return 2;
	}
	log_init("keyward-validator", LOG_LVL_INFO);
	if (conf_load(argv[2], &cf) == -1)
		return 1;
	log_setlevel(cf.cf_log_level);
	if (privdrop_lookup(cf.cf_user_validator, &uid, &gid) == -1)
		return 1;
	privdrop(uid, gid, NULL);
	privdrop_limits();
	sandbox_enter(SANDBOX_VALIDATOR);
	signal(SIGPIPE, SIG_IGN);
	if (signer_ping(&cf) == -1)
		return 1;
	log_info("ready");
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigwait(&mask, &sig);
	conf_free(&cf);
	return 0;
}
