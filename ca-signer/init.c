/*
 * init.c: creating the token, the three key pairs and the CA's own
 * certificates.  Every step first looks for what exists, so a second run
 * (also while the appliance runs) changes nothing and says so.
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "ledger.h"
#include "serve.h"
#include "signer.h"

static int	 ensure_pairs(const struct conf *, int);
static int	 ensure_role(const struct conf *, struct token *,
		    struct ledger *, X509 *, EVP_PKEY *, const char *);
static int	 load_scep(struct signer *);

/* The certificate installed for role, or NULL. */
X509 *
signer_ledger_cert(struct ledger *lg, uint32_t ca_id, const char *role)
{
	uint8_t		*der = NULL;
	const uint8_t	*p;
	size_t		 len;
	X509		*x = NULL;

	if (ledger_ca_cert(lg, ca_id, role, &der, &len) != 0)
		return NULL;
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	free(der);
	return x;
}

int
signer_install(struct ledger *lg, uint32_t ca_id, const char *role, X509 *x)
{
	uint8_t	*der = NULL;
	int	 len, r;

	if ((len = i2d_X509(x, &der)) <= 0)
		return -1;
	r = ledger_ca_install(lg, ca_id, role, der, (size_t)len);
	OPENSSL_free(der);
	if (r == -1)
		log_warnx("ledger: %s", ledger_errmsg(lg));
	return r;
}

/* Generates the role's pair in the token unless it exists, and says so. */
int
signer_ensure_pair(const struct conf *cf, const char *role, int key_type)
{
	char	 label[KEY_LABEL_MAX];
	int	 created;

	if (keygen_pair(cf, cf->cf_ca_id, role, key_type, &created) == -1)
		return -1;
	token_label(cf->cf_ca_id, role, label, sizeof(label));
	printf("key %s: %s\n", label, created ?
	    "generated in the token (sensitive, not extractable)" :
	    "already exists");
	return 0;
}

static int
ensure_pairs(const struct conf *cf, int ca_type)
{
	static const char *const roles[3] = { KEY_ROLE_CA, KEY_ROLE_RA,
	    KEY_ROLE_OCSP };
	int	 types[3] = { ca_type, cf->cf_ra_key_type,
	    cf->cf_ocsp_key_type };
	int	 i, created;

	if (keygen_token(cf, &created) == -1)
		return -1;
	printf("token '%s': %s\n", cf->cf_token_label,
	    created ? "created" : "already exists");
	for (i = 0; i < 3; i++)
		if (signer_ensure_pair(cf, roles[i], types[i]) == -1)
			return -1;
	return 0;
}

/* Issues and installs the RA or OCSP certificate unless present. */
static int
ensure_role(const struct conf *cf, struct token *tk, struct ledger *lg,
    X509 *ca, EVP_PKEY *cakey, const char *role)
{
	EVP_PKEY	*pub;
	X509		*x;
	int		 r = -1;

	if ((x = signer_ledger_cert(lg, cf->cf_ca_id, role)) != NULL) {
		printf("%s certificate: already installed\n", role);
		X509_free(x);
		return 0;
	}
	if ((pub = token_pubkey(tk, cf->cf_ca_id, role)) == NULL)
		return -1;
	x = strcmp(role, ROLE_RA) == 0 ? cacert_ra(cf, pub, ca, cakey) :
	    cacert_ocsp(cf, pub, ca, cakey);
	if (x != NULL && signer_install(lg, cf->cf_ca_id, role, x) == 0) {
		printf("%s certificate: issued by the CA\n", role);
		r = 0;
	}
	X509_free(x);
	EVP_PKEY_free(pub);
	return r;
}

/* STATE/ca-ID.csr: keywardctl creates it for us, we fill it. */
static void
csr_path(const struct conf *cf, char *out, size_t len)
{
	snprintf(out, len, "%s/ca-%u.csr", cf->cf_state_dir, cf->cf_ca_id);
}

/* 1 if a sub-CA request is waiting for its signed certificate. */
static int
csr_pending(const struct conf *cf)
{
	struct stat	 st;
	char		 path[1024];

	csr_path(cf, path, sizeof(path));
	return stat(path, &st) == 0 && st.st_size > 0;
}

