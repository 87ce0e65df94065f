/*
 * privdrop.c: a child acquires what it needs, then gives up root for good
 * (chroot, groups, gids, uids), then limits itself.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "common.h"
#include "privdrop.h"

int
privdrop_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;

	if (user == NULL || *user == '\0' || geteuid() != 0) {
		*uid = geteuid();
		*gid = getegid();
		return 0;
	}
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("unknown user %s (run keywardctl init as root to "
		    "create it)", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* Refuses a jail that someone other than root could change under us. */
static void
jail_check(const char *jail)
{
	struct stat	 st;

	if (stat(jail, &st) == -1)
		fatal("chroot %s", jail);
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 ||
	    !S_ISDIR(st.st_mode))
		fatalx("chroot %s: must be a directory owned by root and "
		    "writable by nobody else", jail);
}

void
privdrop(uid_t uid, gid_t gid, const char *jail)
{
	if (geteuid() != 0)
		return;
	if (jail != NULL) {
		jail_check(jail);
		if (chroot(jail) == -1 || chdir("/") == -1)
			fatal("chroot %s", jail);
	}
	if (setgroups(1, &gid) == -1 ||
	    setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		fatal("drop privileges to uid %u", (unsigned)uid);
	if (uid != 0 && (setuid(0) != -1 || setgid(0) != -1))
		fatalx("privdrop: could regain root");
}

/*
 * No core dumps (a core of the signer would hold the PIN libp11 keeps),
 * no way back to privileges.  RLIMIT_FSIZE stays: stderr may be a file.
 */
void
privdrop_limits(void)
{
	struct rlimit	 zero = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &zero) == -1)
		fatal("setrlimit core");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("no_new_privs");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("dumpable");
}
