/*
 * revcmd.c: publishing revocation data by file.  `crl` writes the CA's
 * newest CRL; `export-ocsp DIR` writes every fresh pre-signed OCSP
 * response under the name its RFC 5019 GET URL decodes to, and the CRL,
 * so that a static web tier or CDN can serve them (design.md "Scale
 * beyond one box").
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "common.h"
#include "config.h"
#include "ctl.h"
#include "ipc.h"

struct export {
	const char	*ex_dir;
	const char	*ex_ocsp_path;	/* [ocsp] path */
	time_t		 ex_now;
	unsigned	 ex_written;
};

static int	write_file(const char *, const uint8_t *, size_t);
static int	mkdirs(char *);
static int	get_crl(const struct conf *, struct ipc_msg *,
		    const uint8_t **, size_t *);
static int	get_path(const uint8_t *, size_t, char *, size_t);
static int	export_row(struct export *, struct ipc_msg *);
static int	export_page(const struct conf *, struct export *, uint64_t *,
		    int *);

/* Writes a whole file, replacing it; reports one line on failure. */
static int
write_file(const char *path, const uint8_t *der, size_t len)
{
	FILE	*f;
	int	 r = 0;

	if ((f = fopen(path, "w")) == NULL)
		r = -1;
	else if (fwrite(der, 1, len, f) != len)
		r = -1;
	if (f != NULL && fclose(f) != 0)
		r = -1;
	if (r == -1)
		fprintf(stderr, "keywardctl: %s: %s\n", path, strerror(errno));
	return r;
}

/* Creates every directory above the file path names (mode 0755). */
static int
mkdirs(char *path)
{
	char	*p;

	for (p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			fprintf(stderr, "keywardctl: %s: %s\n", path,
			    strerror(errno));
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

/* The newest CRL's DER, pointing into ans. */
static int
get_crl(const struct conf *cf, struct ipc_msg *ans, const uint8_t **der,
    size_t *len)
{
	struct ipc_msg	 req;
	uint64_t	 number, t0, t1;
	int		 r = -1;

	ipc_msg_init(&req, IPC_REQ_CRL, 0, 0);
	ipc_put_u64(&req, 0);
	memset(ans, 0, sizeof(*ans));
	if (client_call(cf, &req, ans) == 0) {
		ipc_get_u64(ans, &number);
		ipc_get_u64(ans, &t0);
		ipc_get_u64(ans, &t1);
		ipc_get_bytes(ans, der, len, IPC_BODY_MAX);
		if (ipc_get_end(ans) == 0 && *len > 0)
			r = 0;
		else
			fprintf(stderr, "keywardctl: malformed answer\n");
	}
	ipc_msg_free(&req);
	return r;
}

int
ctl_crl(const struct conf *cf, int argc, char **argv)
{
	struct ipc_msg	 ans;
	const uint8_t	*der, *p;
	X509_CRL	*crl = NULL;
	size_t		 len;
	int		 r = 1;

	if (argc != 1 && (argc != 3 || strcmp(argv[1], "--out") != 0)) {
		fprintf(stderr, "keywardctl: usage: crl [--out FILE]\n");
		return 2;
	}
	if (get_crl(cf, &ans, &der, &len) == -1)
		goto out;
	if (argc == 3) {
		r = write_file(argv[2], der, len) == 0 ? 0 : 1;
		goto out;
	}
	p = der;
	if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) != NULL &&
	    PEM_write_X509_CRL(stdout, crl) == 1)
		r = 0;
 out:
	X509_CRL_free(crl);
	ipc_msg_free(&ans);
	return r;
}

/*
 * The decoded GET path of the request a client makes for the response's
 * CertID (RFC 5019 5: base64 of the DER OCSPRequest, no nonce): its '/'
 * characters are directories, as a web server maps the decoded URL.
 */