/* Writes the sub-CA request to the file keywardctl prepared. */
static int
write_csr(const struct conf *cf, struct token *tk)
{
	char		 path[1024];
	EVP_PKEY	*pub = NULL;
	X509_REQ	*req = NULL;
	FILE		*f = NULL;
	int		 r = -1;

	csr_path(cf, path, sizeof(path));
	if ((pub = token_pubkey(tk, cf->cf_ca_id, KEY_ROLE_CA)) == NULL ||
	    (req = cacert_csr(cf, pub, token_key(tk, cf->cf_ca_id,
	    KEY_ROLE_CA))) == NULL)
		goto out;
	if ((f = fopen(path, "r+")) == NULL) {
		log_warn("open %s", path);
		goto out;
	}
	if (PEM_write_X509_REQ(f, req) != 1 || fclose(f) != 0) {
		log_warnx("write %s", path);
		goto out;
	}
	printf("CA certificate request: %s\nhave the root sign it, then run "
	    "keywardctl install-ca-cert FILE\n", path);
	r = 0;
 out:
	X509_REQ_free(req);
	EVP_PKEY_free(pub);
	return r;
}

/* Completes a CA whose certificate is in place: RA and OCSP certs. */
static int
ensure_issued(const struct conf *cf, struct token *tk, struct ledger *lg,
    X509 *ca)
{
	EVP_PKEY	*key = token_key(tk, cf->cf_ca_id, KEY_ROLE_CA);

	if (key == NULL)
		return -1;
	if (ensure_role(cf, tk, lg, ca, key, ROLE_RA) == -1 ||
	    ensure_role(cf, tk, lg, ca, key, ROLE_OCSP) == -1)
		return -1;
	return 0;
}

int
signer_init(const struct conf *cf, int key_type, int subordinate)
{
	struct token	*tk = NULL;
	struct ledger	*lg = NULL;
	EVP_PKEY	*pub = NULL;
	X509		*ca = NULL;
	int		 r = 1;

	if (ensure_pairs(cf, key_type < 0 ? cf->cf_ca_key_type : key_type)
	    == -1 || ledger_open(cf->cf_ledger, 0, &lg) == -1 ||
	    token_open(cf, &tk) == -1)
		goto out;
	if ((ca = signer_ledger_cert(lg, cf->cf_ca_id, ROLE_CA)) != NULL)
		printf("CA certificate: already installed\n");
	else if (subordinate) {
		r = write_csr(cf, tk) == 0 ? 0 : 1;
		goto out;
	} else if (csr_pending(cf)) {
		printf("CA certificate: waiting for the signed certificate; "
		    "run keywardctl install-ca-cert FILE\n");
		r = 0;
		goto out;
	} else {
		pub = token_pubkey(tk, cf->cf_ca_id, KEY_ROLE_CA);
		ca = pub == NULL ? NULL : cacert_selfsign(cf, pub,
		    token_key(tk, cf->cf_ca_id, KEY_ROLE_CA));
		if (ca == NULL || signer_install(lg, cf->cf_ca_id, ROLE_CA,
		    ca) == -1)
			goto out;
		printf("CA certificate: self-signed root created\n");
	}
	r = ensure_issued(cf, tk, lg, ca) == 0 ? 0 : 1;
	printf("ledger %s: ready\n", cf->cf_ledger);
 out:
	if (lg == NULL && r != 0)
		log_warnx("ledger %s could not be opened", cf->cf_ledger);
	EVP_PKEY_free(pub);
	X509_free(ca);
	ledger_close(lg);
	token_close(tk);
	return r;
}

/* Reads a PEM file of certificates: ours first, then its issuers. */
static STACK_OF(X509) *
read_chain(const char *path)
{
	STACK_OF(X509)	*sk;
	X509		*x;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return NULL;
	}
	sk = sk_X509_new_null();
	while (sk != NULL && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		sk_X509_push(sk, x);
	fclose(f);
	if (sk == NULL || sk_X509_num(sk) == 0) {
		log_warnx("%s: no PEM certificate found", path);
		sk_X509_pop_free(sk, X509_free);
		return NULL;
	}
	return sk;
}

/* The first certificate must be for our CA key, issued by the second. */
static int
check_chain(const struct conf *cf, struct token *tk, STACK_OF(X509) *sk)
{
	EVP_PKEY	*pub;
	X509		*ca = sk_X509_value(sk, 0), *root;
	char		 why[256];
	int		 r;

	if ((pub = token_pubkey(tk, cf->cf_ca_id, KEY_ROLE_CA)) == NULL)
		return -1;
	r = cacert_matches(ca, pub, why, sizeof(why));
	EVP_PKEY_free(pub);
	if (r == -1) {
		log_warnx("certificate not accepted: %s", why);
		return -1;
	}
	if (sk_X509_num(sk) > 1) {
		root = sk_X509_value(sk, 1);
		if (X509_verify(ca, X509_get0_pubkey(root)) != 1) {
			log_warnx("certificate not accepted: not signed by the "
			    "second certificate in the file");
			return -1;
		}
	}
	return 0;
}

