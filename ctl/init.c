/*
 * init.c: keywardctl init and install-ca-cert.  keywardctl prepares what
 * needs root (system users, directories, file owners); everything that
 * touches the token runs in keyward-signer, as the signer's user.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "ctl.h"
#include "privdrop.h"

/* Runs argv and waits; 0 if it exited 0. */
static int
run(char *const argv[])
{
	pid_t	 pid;
	int	 status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "keywardctl: %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Creates the admin group and the three system users when missing. */
static int
ensure_accounts(const struct conf *cf)
{
	const char	*users[3] = { cf->cf_user_signer,
	    cf->cf_user_frontend, cf->cf_user_validator };
	char		*gadd[] = { "groupadd", "--system",
	    cf->cf_admin_group, NULL };
	char		*uadd[] = { "useradd", "--system", "--user-group",
	    "--no-create-home", "--home-dir", "/nonexistent", "--shell",
	    "/usr/sbin/nologin", NULL, NULL };
	int		 i;

	if (getgrnam(cf->cf_admin_group) == NULL) {
		if (run(gadd) == -1)
			return -1;
		printf("group %s: created\n", cf->cf_admin_group);
	}
	for (i = 0; i < 3; i++) {
		if (getpwnam(users[i]) != NULL)
			continue;
		uadd[8] = (char *)users[i];
		if (run(uadd) == -1)
			return -1;
		printf("user %s: created\n", users[i]);
	}
	return 0;
}

/* mkdir -m mode, owned by uid:gid; an existing directory is kept. */
static int
ensure_dir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	if (mkdir(path, mode) == -1 && errno != EEXIST) {
		fprintf(stderr, "keywardctl: mkdir %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (geteuid() == 0 && chown(path, uid, gid) == -1)
		return -1;
	return 0;
}

/* Creates a random secret file for uid unless one exists. */
static int
ensure_secret(const char *path, uid_t uid, gid_t gid)
{
	char	 secret[33];

	if (path == NULL || access(path, F_OK) == 0)
		return 0;
	if (secret_random(secret, 32) == -1 || secret_write(path, secret) == -1)
		return -1;
	explicit_bzero(secret, sizeof(secret));
	if (geteuid() == 0 && chown(path, uid, gid) == -1)
		return -1;
	printf("%s: created\n", path);
	return 0;
}

/* A private SoftHSM configuration whose token directory the signer owns. */
static int
ensure_softhsm(const struct conf *cf, uid_t uid, gid_t gid)
{
	char	 dir[1024], tokens[1100];
	FILE	*f;

	if (cf->cf_softhsm2_conf == NULL)
		return 0;
	snprintf(dir, sizeof(dir), "%s", cf->cf_softhsm2_conf);
	snprintf(tokens, sizeof(tokens), "%s/tokens", dirname(dir));
	if (ensure_dir(tokens, 0700, uid, gid) == -1)
		return -1;
	if (access(cf->cf_softhsm2_conf, F_OK) == 0)
		return 0;
	if ((f = fopen(cf->cf_softhsm2_conf, "w")) == NULL) {
		fprintf(stderr, "keywardctl: %s: %s\n", cf->cf_softhsm2_conf,
		    strerror(errno));
		return -1;
	}
	fprintf(f, "# SoftHSMv2 token store for keyward\n"
	    "directories.tokendir = %s\nobjectstore.backend = file\n"
	    "log.level = ERROR\nslots.removable = false\n", tokens);
	if (fclose(f) != 0)
		return -1;
	printf("%s: created\n", cf->cf_softhsm2_conf);
	return 0;
}

/* An empty file for the signer to fill (it cannot create files in the
 * state directory): the sub-CA request, the Intune certificate. */
static int
ensure_signer_file(const char *path, uid_t uid, gid_t gid)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1 ||
	    (geteuid() == 0 && fchown(fd, uid, gid) == -1)) {
		fprintf(stderr, "keywardctl: %s: %s\n", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return close(fd);
}

/* Everything init needs before the signer can take over. */
static int
prepare(const struct conf *cf, int subordinate)
{
	char	 dir[1024], csr[1024];
	uid_t	 uid, vuid;
	gid_t	 gid, vgid;

	if (geteuid() == 0 && ensure_accounts(cf) == -1)
		return -1;
	if (privdrop_lookup(cf->cf_user_signer, &uid, &gid) == -1 ||
	    privdrop_lookup(cf->cf_user_validator, &vuid, &vgid) == -1)
		return -1;
	snprintf(dir, sizeof(dir), "%s", cf->cf_ledger);
	snprintf(csr, sizeof(csr), "%s/ca-%u.csr", cf->cf_state_dir,
	    cf->cf_ca_id);
	if (ensure_dir(cf->cf_state_dir, 0755, 0, 0) == -1 ||
	    ensure_dir(cf->cf_chroot, 0755, 0, 0) == -1 ||
	    ensure_dir(dirname(dir), 0700, uid, gid) == -1 ||
	    ensure_softhsm(cf, uid, gid) == -1 ||
	    ensure_secret(cf->cf_pin_file, uid, gid) == -1 ||
	    ensure_secret(cf->cf_so_pin_file, uid, gid) == -1 ||
	    (subordinate && ensure_signer_file(csr, uid, gid) == -1))
		return -1;
	/* The static challenge is the validator's to read. */
	if (cf->cf_challenge_file != NULL && geteuid() == 0 &&
	    access(cf->cf_challenge_file, F_OK) == 0 &&
	    chown(cf->cf_challenge_file, vuid, vgid) == -1)
		return -1;
	return 0;
}

/* Runs keyward-signer in a one-shot mode with extra arguments. */
static int
signer_run(const struct conf *cf, char **extra, int nextra)
{
	char	 bin[1024], *argv[12];
	int	 i, n = 0;

	if (bin_path("keyward-signer", bin, sizeof(bin)) == -1 || nextra > 8)
		return 1;
	argv[n++] = bin;
	argv[n++] = "-c";
	argv[n++] = cf->cf_path;
	for (i = 0; i < nextra; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	return run(argv) == 0 ? 0 : 1;
}

int
ctl_init(const struct conf *cf, int argc, char **argv)
{
	char	*extra[8];
	int	 i, n = 0, sub = 0;

	extra[n++] = "--init";
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--key-type") == 0 && i + 1 < argc) {
			extra[n++] = "--key-type";
			extra[n++] = argv[++i];
		} else if (strcmp(argv[i], "--subordinate") == 0) {
			extra[n++] = "--subordinate";
			sub = 1;
		} else {
			fprintf(stderr, "keywardctl: init: unknown argument "
			    "'%s'\n", argv[i]);
			return 2;
		}
		if (n > 4)
			return 2;
	}
	if (prepare(cf, sub) == -1)
		return 1;
	return signer_run(cf, extra, n);
}

int
ctl_install_ca_cert(const struct conf *cf, int argc, char **argv)
{
	char	 path[4096], *extra[2];

	if (argc != 2) {
		fprintf(stderr, "keywardctl: usage: install-ca-cert FILE\n");
		return 2;
	}
	/* The signer reads the file after dropping root: pass it whole. */
	if (realpath(argv[1], path) == NULL) {
		fprintf(stderr, "keywardctl: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	extra[0] = "--install-ca-cert";
	extra[1] = path;
	return signer_run(cf, extra, 2);
}

/*
 * intune-key [--subject DN] [--out FILE]: the Entra ID assertion key in
 * the token and its self-signed certificate, written to FILE (default
 * STATE/intune-ID.pem) for the app registration.
 */
int
ctl_intune_key(const struct conf *cf, int argc, char **argv)
{
	char	 path[4096], real[PATH_MAX], *extra[4], *subject = NULL;
	uid_t	 uid;
	gid_t	 gid;
	int	 i, n = 0;

	snprintf(path, sizeof(path), "%s/intune-%u.pem", cf->cf_state_dir,
	    cf->cf_ca_id);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--subject") == 0 && i + 1 < argc)
			subject = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc &&
		    argv[i + 1][0] != '\0')
			snprintf(path, sizeof(path), "%s", argv[++i]);
		else {
			fprintf(stderr, "keywardctl: usage: intune-key "
			    "[--subject DN] [--out FILE]\n");
			return 2;
		}
	}
	if (privdrop_lookup(cf->cf_user_signer, &uid, &gid) == -1 ||
	    ensure_signer_file(path, uid, gid) == -1)
		return 1;
	/* The signer opens the file after dropping root: pass it whole. */
	if (realpath(path, real) == NULL) {
		fprintf(stderr, "keywardctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	extra[n++] = "--intune-key";
	extra[n++] = real;
	if (subject != NULL) {
		extra[n++] = "--subject";
		extra[n++] = subject;
	}
	return signer_run(cf, extra, n);
}
