/*
 * serve.c: the signer worker's loop.  Every worker accepts on the same
 * listening sockets; a request is handled to completion before the next
 * (token operations are synchronous), and a slow or broken peer costs
 * only its own connection.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "ledger.h"
#include "privdrop.h"
#include "serve.h"

#define CONN_MAX	64
#define IO_TIMEOUT_S	5	/* for the rest of a message once it started */

struct conn {
	int		 c_fd;
	unsigned	 c_peer;
	uid_t		 c_uid;
};

static volatile sig_atomic_t	 quit;

static void	on_term(int);
static int	peer_allowed(const struct signer *, unsigned, uid_t, gid_t);
static int	accept_one(struct signer *, int, unsigned, struct conn *);
static int	serve_one(struct signer *, struct conn *);
static void	maybe_checkpoint(struct signer *);

static void
on_term(int sig)
{
	quit = 1;
}

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
peer_allowed(const struct signer *sg, unsigned peer, uid_t uid, gid_t gid)
{
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

static int
accept_one(struct signer *sg, int lfd, unsigned peer, struct conn *c)
{
	struct timeval	 tv = { IO_TIMEOUT_S, 0 };
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
	int		 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return -1;
	if (unixsock_peer(fd, &uid, &gid, &pid) == -1 ||
	    !peer_allowed(sg, peer, uid, gid)) {
		log_warnx("refused connection from uid %u pid %d",
		    (unsigned)uid, (int)pid);
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->c_fd = fd;
	c->c_peer = peer;
	c->c_uid = uid;
	return 0;
}

/* Handles one message; -1 closes the connection. */
static int
serve_one(struct signer *sg, struct conn *c)
{
	struct ipc_msg	 req, ans;
	const char	*why = NULL;
	int		 r;

	if ((r = ipc_read(c->c_fd, &req, &why)) != 0) {
		if (r == -1)
			log_warnx("dropping peer uid %u: %s", (unsigned)c->c_uid,
			    why);
		return -1;
	}
	sg->sg_peer = c->c_peer;
	sg->sg_peer_uid = c->c_uid;
	memset(&ans, 0, sizeof(ans));
	r = dispatch(sg, &req, &ans);
	if (r == 0 && ipc_write(c->c_fd, &ans) == -1) {
		log_warnx("answer to uid %u lost", (unsigned)c->c_uid);
		r = -1;
	}
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
}

/* Worker 0 signs the chain head when the interval has passed. */
static void
maybe_checkpoint(struct signer *sg)
{
	int	 iv = sg->sg_conf->cf_checkpoint_interval;
	int64_t	 id;

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

void
serve_loop(struct signer *sg)
{
	static const int	 lfds[3] = { SIGNER_FD_FRONT, SIGNER_FD_VALID,
				    SIGNER_FD_ADMIN };
	static const unsigned	 lpeers[3] = { PEER_FRONTEND, PEER_VALIDATOR,
				    PEER_ADMIN };
	struct pollfd		 pfd[3 + CONN_MAX];
	struct conn		 conns[CONN_MAX];
	int			 i, n = 0;

	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	sg->sg_last_checkpoint = time(NULL);
	while (!quit) {
		for (i = 0; i < 3; i++) {
			pfd[i].fd = n < CONN_MAX ? lfds[i] : -1;
			pfd[i].events = POLLIN;
		}
		for (i = 0; i < n; i++) {
			pfd[3 + i].fd = conns[i].c_fd;
			pfd[3 + i].events = POLLIN;
		}
		if (poll(pfd, 3 + n, 60 * 1000) == -1) {
			if (errno != EINTR)
				fatal("poll");
			continue;
		}
		maybe_checkpoint(sg);
		for (i = n - 1; i >= 0; i--) {
			if (pfd[3 + i].revents == 0)
				continue;
			if (serve_one(sg, &conns[i]) == -1) {
				close(conns[i].c_fd);
				conns[i] = conns[--n];
			}
		}
		for (i = 0; i < 3; i++)
			if (pfd[i].revents & POLLIN && n < CONN_MAX &&
			    accept_one(sg, lfds[i], lpeers[i], &conns[n]) == 0)
				n++;
	}
	log_info("worker %d exiting", sg->sg_worker);
}