int
signer_install_ca(const struct conf *cf, const char *path)
{
	STACK_OF(X509)	*sk = NULL;
	struct token	*tk = NULL;
	struct ledger	*lg = NULL;
	X509		*have = NULL;
	int		 r = 1;

	if ((sk = read_chain(path)) == NULL ||
	    ledger_open(cf->cf_ledger, 0, &lg) == -1 ||
	    token_open(cf, &tk) == -1 || check_chain(cf, tk, sk) == -1)
		goto out;
	if ((have = signer_ledger_cert(lg, cf->cf_ca_id, ROLE_CA)) != NULL) {
		if (X509_cmp(have, sk_X509_value(sk, 0)) != 0) {
			log_warnx("another CA certificate is already "
			    "installed for CA id %u", cf->cf_ca_id);
			goto out;
		}
		printf("CA certificate: already installed\n");
	} else if (signer_install(lg, cf->cf_ca_id, ROLE_CA,
	    sk_X509_value(sk, 0)) == -1 || (sk_X509_num(sk) > 1 &&
	    signer_install(lg, cf->cf_ca_id, ROLE_ROOT,
	    sk_X509_value(sk, 1)) == -1))
		goto out;
	else
		printf("CA certificate: installed\n");
	r = ensure_issued(cf, tk, lg, sk_X509_value(sk, 0)) == 0 ? 0 : 1;
 out:
	X509_free(have);
	sk_X509_pop_free(sk, X509_free);
	ledger_close(lg);
	token_close(tk);
	return r;
}

/*
 * SoftHSM answers C_GetSlotList with CKR_GENERAL_ERROR when two workers
 * read its token directory at the same moment, so workers open the token
 * one at a time, under a lock on the module file that all of them read.
 */
static int
token_open_serialized(const struct conf *cf, struct token **tk)
{
	int	 fd, r;

	if ((fd = open(cf->cf_module, O_RDONLY | O_CLOEXEC)) != -1)
		(void)flock(fd, LOCK_EX);
	r = token_open(cf, tk);
	if (fd != -1)
		close(fd);
	return r;
}

/* Opens token and ledger for serving and checks they belong together. */
int
signer_load_ca(struct signer *sg)
{
	const struct conf	*cf = sg->sg_conf;

	if (token_open_serialized(cf, &sg->sg_token) == -1)
		return -1;
	if (ledger_open(cf->cf_ledger, 0, &sg->sg_ledger) == -1) {
		log_warnx("ledger %s cannot be opened", cf->cf_ledger);
		return -1;
	}
	if ((sg->sg_ca_cert = signer_ledger_cert(sg->sg_ledger, cf->cf_ca_id,
	    ROLE_CA)) == NULL) {
		log_warnx("no CA certificate for CA id %u: run keywardctl "
		    "init", cf->cf_ca_id);
		return -1;
	}
	if ((sg->sg_ca_key = token_key(sg->sg_token, cf->cf_ca_id,
	    KEY_ROLE_CA)) == NULL ||
	    X509_check_private_key(sg->sg_ca_cert, sg->sg_ca_key) != 1) {
		log_warnx("CA key in the token does not match the CA "
		    "certificate in the ledger");
		return -1;
	}
	if (load_scep(sg) == -1 || responder_load(sg) == -1 ||
	    assertion_load(sg) == -1)
		return -1;
	return 0;
}

/*
 * The RA certificate and key (SCEP envelopes and replies, design.md rule
 * 5) and the root above a sub-CA.  Without an RA certificate the worker
 * still serves everything but SCEP; an RA key that does not match it is
 * the same fault as a mismatched CA key.
 */
static int
load_scep(struct signer *sg)
{
	const struct conf	*cf = sg->sg_conf;

	sg->sg_root_cert = signer_ledger_cert(sg->sg_ledger, cf->cf_ca_id,
	    ROLE_ROOT);
	if ((sg->sg_ra_cert = signer_ledger_cert(sg->sg_ledger, cf->cf_ca_id,
	    ROLE_RA)) == NULL) {
		log_warnx("no RA certificate for CA id %u: SCEP refused",
		    cf->cf_ca_id);
		return 0;
	}
	if ((sg->sg_ra_key = token_key(sg->sg_token, cf->cf_ca_id,
	    KEY_ROLE_RA)) == NULL ||
	    X509_check_private_key(sg->sg_ra_cert, sg->sg_ra_key) != 1) {
		log_warnx("RA key in the token does not match the RA "
		    "certificate in the ledger");
		return -1;
	}
	return 0;
}
