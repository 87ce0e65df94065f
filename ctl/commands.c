/*
 * commands.c: keywardctl's requests to the running signer.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "ctl.h"
#include "ipc.h"

void
fmt_time(uint64_t t, char *out, size_t len)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Writes a DER certificate as PEM to f. */
static int
write_pem(FILE *f, const uint8_t *der, size_t len)
{
	const uint8_t	*p = der;
	X509		*x;
	int		 r;

	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return -1;
	r = PEM_write_X509(f, x) == 1 ? 0 : -1;
	X509_free(x);
	return r;
}

static void
print_cert(const struct ipc_cert *c)
{
	char	 nb[32], na[32], rt[32];

	fmt_time(c->c_not_before, nb, sizeof(nb));
	fmt_time(c->c_not_after, na, sizeof(na));
	printf("serial:     %s\nstatus:     %s\nsubject:    %s\n"
	    "san:        %s\nprofile:    %s\nnot before: %s\nnot after:  %s\n",
	    c->c_serial, c->c_status, c->c_subject, c->c_sans, c->c_profile,
	    nb, na);
	if (c->c_rev_time != 0) {
		fmt_time(c->c_rev_time, rt, sizeof(rt));
		printf("revoked:    %s (%s)\n", rt,
		    reason_name((int)c->c_reason));
	}
}

/* Reads a PEM or DER CSR file into DER. */
static uint8_t *
read_csr(const char *path, int *len)
{
	X509_REQ	*req = NULL;
	uint8_t		*der = NULL;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "keywardctl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if ((req = PEM_read_X509_REQ(f, NULL, NULL, NULL)) == NULL) {
		rewind(f);
		req = d2i_X509_REQ_fp(f, NULL);
	}
	fclose(f);
	if (req == NULL || (*len = i2d_X509_REQ(req, &der)) <= 0) {
		fprintf(stderr, "keywardctl: %s: not a PEM or DER "
		    "certificate request\n", path);
		der = NULL;
	}
	X509_REQ_free(req);
	return der;
}

/* Answers carrying one certificate: print it (and its PEM if asked). */
int
cert_result(struct ipc_msg *ans, FILE *pem, int verbose, char *serial)
{
	struct ipc_cert	 c;

	ipc_get_cert(ans, &c);
	if (ipc_get_end(ans) == -1) {
		fprintf(stderr, "keywardctl: malformed answer\n");
		return 1;
	}
	if (verbose)
		print_cert(&c);
	if (pem != NULL && write_pem(pem, c.c_der, c.c_derlen) == -1) {
		fprintf(stderr, "keywardctl: cannot write certificate\n");
		return 1;
	}
	if (serial != NULL)
		snprintf(serial, SERIAL_HEX_MAX, "%s", c.c_serial);
	return 0;
}

int
ctl_issue(const struct conf *cf, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csr", required_argument, NULL, 'c' },
		{ "profile", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct ipc_msg	 req, ans;
	struct ipc_issue is;
	const char	*csr = NULL, *profile = NULL, *out = NULL;
	uint8_t		*der;
	char		 serial[SERIAL_HEX_MAX];
	FILE		*f = stdout;
	int		 ch, len = 0, r = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'c') csr = optarg;
		else if (ch == 'p') profile = optarg;
		else if (ch == 'o') out = optarg;
		else return 2;
	}
	if (csr == NULL || profile == NULL || optind != argc) {
		fprintf(stderr, "keywardctl: usage: issue --csr FILE "
		    "--profile NAME [--out FILE]\n");
		return 2;
	}
	if ((der = read_csr(csr, &len)) == NULL)
		return 1;
	ipc_msg_init(&req, IPC_REQ_ISSUE, 0, 0);
	memset(&is, 0, sizeof(is));
	is.is_profile = profile;
	is.is_csr = der;
	is.is_csrlen = (size_t)len;
	is.is_txid = is.is_requester = is.is_dir_ids = "";
	ipc_put_issue(&req, &is);
	OPENSSL_free(der);
	memset(&ans, 0, sizeof(ans));
	if (client_call(cf, &req, &ans) == 0) {
		if (out != NULL && (f = fopen(out, "w")) == NULL)
			fprintf(stderr, "keywardctl: %s: %s\n", out,
			    strerror(errno));
		else if ((r = cert_result(&ans, f, 0, serial)) == 0)
			fprintf(stderr, "keywardctl: issued %s\n", serial);
		if (f != NULL && f != stdout && fclose(f) != 0)
			r = 1;
	}
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
}

