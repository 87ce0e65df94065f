/*
 * requests.c: the benchmark's PKIOperations, all built before the clock
 * starts so that the client spends nothing on crypto during the run.  Each
 * request has its own RSA-2048 key (its transactionID is the key's hash,
 * and keyward refuses a known transactionID with another CSR), its own
 * CSR with the static challenge, and an AES-128-CBC envelope to the RA.
 * Keys may come from a PEM file (-k) that earlier runs filled, since key
 * generation takes most of a minute and each run has a fresh ledger.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "bench.h"

static int	request_csr(EVP_PKEY *, int, const char *, uint8_t **, int *);
static int	request_envelope(X509 *, const uint8_t *, int, uint8_t **,
		    size_t *);
static int	request_one(struct bench_req *, int, EVP_PKEY *, X509 *,
		    const char *);
static EVP_PKEY	*request_key(FILE *);

/* The DER CSR for key: CN=scep-bench-i, challengePassword. */
static int
request_csr(EVP_PKEY *key, int i, const char *challenge, uint8_t **der,
    int *len)
{
	X509_REQ	*req = NULL;
	X509_NAME	*name = NULL;
	char		 cn[64];
	int		 ok;

	snprintf(cn, sizeof(cn), "scep-bench-%d", i);
	*der = NULL;
	ok = (req = X509_REQ_new()) != NULL &&
	    (name = X509_NAME_new()) != NULL &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) &&
	    X509_REQ_set_subject_name(req, name) &&
	    X509_REQ_set_pubkey(req, key) &&
	    X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword,
	    MBSTRING_UTF8, (const unsigned char *)challenge, -1) &&
	    X509_REQ_sign(req, key, EVP_sha256()) > 0 &&
	    (*len = i2d_X509_REQ(req, der)) > 0;
	X509_NAME_free(name);
	X509_REQ_free(req);
	return ok ? 0 : -1;
}

static int
request_envelope(X509 *ra, const uint8_t *csr, int csrlen, uint8_t **der,
    size_t *len)
{
	STACK_OF(X509)	*recips = NULL;
	CMS_ContentInfo	*env = NULL;
	BIO		*in = NULL;
	int		 n = -1;

	*der = NULL;
	if ((recips = sk_X509_new_null()) != NULL &&
	    sk_X509_push(recips, ra) &&
	    (in = BIO_new_mem_buf(csr, csrlen)) != NULL &&
	    (env = CMS_encrypt(recips, in, EVP_aes_128_cbc(),
	    CMS_BINARY)) != NULL)
		n = i2d_CMS_ContentInfo(env, der);
	CMS_ContentInfo_free(env);
	BIO_free(in);
	sk_X509_free(recips);
	if (n <= 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

static int
request_one(struct bench_req *r, int i, EVP_PKEY *key, X509 *ra,
    const char *challenge)
{
	uint8_t		*csr = NULL, *env = NULL;
	size_t		 envlen = 0;
	int		 csrlen = 0, rv = -1;

	if (scepmsg_init(&r->br_msg, key) == 0 &&
	    request_csr(key, i, challenge, &csr, &csrlen) == 0 &&
	    request_envelope(ra, csr, csrlen, &env, &envlen) == 0 &&
	    scepmsg_sign(&r->br_msg, "19", EVP_sha256(), 0, env, envlen,
	    &r->br_der, &r->br_len) == 0)
		rv = 0;
	OPENSSL_free(env);
	OPENSSL_free(csr);
	return rv;
}

/* The next key of the cache, or a new one appended to it. */
static EVP_PKEY *
request_key(FILE *cache)
{
	EVP_PKEY	*key;

	if (cache != NULL &&
	    (key = PEM_read_PrivateKey(cache, NULL, NULL, NULL)) != NULL)
		return key;
	ERR_clear_error();
	if ((key = EVP_RSA_gen(2048)) != NULL && cache != NULL &&
	    (fseek(cache, 0, SEEK_END) == -1 ||
	    !PEM_write_PrivateKey(cache, key, NULL, NULL, 0, NULL, NULL))) {
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

int
requests_build(struct bench_req *reqs, int n, X509 *ra,
    const char *challenge, const char *keyfile)
{
	FILE		*cache = NULL;
	EVP_PKEY	*key;
	int		 i, rv = 0;

	if (keyfile != NULL && (cache = fopen(keyfile, "a+")) == NULL) {
		warn("%s", keyfile);
		return -1;
	}
	for (i = 0; i < n && rv == 0; i++) {
		key = request_key(cache);
		if (key == NULL ||
		    request_one(&reqs[i], i, key, ra, challenge) == -1) {
			warnx("request %d: %s", i,
			    ERR_reason_error_string(ERR_get_error()));
			rv = -1;
		}
		EVP_PKEY_free(key);
	}
	if (cache != NULL && fclose(cache) == EOF) {
		warn("%s", keyfile);
		rv = -1;
	}
	return rv;
}

void
requests_free(struct bench_req *reqs, int n)
{
	int	 i;

	for (i = 0; i < n; i++) {
		scepmsg_free(&reqs[i].br_msg);
		OPENSSL_free(reqs[i].br_der);
		free(reqs[i].br_reply);
	}
}