static int
get_path(const uint8_t *der, size_t len, char *out, size_t outsz)
{
	OCSP_RESPONSE	*resp = NULL;
	OCSP_BASICRESP	*bs = NULL;
	OCSP_REQUEST	*req = NULL;
	OCSP_CERTID	*cid = NULL;
	const uint8_t	*p = der;
	uint8_t		*rd = NULL;
	int		 n, r = -1;

	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL ||
	    OCSP_resp_count(bs) != 1 ||
	    (cid = OCSP_CERTID_dup(OCSP_SINGLERESP_get0_id(OCSP_resp_get0(bs,
	    0)))) == NULL || (req = OCSP_REQUEST_new()) == NULL ||
	    OCSP_request_add0_id(req, cid) == NULL)
		goto out;
	cid = NULL;
	if ((n = i2d_OCSP_REQUEST(req, &rd)) <= 0 ||
	    (size_t)(n + 2) / 3 * 4 + 1 > outsz)
		goto out;
	EVP_EncodeBlock((unsigned char *)out, rd, n);
	r = 0;
 out:
	OPENSSL_free(rd);
	OCSP_CERTID_free(cid);
	OCSP_REQUEST_free(req);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return r;
}

/* One pulled row: written unless it has expired. */
static int
export_row(struct export *ex, struct ipc_msg *ans)
{
	struct ipc_ocsp_row	 o;
	char			 b64[1024], path[PATH_MAX];

	ipc_get_ocsp_row(ans, &o);
	if (!ipc_msg_ok(ans))
		return -1;
	if ((time_t)o.or_next_update <= ex->ex_now)
		return 0;
	if (get_path(o.or_der, o.or_derlen, b64, sizeof(b64)) == -1 ||
	    snprintf(path, sizeof(path), "%s%s/%s", ex->ex_dir,
	    strcmp(ex->ex_ocsp_path, "/") == 0 ? "" : ex->ex_ocsp_path,
	    b64) >= (int)sizeof(path)) {
		fprintf(stderr, "keywardctl: response for %s: no file name\n",
		    o.or_serial);
		return -1;
	}
	if (mkdirs(path) == -1 || write_file(path, o.or_der,
	    o.or_derlen) == -1)
		return -1;
	ex->ex_written++;
	return 0;
}

/* One page of the pre-signed responses after *after. */
static int
export_page(const struct conf *cf, struct export *ex, uint64_t *after,
    int *more)
{
	struct ipc_msg	 req, ans;
	uint64_t	 last;
	uint32_t	 m, n, i;
	int		 r = -1;

	ipc_msg_init(&req, IPC_REQ_OCSP_PULL, 0, 0);
	ipc_put_u64(&req, *after);
	ipc_put_u32(&req, 0);
	memset(&ans, 0, sizeof(ans));
	if (client_call(cf, &req, &ans) == 0) {
		ipc_get_u64(&ans, &last);
		ipc_get_u32(&ans, &m);
		ipc_get_u32(&ans, &n);
		for (i = 0; i < n && export_row(ex, &ans) == 0; i++)
			;
		if (i == n && ipc_get_end(&ans) == 0) {
			*after = last;
			*more = m != 0;
			r = 0;
		}
	}
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
}

int
ctl_export_ocsp(const struct conf *cf, int argc, char **argv)
{
	struct export	 ex;
	struct ipc_msg	 ans;
	const uint8_t	*der;
	char		 path[PATH_MAX];
	size_t		 len;
	uint64_t	 after = 0;
	int		 more = 1, r;

	if (argc != 2 || argv[1][0] != '/') {
		fprintf(stderr, "keywardctl: usage: export-ocsp DIR (an "
		    "absolute path)\n");
		return 2;
	}
	memset(&ex, 0, sizeof(ex));
	ex.ex_dir = argv[1];
	ex.ex_ocsp_path = cf->cf_ocsp_path;
	ex.ex_now = time(NULL);
	while (more)
		if (export_page(cf, &ex, &after, &more) == -1)
			return 1;
	snprintf(path, sizeof(path), "%s/crl/%s.crl", ex.ex_dir,
	    cf->cf_ca_name);
	if (get_crl(cf, &ans, &der, &len) == -1)
		return 1;
	r = mkdirs(path) == 0 && write_file(path, der, len) == 0 ? 0 : 1;
	ipc_msg_free(&ans);
	if (r == 0)
		printf("%u OCSP responses and the CRL written under %s\n",
		    ex.ex_written, ex.ex_dir);
	return r;
}