/* Sends a request carrying only a serial (and optional reason). */
static int
serial_request(const struct conf *cf, uint16_t type, const char *arg,
    int reason, int verbose)
{
	struct ipc_msg	 req, ans;
	char		 serial[SERIAL_HEX_MAX];
	int		 r = 1;

	if (serial_normalize(arg, serial, sizeof(serial)) == -1) {
		fprintf(stderr, "keywardctl: '%s' is not a serial number "
		    "(hex, colons allowed)\n", arg);
		return 1;
	}
	ipc_msg_init(&req, type, 0, 0);
	ipc_put_str(&req, serial);
	if (reason >= 0)
		ipc_put_u32(&req, (uint32_t)reason);
	memset(&ans, 0, sizeof(ans));
	if (client_call(cf, &req, &ans) == 0)
		r = cert_result(&ans, verbose ? stdout : NULL, verbose, NULL);
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
}

int
ctl_show(const struct conf *cf, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "keywardctl: usage: show SERIAL\n");
		return 2;
	}
	return serial_request(cf, IPC_REQ_SHOW, argv[1], -1, 1);
}

int
ctl_revoke(const struct conf *cf, int argc, char **argv)
{
	int	 reason;

	if (argc != 4 || strcmp(argv[2], "--reason") != 0) {
		fprintf(stderr, "keywardctl: usage: revoke SERIAL --reason "
		    "REASON\n");
		return 2;
	}
	reason = reason_parse(argv[3]);
	if (reason < 0 || reason == 7 || reason == 8) {
		fprintf(stderr, "keywardctl: unknown revocation reason '%s' "
		    "(use an RFC 5280 name: unspecified, keyCompromise, "
		    "cACompromise, affiliationChanged, superseded, "
		    "cessationOfOperation, certificateHold, "
		    "privilegeWithdrawn, aACompromise)\n", argv[3]);
		return 1;
	}
	if (serial_request(cf, IPC_REQ_REVOKE, argv[1], reason, 0) != 0)
		return 1;
	printf("%s %s (%s)\n", reason == 6 ? "held" : "revoked", argv[1],
	    argv[3]);
	return 0;
}

int
ctl_unhold(const struct conf *cf, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "keywardctl: usage: unhold SERIAL\n");
		return 2;
	}
	if (serial_request(cf, IPC_REQ_UNHOLD, argv[1], -1, 0) != 0)
		return 1;
	printf("released %s\n", argv[1]);
	return 0;
}

/* Prints one page of rows; returns the number printed, -1 on error. */
static int
list_page(struct ipc_msg *ans, uint64_t *last)
{
	struct ipc_cert	 c;
	uint32_t	 n, i;
	char		 na[32];

	ipc_get_u32(ans, &n);
	for (i = 0; i < n && ipc_msg_ok(ans); i++) {
		ipc_get_u64(ans, last);
		ipc_get_cert(ans, &c);
		if (!ipc_msg_ok(ans))
			break;
		fmt_time(c.c_not_after, na, sizeof(na));
		printf("%-40s %-9s %-20s %-10s %s\n", c.c_serial, c.c_status,
		    na, c.c_profile, c.c_subject);
	}
	if (ipc_get_end(ans) == -1) {
		fprintf(stderr, "keywardctl: malformed answer\n");
		return -1;
	}
	return (int)n;
}

