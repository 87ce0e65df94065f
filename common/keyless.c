/*
 * keyless.c: certificates and requests parsed without decoding their
 * public key.  OpenSSL 3.0's decoder framework takes ~0.17 ms a key, nine
 * tenths of d2i_X509, and most certificates we parse never need theirs;
 * RSA keys that are needed are built without it.
 */
#include <openssl/asn1t.h>
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
 * The RSA key in xpk, or NULL.  d2i_PublicKey builds it without the
 * decoder framework; the key works in the default library context.
 */
static EVP_PKEY *
rsa_key(X509_PUBKEY *xpk)
{
	ASN1_OBJECT	*obj;
	const uint8_t	*p;
	int		 len;

	if (xpk == NULL || !X509_PUBKEY_get0_param(&obj, &p, &len, NULL,
	    xpk) || OBJ_obj2nid(obj) != NID_rsaEncryption)
		return NULL;
	return d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
}

int
keyless_rsa_key(X509 *x)
{
	EVP_PKEY	*pk;
	int		 r = -1;

	if ((pk = rsa_key(X509_get_X509_PUBKEY(x))) != NULL &&
	    X509_set_pubkey(x, pk) == 1)
		r = 0;
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return r;
}

X509_REQ *
keyless_parse_req(const uint8_t *der, size_t len)
{
	X509_REQ	*req;
	const uint8_t	*p = der;

	if (keyless_init() == -1)
		return NULL;
	/* Unlike d2i_X509, d2i_X509_REQ ignores the object's context. */
	req = (X509_REQ *)ASN1_item_d2i_ex(NULL, &p, (long)len,
	    ASN1_ITEM_rptr(X509_REQ), keyless_ctx, NULL);
	if (req != NULL && p != der + len) {
		X509_REQ_free(req);
		req = NULL;
	}
	ERR_clear_error();
	return req;
}

/* Keys other than RSA are rare here: they take the decoder framework. */
EVP_PKEY *
keyless_req_key(X509_REQ *req)
{
	X509_PUBKEY	*xpk = X509_REQ_get_X509_PUBKEY(req);
	EVP_PKEY	*pk;
	uint8_t		*der = NULL;
	const uint8_t	*p;
	int		 len;

	if ((pk = rsa_key(xpk)) == NULL && xpk != NULL &&
	    (len = i2d_X509_PUBKEY(xpk, &der)) > 0) {
		p = der;
		pk = d2i_PUBKEY(NULL, &p, len);
	}
	OPENSSL_free(der);
	ERR_clear_error();
	return pk;
}
