/*
 * children.c: starting, restarting and stopping the child processes.
 * A child gets its descriptors at fixed numbers from 3 up and nothing else.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "privdrop.h"
#include "supervisor.h"

#define BACKOFF_MIN	0.25
#define BACKOFF_MAX	30.0
#define STABLE_S	10	/* a child up this long restarts quickly again */
#define FDS_MAX		24

static const struct conf	*conf;
static const struct listeners	*lst;
static char			 bin[4][1024];
static struct child		 children[CHILDREN_MAX];
static int			 nchildren;

static const char *const kind_names[] = { "signer", "validator", "frontend" };

static double
ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(a->tv_sec - b->tv_sec) +
	    (double)(a->tv_nsec - b->tv_nsec) / 1e9;
}

static void
now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

/* Descriptors a child of kind receives, in order from fd 3; -1 if not
 * all of them can be had now. */
static int
child_fds(const struct child *ch, int *fds)
{
	char	 path[512];
	int	 n = 0, i;

	switch (ch->ch_kind) {
	case CHILD_SIGNER:
		fds[n++] = lst->ls_front;
		fds[n++] = lst->ls_valid;
		fds[n++] = lst->ls_admin;
		fds[n++] = lst->ls_vblock;
		break;
	case CHILD_FRONTEND:
		/* The frontend is jailed and cannot connect(): it gets its
		 * validator connection (fd 4), then one signer connection
		 * per worker (fd 5 on), made here. */
		fds[n++] = lst->ls_http;
		sockets_path(conf, "validator.sock", path, sizeof(path));
		if ((fds[n++] = unixsock_connect(path)) == -1) {
			log_warn("connect %s", path);
			return -1;
		}
		sockets_path(conf, "signer-front.sock", path, sizeof(path));
		for (i = 0; i < conf_signer_workers(conf) && n < FDS_MAX; i++)
			if ((fds[n] = unixsock_connect(path)) != -1)
				n++;
		break;
	case CHILD_VALIDATOR:
		fds[n++] = lst->ls_validator;
		fds[n++] = lst->ls_vadmin;
		break;
	}
	return n;
}