int
ctl_list(const struct conf *cf, int argc, char **argv)
{
	struct ipc_msg	 req, ans;
	const char	*status = "";
	uint64_t	 last = 0;
	int		 n;

	if (argc == 3 && strcmp(argv[1], "--status") == 0)
		status = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "keywardctl: usage: list [--status S]\n");
		return 2;
	}
	if (*status != '\0' && strcmp(status, "valid") != 0 &&
	    strcmp(status, "revoked") != 0 && strcmp(status, "hold") != 0 &&
	    strcmp(status, "withheld") != 0) {
		fprintf(stderr, "keywardctl: unknown status '%s' (valid, "
		    "revoked, hold, withheld)\n", status);
		return 1;
	}
	printf("%-40s %-9s %-20s %-10s %s\n", "SERIAL", "STATUS", "NOT AFTER",
	    "PROFILE", "SUBJECT");
	do {
		ipc_msg_init(&req, IPC_REQ_LIST, 0, 0);
		ipc_put_str(&req, status);
		ipc_put_u64(&req, last);
		memset(&ans, 0, sizeof(ans));
		n = client_call(cf, &req, &ans) == 0 ? list_page(&ans, &last) :
		    -1;
		ipc_msg_free(&req);
		ipc_msg_free(&ans);
	} while (n == IPC_LIST_MAX);
	return n < 0 ? 1 : 0;
}

/* Prints the children the supervisor reports in run_dir/status. */
static void
print_children(const struct conf *cf)
{
	char	 path[512], kind[32];
	int	 idx, pid;
	unsigned restarts;
	FILE	*f;

	snprintf(path, sizeof(path), "%s/status", cf->cf_run_dir);
	if ((f = fopen(path, "r")) == NULL) {
		printf("supervisor: not running (no %s)\n", path);
		return;
	}
	while (fscanf(f, "%31s %d %d %u", kind, &idx, &pid, &restarts) == 4)
		printf("%s %d: %s (pid %d, %u restarts)\n", kind, idx,
		    pid > 0 && kill(pid, 0) == 0 ? "up" : "down", pid,
		    restarts);
	fclose(f);
}

int
ctl_status(const struct conf *cf, int argc, char **argv)
{
	struct ipc_msg	 req, ans;
	char		 label[128];
	uint32_t	 tok;
	uint64_t	 v[7];
	int		 i, r = 1;

	print_children(cf);
	ipc_msg_init(&req, IPC_REQ_STATUS, 0, 0);
	memset(&ans, 0, sizeof(ans));
	if (client_call(cf, &req, &ans) == 0) {
		ipc_get_u32(&ans, &tok);
		ipc_get_str(&ans, label, sizeof(label));
		for (i = 0; i < 7; i++)
			ipc_get_u64(&ans, &v[i]);
		if (ipc_get_end(&ans) == 0) {
			printf("token '%s': %s\ncertificates: %llu valid, "
			    "%llu revoked, %llu on hold, %llu withheld\n"
			    "ledger: %llu events, last checkpoint at event "
			    "%llu\n", label, tok ? "reachable" :
			    "NOT REACHABLE", (unsigned long long)v[0],
			    (unsigned long long)v[1], (unsigned long long)v[2],
			    (unsigned long long)v[3], (unsigned long long)v[4],
			    (unsigned long long)v[5]);
			r = tok ? 0 : 1;
		}
	}
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
}

int
ctl_ca_cert(const struct conf *cf, int argc, char **argv)
{
	struct ipc_msg	 req, ans;
	const uint8_t	*pem;
	size_t		 len;
	int		 r = 1;

	ipc_msg_init(&req, IPC_REQ_CACERT, 0, 0);
	memset(&ans, 0, sizeof(ans));
	if (client_call(cf, &req, &ans) == 0) {
		ipc_get_bytes(&ans, &pem, &len, IPC_BODY_MAX);
		if (ipc_get_end(&ans) == 0 && fwrite(pem, 1, len, stdout) ==
		    len)
			r = 0;
	}
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
}
