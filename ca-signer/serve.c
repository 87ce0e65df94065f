/*
 * serve.c: the signer worker's loop.  Every worker accepts on the same
 * listening sockets (ipc/server.c); token operations are synchronous, so
 * a request is handled to completion before the next.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "ledger.h"
#include "serve.h"

#define CONN_MAX	64
#define IO_TIMEOUT_S	5	/* for the rest of a message once it started */
#define TICK_MS		1000	/* background work paces itself */
#define PRESIGN_QUIET_MS 100	/* no request for this long: idle */

static int	peer_allowed(void *, unsigned, uid_t, gid_t);
static void	maybe_checkpoint(struct signer *);
static void	tick(void *);

/* Reads field 22 (start time) of /proc/PID/stat, or 0. */
static unsigned long long
proc_starttime(pid_t pid)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 start = 0;
	FILE			*f;
	int			 i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL) {
		/* Field 3 follows the command name; step to field 22. */
		for (i = 3; i <= 22 && p != NULL; i++)
			p = strchr(p + 1, ' ');
		if (p != NULL)
			start = strtoull(p + 1, NULL, 10);
	}
	fclose(f);
	return start;
}

void
owner_self(char *out, size_t outsz)
{
	snprintf(out, outsz, "%d:%llu", (int)getpid(),
	    proc_starttime(getpid()));
}

/* A signing event's owner is alive if that very process still runs. */
int
owner_alive(const char *owner)
{
	unsigned long long	 start;
	int			 pid;

	if (sscanf(owner, "%d:%llu", &pid, &start) != 2 || pid <= 0 ||
	    start == 0)
		return 0;
	return proc_starttime(pid) == start;
}

/*
 * Admin peers: root, our own uid, or the admin group.  Service peers: the
 * configured user of that process, or root (the supervisor connects for
 * the jailed frontend), or our own uid when running unprivileged.
 */
static int
peer_allowed(void *arg, unsigned peer, uid_t uid, gid_t gid)
{
	const struct signer	*sg = arg;
	const struct conf	*cf = sg->sg_conf;
	struct passwd		*pw;
	struct group		*gr;

	if (uid == 0 || uid == geteuid())
		return 1;
	if (peer == PEER_ADMIN) {
		gr = getgrnam(cf->cf_admin_group);
		return gr != NULL && gr->gr_gid == gid;
	}
	pw = getpwnam(peer == PEER_FRONTEND ? cf->cf_user_frontend :
	    cf->cf_user_validator);
	return pw != NULL && pw->pw_uid == uid;
}

/* Worker 0 signs the chain head when the interval has passed. */
static void
maybe_checkpoint(struct signer *sg)
{
	int		 iv = sg->sg_conf->cf_checkpoint_interval;
	int64_t		 id;

	if (sg->sg_worker != 0 || iv <= 0 ||
	    time(NULL) - sg->sg_last_checkpoint < iv)
		return;
	if (ledger_checkpoint(sg->sg_ledger, sg->sg_conf->cf_ca_id,
	    sg->sg_ca_key, &id) == -1)
		log_warnx("checkpoint: %s", ledger_errmsg(sg->sg_ledger));
	else
		log_info("checkpoint signed at event %lld", (long long)id);
	sg->sg_last_checkpoint = time(NULL);
}

/*
 * Background work between requests, at most once a second (ipc_serve
 * calls this after every request too); each part paces itself beyond.
 */
static void
tick(void *arg)
{
	struct signer	*sg = arg;
	time_t		 now = time(NULL);

	if (now == sg->sg_last_tick)
		return;
	sg->sg_last_tick = now;
	maybe_checkpoint(sg);
	responder_tick(sg);
	crl_tick(sg);
}

/*
 * Pre-signing OCSP responses can wait until no request has come for
 * PRESIGN_QUIET_MS, so that enrolments never queue behind it.
 */
static int
idle(void *arg, int64_t quiet_ms)
{
	if (quiet_ms < PRESIGN_QUIET_MS)
		return (int)(PRESIGN_QUIET_MS - quiet_ms);
	presign_tick(arg);
	return -1;
}

void
serve_loop(struct signer *sg)
{
	/*
	 * Each frontend connects once per worker, and so does the
	 * validator's pool: one each, here, so that they spread over the
	 * workers.  The validator's blocking calls come on a listener of
	 * their own, so that they never take a place meant for the pool.
	 */
	const struct ipc_listener ls[] = {
		{ SIGNER_FD_FRONT, PEER_FRONTEND,
		    (size_t)sg->sg_conf->cf_frontends },
		{ SIGNER_FD_VALID, PEER_VALIDATOR, 1 },
		{ SIGNER_FD_ADMIN, PEER_ADMIN, 0 },
		{ SIGNER_FD_VBLOCK, PEER_VALIDATOR, 0 },
	};
	struct ipc_server	 sv = {
		.sv_listeners = ls, .sv_nlisteners = 4,
		.sv_conn_max = CONN_MAX, .sv_io_timeout = IO_TIMEOUT_S,
		.sv_tick_ms = TICK_MS, .sv_arg = sg,
		.sv_peer_ok = peer_allowed, .sv_handle = dispatch,
		.sv_tick = tick, .sv_idle = idle,
	};

	sg->sg_last_checkpoint = time(NULL);
	ipc_serve(&sv);
	log_info("worker %d exiting", sg->sg_worker);
}
