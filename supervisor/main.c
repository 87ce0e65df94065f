/*
 * keyward: the supervisor.  Runs in the foreground (systemd-friendly),
 * logs to stderr, opens the listeners, starts the children and keeps them
 * running until SIGTERM.
 */
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "privdrop.h"
#include "supervisor.h"

static void
usage(void)
{
	fprintf(stderr, "usage: keyward -c FILE\n");
	exit(2);
}

/* Says who the children will run as; fails if a user is missing. */
static int
check_users(const struct conf *cf)
{
	const char	*users[3] = { cf->cf_user_signer,
	    cf->cf_user_frontend, cf->cf_user_validator };
	uid_t		 uid;
	gid_t		 gid;
	int		 i;

	if (geteuid() != 0) {
		log_info("running as uid %u: every child runs as this user, "
		    "without chroot", (unsigned)geteuid());
		return 0;
	}
	for (i = 0; i < 3; i++)
		if (privdrop_lookup(users[i], &uid, &gid) == -1)
			return -1;
	log_info("children run as %s, %s (chroot %s) and %s", users[0],
	    users[1], cf->cf_chroot, users[2]);
	return 0;
}

/* Reaps children and schedules restarts; returns 1 on SIGTERM/SIGINT. */
static int
handle_signals(int sfd)
{
	struct signalfd_siginfo	 si;
	pid_t			 pid;
	int			 status;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			return 1;
		if (si.ssi_signo == SIGHUP)
			log_info("SIGHUP: restart keyward to apply a new "
			    "configuration");
	}
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		children_reaped(pid, status);
	return 0;
}

static void
run(int sfd)
{
	struct pollfd	 pfd = { sfd, POLLIN, 0 };

	for (;;) {
		children_start_due();
		if (poll(&pfd, 1, children_next_timeout_ms()) == -1 &&
		    errno != EINTR)
			fatal("poll");
		if (pfd.revents & POLLIN && handle_signals(sfd))
			return;
	}
}

int
main(int argc, char *argv[])
{
	struct conf		 cf;
	struct listeners	 ls;
	sigset_t		 mask;
	const char		*path = NULL;
	int			 ch, sfd;

	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch != 'c')
			usage();
		path = optarg;
	}
	if (path == NULL || optind != argc)
		usage();
	log_init("keyward", LOG_LVL_INFO);
	if (conf_load(path, &cf) == -1)
		return 1;
	log_setlevel(cf.cf_log_level);
	if (check_users(&cf) == -1 || sockets_open(&cf, &ls) == -1)
		return 1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1 ||
	    (sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	if (children_init(&cf, &ls) == -1)
		return 1;
	log_info("keyward %s listening on http://%s/", KW_VERSION,
	    cf.cf_listen);
	run(sfd);
	log_info("stopping");
	children_stop();
	conf_free(&cf);
	return 0;
}
