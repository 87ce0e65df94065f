/*
 * keyless.c: certificates parsed without decoding their public key.
 * OpenSSL 3.0's decoder framework takes ~0.17 ms a key, nine tenths of
 * d2i_X509, and most certificates we parse never need theirs.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "keyless.h"

/* Our processes are single-threaded: made once, kept to the end. */
static OSSL_LIB_CTX	*keyless_ctx;

/*
 * Made on first use, even in a sandbox: the null provider is built in.
 * It is loaded explicitly, as a context with no provider would fall back
 * to loading the default one, and with it the decoders.
 */
static int
keyless_init(void)
{
	OSSL_LIB_CTX	*ctx;

	if (keyless_ctx != NULL)
		return 0;
	if ((ctx = OSSL_LIB_CTX_new()) == NULL)
		return -1;
	if (OSSL_PROVIDER_load(ctx, "null") == NULL) {
		OSSL_LIB_CTX_free(ctx);
		return -1;
	}
	keyless_ctx = ctx;
	return 0;
}

X509 *
keyless_parse(const uint8_t *der, size_t len)
{
	X509		*x;
	const uint8_t	*p = der;

	if (keyless_init() == -1 || (x = X509_new_ex(keyless_ctx,
	    NULL)) == NULL)
		return NULL;
	/* The key fails to decode in this context: that is not an error. */
	if (d2i_X509(&x, &p, (long)len) == NULL || p != der + len) {
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();
	return x;
}

/*
 * d2i_PublicKey builds the key without the decoder framework; its
 * result works in the default library context, as CMS_encrypt uses it.
 */
int
keyless_rsa_key(X509 *x)
{
	X509_PUBKEY	*xpk;
	X509_ALGOR	*alg;
	ASN1_OBJECT	*obj;
	EVP_PKEY	*pk = NULL;
	const uint8_t	*p;
	int		 len, r = -1;

	if ((xpk = X509_get_X509_PUBKEY(x)) == NULL ||
	    !X509_PUBKEY_get0_param(&obj, &p, &len, &alg, xpk) ||
	    OBJ_obj2nid(obj) != NID_rsaEncryption)
		goto out;
	if ((pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len)) != NULL &&
	    X509_set_pubkey(x, pk) == 1)
		r = 0;
 out:
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return r;
}
