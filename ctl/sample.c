/*
 * sample.c: keywardctl sample-config prints a complete configuration for a
 * self-contained deployment under one directory: SoftHSM token, PIN files,
 * ledger and challenge inside it, the listener on loopback by default.
 * The static SCEP challenge goes into DIR/challenge, never into the
 * configuration.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "ctl.h"

#define SAMPLE_LISTEN	"127.0.0.1:8080"
#define SAMPLE_NAME	"keyward"
#define CHALLENGE_LEN	32
#define CHALLENGE_MAX	255	/* PKCS#9 ub-challengePassword */
#define DIR_MAX		150	/* keeps printed lines within inih's limit */
#define USAGE		"usage: keywardctl sample-config --state-dir DIR " \
			"[--listen ADDR:PORT] [--challenge SECRET]"
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

struct sample {
	const char	*sm_dir;
	const char	*sm_listen;
	const char	*sm_challenge;	/* NULL: keep or generate */
	char		 sm_path[DIR_MAX + 1];	/* sm_dir, trailing / removed */
	int		 sm_wildcard;	/* listen address is 0.0.0.0 or :: */
};

static const struct {
	const char	*so_name;
	size_t		 so_off;
} sample_opts[] = {
	{ "--state-dir",	offsetof(struct sample, sm_dir) },
	{ "--listen",		offsetof(struct sample, sm_listen) },
	{ "--challenge",	offsetof(struct sample, sm_challenge) },
};

/* Parses "--opt VALUE" and "--opt=VALUE"; argv[0] is "sample-config". */
static int
sample_args(int argc, char **argv, struct sample *sm)
{
	const char	**dst, *arg;
	size_t		 i, len = 0;
	int		 a;

	for (a = 1; a < argc; a++) {
		arg = argv[a];
		for (i = 0; i < nitems(sample_opts); i++) {
			len = strlen(sample_opts[i].so_name);
			if (strncmp(arg, sample_opts[i].so_name, len) == 0 &&
			    (arg[len] == '\0' || arg[len] == '='))
				break;
		}
		if (i == nitems(sample_opts)) {
			log_warnx("unknown argument \"%s\" (" USAGE ")", arg);
			return -1;
		}
		dst = (const char **)(void *)((char *)sm +
		    sample_opts[i].so_off);
		if (*dst != NULL) {
			log_warnx("%s given twice", sample_opts[i].so_name);
			return -1;
		}
		if (arg[len] == '=')
			*dst = arg + len + 1;
		else if (a + 1 < argc)
			*dst = argv[++a];
		else {
			log_warnx("%s needs a value", sample_opts[i].so_name);
			return -1;
		}
	}
	if (sm->sm_dir == NULL) {
		log_warnx("--state-dir is required (" USAGE ")");
		return -1;
	}
	if (sm->sm_listen == NULL)
		sm->sm_listen = SAMPLE_LISTEN;
	return 0;
}

/* True if s has only printable ASCII, spaces only where allowed. */
static int
is_printable(const char *s, int space)
{
	for (; *s != '\0'; s++)
		if (*s < (space ? 0x20 : 0x21) || *s > 0x7e)
			return 0;
	return 1;
}

/* Checks the arguments against what the configuration can hold. */
static int
sample_check(struct sample *sm)
{
	struct sockaddr_storage	 ss;
	const char		*why;
	size_t			 len = strlen(sm->sm_dir);

	while (len > 1 && sm->sm_dir[len - 1] == '/')
		len--;
	if (sm->sm_dir[0] != '/' || len < 2) {
		log_warnx("--state-dir %s: must be an absolute path other "
		    "than /", sm->sm_dir);
		return -1;
	}
	if (len > DIR_MAX || !is_printable(sm->sm_dir, 0)) {
		log_warnx("--state-dir: expected at most %d printable "
		    "characters without spaces", DIR_MAX);
		return -1;
	}
	memcpy(sm->sm_path, sm->sm_dir, len);
	sm->sm_path[len] = '\0';
	if (conf_listen_parse(sm->sm_listen, &ss, &why) == -1) {
		log_warnx("--listen %s: %s (expected ADDR:PORT, e.g. "
		    "127.0.0.1:8080 or [::1]:8080)", sm->sm_listen, why);
		return -1;
	}
	sm->sm_wildcard = ss.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_addr.s_addr == INADDR_ANY :
	    IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr);
	if (sm->sm_challenge != NULL && (sm->sm_challenge[0] == '\0' ||
	    strlen(sm->sm_challenge) > CHALLENGE_MAX ||
	    !is_printable(sm->sm_challenge, 1))) {
		log_warnx("--challenge: expected 1 to %d printable ASCII "
		    "characters", CHALLENGE_MAX);
		return -1;
	}
	return 0;
}

/* mkdir -p: creates each missing component with mode 0755. */
static int
mkdir_p(const char *dir)
{
	char		 path[PATH_MAX], *p, c;
	struct stat	 st;

	snprintf(path, sizeof(path), "%s", dir);
	for (p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			log_warn("mkdir %s", path);
			return -1;
		}
		if ((*p = c) == '\0')
			break;
	}
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		log_warnx("%s: not a directory", dir);
		return -1;
	}
	return 0;
}

/*
 * Writes DIR/challenge (0600) unless it exists: the given challenge, else
 * a random one, which is left in out with *generated set.  An existing
 * file is kept; it must match --challenge when that was given.
 */
