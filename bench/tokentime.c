/*
 * tokentime.c: what the token costs per enrolment, measured the way the
 * signer uses it: keyward's configuration and token code (libp11), the
 * deployed CA and RA keys, and the signer's own unwrap_cek.  An enrolment
 * is one RA decryption (the content key), one CA signature (the
 * certificate) and one RA signature (the CertRep), so with W workers each
 * on its own core the token allows at most W / (sum of the three) per
 * second.
 */
#include <err.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "signer.h"
#include "bench.h"

#define TBS_LEN		1024	/* about a TBSCertificate */
#define CEK_LEN		16	/* AES-128 */

static int	time_unwrap(EVP_PKEY *, EVP_PKEY *, int, double *);
static int	time_sign(EVP_PKEY *, int, double *);

/* Seconds per unwrap_cek of a PKCS#1 v1.5 encryptedKey made for pub. */
static int
time_unwrap(EVP_PKEY *key, EVP_PKEY *pub, int iters, double *t)
{
	EVP_PKEY_CTX	*ctx = NULL;
	uint8_t		 cek[CEK_LEN], out[CEK_LEN], ek[1024];
	size_t		 eklen = sizeof(ek);
	double		 t0;
	int		 i, rv = -1;

	if (RAND_bytes(cek, sizeof(cek)) != 1 ||
	    (ctx = EVP_PKEY_CTX_new(pub, NULL)) == NULL ||
	    EVP_PKEY_encrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_encrypt(ctx, ek, &eklen, cek, sizeof(cek)) <= 0)
		goto out;
	t0 = bench_now();
	for (i = 0; i < iters; i++)
		if (unwrap_cek(key, IPC_PAD_PKCS1, 0, ek, eklen, out,
		    sizeof(out)) != 0)
			goto out;
	*t = (bench_now() - t0) / iters;
	/* Implicit rejection would hide a failure: check the last one. */
	rv = memcmp(out, cek, sizeof(cek)) == 0 ? 0 : -1;
 out:
	EVP_PKEY_CTX_free(ctx);
	return rv;
}

/* Seconds per SHA-256 signature over a certificate-sized message. */
static int
time_sign(EVP_PKEY *key, int iters, double *t)
{
	EVP_MD_CTX	*md = NULL;
	uint8_t		 tbs[TBS_LEN], sig[1024];
	size_t		 siglen;
	double		 t0;
	int		 i, rv = -1;

	memset(tbs, 0x5a, sizeof(tbs));
	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	t0 = bench_now();
	for (i = 0; i < iters; i++) {
		siglen = sizeof(sig);
		if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
		    key) != 1 || EVP_DigestSign(md, sig, &siglen, tbs,
		    sizeof(tbs)) != 1)
			goto out;
	}
	*t = (bench_now() - t0) / iters;
	rv = 0;
 out:
	EVP_MD_CTX_free(md);
	return rv;
}

int
tokentime_measure(const struct conf *cf, int iters, struct bench_token *bt)
{
	struct token	*tk = NULL;
	EVP_PKEY	*ca, *ra, *rapub = NULL;
	int		 rv = -1;

	memset(bt, 0, sizeof(*bt));
	bt->bt_workers = conf_signer_workers(cf);
	if (token_open(cf, &tk) == -1)
		return -1;
	if ((ca = token_key(tk, cf->cf_ca_id, KEY_ROLE_CA)) == NULL ||
	    (ra = token_key(tk, cf->cf_ca_id, KEY_ROLE_RA)) == NULL ||
	    (rapub = token_pubkey(tk, cf->cf_ca_id, KEY_ROLE_RA)) == NULL)
		goto out;
	if (time_unwrap(ra, rapub, iters, &bt->bt_unwrap) == -1)
		warnx("RA decryption through the token failed");
	else if (time_sign(ca, iters, &bt->bt_cert) == -1 ||
	    time_sign(ra, iters, &bt->bt_reply) == -1)
		warnx("signing through the token: %s",
		    ERR_reason_error_string(ERR_get_error()));
	else
		rv = 0;
 out:
	EVP_PKEY_free(rapub);
	token_close(tk);
	return rv;
}