/* In the child: move fds to 3.., close everything else, exec. */
static void
child_exec(const struct child *ch, int *fds, int n)
{
	char		 idx[16], *argv[6];
	int		 i, tmp[FDS_MAX];
	sigset_t	 none;

	for (i = 0; i < n; i++)
		if ((tmp[i] = fcntl(fds[i], F_DUPFD, 3 + FDS_MAX)) == -1)
			_exit(127);
	for (i = 0; i < n; i++)
		if (dup2(tmp[i], 3 + i) == -1)
			_exit(127);
	closefrom(3 + n);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	snprintf(idx, sizeof(idx), "%d", ch->ch_index);
	argv[0] = bin[ch->ch_kind];
	argv[1] = "-c";
	argv[2] = conf->cf_path;
	argv[3] = ch->ch_kind == CHILD_SIGNER ? "--serve" : NULL;
	argv[4] = ch->ch_kind == CHILD_SIGNER ? idx : NULL;
	argv[5] = NULL;
	execv(argv[0], argv);
	fprintf(stderr, "keyward: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void
child_start(struct child *ch)
{
	int	 fds[FDS_MAX], n, i;
	pid_t	 pid = -1;

	if ((n = child_fds(ch, fds)) != -1 && (pid = fork()) == 0)
		child_exec(ch, fds, n);
	/* The connections made for a frontend are the child's alone. */
	if (ch->ch_kind == CHILD_FRONTEND)
		for (i = 1; i < n; i++)
			close(fds[i]);
	if (pid == -1) {
		log_warn("cannot start %s", kind_names[ch->ch_kind]);
		now(&ch->ch_restart_at);
		ch->ch_restart_at.tv_sec += 1;
		return;
	}
	ch->ch_pid = pid;
	now(&ch->ch_started);
	log_info("started %s %d (pid %d)", kind_names[ch->ch_kind],
	    ch->ch_index, (int)pid);
}

/* Writes run_dir/status for keywardctl status: one line per child. */
static void
status_write(void)
{
	char	 path[512], tmp[520];
	FILE	*f;
	int	 i;

	snprintf(path, sizeof(path), "%s/status", conf->cf_run_dir);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		log_warn("%s", tmp);
		return;
	}
	for (i = 0; i < nchildren; i++)
		fprintf(f, "%s %d %d %u\n", kind_names[children[i].ch_kind],
		    children[i].ch_index, (int)children[i].ch_pid,
		    children[i].ch_restarts);
	if (fclose(f) != 0 || rename(tmp, path) == -1)
		log_warn("%s", path);
}

static void
add(enum child_kind kind, int index)
{
	struct child	*ch = &children[nchildren++];

	memset(ch, 0, sizeof(*ch));
	ch->ch_kind = kind;
	ch->ch_index = index;
	ch->ch_backoff = BACKOFF_MIN;
}

int
children_init(const struct conf *cf, const struct listeners *ls)
{
	static const char *const names[] = { "keyward-signer",
	    "keyward-validator", "keyward-frontend" };
	int	 i;

	conf = cf;
	lst = ls;
	for (i = 0; i < 3; i++)
		if (bin_path(names[i], bin[i], sizeof(bin[i])) == -1)
			return -1;
	for (i = 0; i < conf_signer_workers(cf); i++)
		add(CHILD_SIGNER, i);
	add(CHILD_VALIDATOR, 0);
	for (i = 0; i < cf->cf_frontends; i++)
		add(CHILD_FRONTEND, i);
	return 0;
}

/* Starts every child that is down and whose back-off has passed. */
void
children_start_due(void)
{
	struct timespec	 t;
	int		 i, started = 0;

	now(&t);
	for (i = 0; i < nchildren; i++)
		if (children[i].ch_pid == 0 &&
		    ts_diff(&t, &children[i].ch_restart_at) >= 0) {
			child_start(&children[i]);
			started = 1;
		}
	if (started)
		status_write();
}

/* Milliseconds until the next restart is due, or -1 if none is. */
int
children_next_timeout_ms(void)
{
	struct timespec	 t;
	double		 best = -1, d;
	int		 i;

	now(&t);
	for (i = 0; i < nchildren; i++) {
		if (children[i].ch_pid != 0)
			continue;
		d = ts_diff(&children[i].ch_restart_at, &t);
		if (d < 0)
			d = 0;
		if (best < 0 || d < best)
			best = d;
	}
	return best < 0 ? -1 : (int)(best * 1000) + 1;
}

static void
describe(int status, char *out, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(out, len, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(out, len, "exited with status %d",
		    WEXITSTATUS(status));
}

/* Schedules the restart of a child that died. */
void
children_reaped(pid_t pid, int status)
{
	struct child	*ch;
	struct timespec	 t;
	char		 how[64];
	int		 i;

	for (i = 0; i < nchildren && children[i].ch_pid != pid; i++)
		;
	if (i == nchildren)
		return;
	ch = &children[i];
	now(&t);
	if (ts_diff(&t, &ch->ch_started) > STABLE_S)
		ch->ch_backoff = BACKOFF_MIN;
	describe(status, how, sizeof(how));
	log_warnx("%s %d (pid %d) %s; restarting in %.2fs",
	    kind_names[ch->ch_kind], ch->ch_index, (int)pid, how,
	    ch->ch_backoff);
	ch->ch_pid = 0;
	ch->ch_restarts++;
	ch->ch_restart_at = t;
	ch->ch_restart_at.tv_sec += (time_t)ch->ch_backoff;
	ch->ch_restart_at.tv_nsec += (long)((ch->ch_backoff -
	    (double)(time_t)ch->ch_backoff) * 1e9);
	if (ch->ch_restart_at.tv_nsec >= 1000000000L) {
		ch->ch_restart_at.tv_sec++;
		ch->ch_restart_at.tv_nsec -= 1000000000L;
	}
	ch->ch_backoff *= 2;
	if (ch->ch_backoff > BACKOFF_MAX)
		ch->ch_backoff = BACKOFF_MAX;
	status_write();
}

/* SIGTERM to all, then wait; SIGKILL whoever is left after 5 seconds. */
void
children_stop(void)
{
	int	 i, status, left, tries;
	pid_t	 pid;

	for (i = 0; i < nchildren; i++)
		if (children[i].ch_pid != 0)
			kill(children[i].ch_pid, SIGTERM);
	for (tries = 0; tries < 50; tries++) {
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			for (i = 0; i < nchildren; i++)
				if (children[i].ch_pid == pid)
					children[i].ch_pid = 0;
		for (left = 0, i = 0; i < nchildren; i++)
			left += children[i].ch_pid != 0;
		if (left == 0)
			return;
		usleep(100 * 1000);
	}
	for (i = 0; i < nchildren; i++)
		if (children[i].ch_pid != 0)
			kill(children[i].ch_pid, SIGKILL);
	while (waitpid(-1, &status, 0) > 0)
		;
}