static int
sample_challenge(const struct sample *sm, char *out, size_t outsz,
    int *generated)
{
	char		 path[PATH_MAX];
	struct stat	 st;
	int		 same;

	*generated = 0;
	snprintf(path, sizeof(path), "%s/challenge", sm->sm_path);
	if (mkdir_p(sm->sm_path) == -1)
		return -1;
	if (lstat(path, &st) == 0) {
		if (sm->sm_challenge == NULL) {
			fprintf(stderr, "keywardctl: sample-config: keeping "
			    "the challenge in %s\n", path);
			return 0;
		}
		if (secret_read(path, out, outsz) == -1)
			return -1;
		same = strcmp(out, sm->sm_challenge) == 0;
		explicit_bzero(out, outsz);
		if (!same)
			log_warnx("%s holds another challenge: remove it or "
			    "leave out --challenge", path);
		return same ? 0 : -1;
	}
	if (errno != ENOENT) {
		log_warn("%s", path);
		return -1;
	}
	if (sm->sm_challenge != NULL)
		snprintf(out, outsz, "%s", sm->sm_challenge);
	else if (secret_random(out, CHALLENGE_LEN) == -1)
		return -1;
	else
		*generated = 1;
	return secret_write(path, out);
}

/* The [keyward], [token] and [ledger] sections. */
static void
print_state(FILE *fp, const struct sample *sm)
{
	const char	*d = sm->sm_path;

	/* No comment names DIR: every line must stay within inih's limit. */
	fprintf(fp, "# keyward.conf for a self-contained deployment, written "
	    "by keywardctl\n# sample-config.  keyward.conf.example describes "
	    "every key.\n# Next: keywardctl -c THIS_FILE init\n\n");
	fprintf(fp, "[keyward]\nstate_dir = %s\nlog_level = info\n\n", d);
	fprintf(fp, "[token]\n"
	    "# SoftHSM with its own configuration and token directory "
	    "(tokens/) in\n# the state directory.  keywardctl init creates "
	    "both, the token and\n# the PIN files (mode 0600).\n"
	    "module = /usr/lib/softhsm/libsofthsm2.so\nlabel = keyward\n"
	    "pin_file = %s/token.pin\nso_pin_file = %s/token.so-pin\n"
	    "softhsm2_conf = %s/softhsm2.conf\n\n", d, d, d);
	fprintf(fp, "[ledger]\npath = %s/ledger/ledger.sqlite\n\n", d);
}

/* The [ca], [http] and [scep] sections and the profiles. */
static void
print_service(FILE *fp, const struct sample *sm)
{
	const char	*l = sm->sm_listen;

	fprintf(fp, "[ca]\nname = " SAMPLE_NAME "\n"
	    "subject = CN=keyward Demo Root CA,O=keyward\n"
	    "key_type = rsa:3072\n"
	    "# Built from [http] listen; clients fetch them from there.%s\n"
	    "ocsp_url = http://%s/ocsp\n"
	    "ca_issuers_url = http://%s/ca/" SAMPLE_NAME ".crt\n"
	    "crl_url = http://%s/crl/" SAMPLE_NAME ".crl\n\n",
	    sm->sm_wildcard ? "\n# XXX: put the host name that clients "
	    "use in place of the wildcard." : "", l, l, l);
	fprintf(fp, "[http]\nlisten = %s\n\n", l);
	fprintf(fp, "[ocsp]\n# The responder behind ocsp_url.  Responses are "
	    "signed ahead of time\n# within presign_rate signatures a second "
	    "(keep it below the token's rate).\npath = /ocsp\n"
	    "validity_seconds = 86400\npresign_rate = 20\n\n"
	    "[crl]\n# Signed on this schedule and on every revocation.\n"
	    "update_seconds = 3600\nvalidity_seconds = 86400\n\n");
	fprintf(fp, "[scep]\n"
	    "# The static SCEP challenge is kept in this file (mode 0600), not "
	    "in the\n# configuration.  sample-config wrote it if it did not "
	    "exist yet.\nchallenge_file = %s/challenge\n"
	    "# /scep: static challenge, profile chosen from the CSR (UPN SAN "
	    "-> user).\nscep_challenge = static\nscep_profile = auto\n\n",
	    sm->sm_path);
	fprintf(fp, "# Intune device certificates; the uri SAN carries the "
	    "device's SID.\n[profile.device]\nvalidity_days = 365\n"
	    "key_usage = digitalSignature, keyEncipherment\n"
	    "extended_key_usage = clientAuth\nsan_types = uri, dns\n\n");
	fprintf(fp, "# Intune user certificates.\n[profile.user]\n"
	    "validity_days = 365\n"
	    "key_usage = digitalSignature, keyEncipherment\n"
	    "extended_key_usage = clientAuth, emailProtection\n"
	    "san_types = upn, email, uri\n");
}

int
ctl_sample_config(int argc, char **argv)
{
	struct sample	 sm;
	char		 secret[CHALLENGE_MAX + 2];
	int		 generated, r = 1;

	/* Every error line, secret.c's too, carries this prefix. */
	log_init("keywardctl: sample-config", LOG_LVL_WARN);
	memset(&sm, 0, sizeof(sm));
	if (sample_args(argc, argv, &sm) == -1 || sample_check(&sm) == -1 ||
	    sample_challenge(&sm, secret, sizeof(secret), &generated) == -1)
		goto out;
	if (sm.sm_wildcard)
		log_warnx("warning: the URLs name %s, which clients cannot "
		    "reach; edit them", sm.sm_listen);
	print_state(stdout, &sm);
	print_service(stdout, &sm);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_warn("writing the configuration");
		goto out;
	}
	if (generated)
		fprintf(stderr, "keywardctl: static challenge: %s\n", secret);
	r = 0;
 out:
	explicit_bzero(secret, sizeof(secret));
	return r;
}
