/*
 * unwrap.c: the SCEP content-encryption key, decrypted with the RA key for
 * the frontend, one message at a time (design.md rule 4).  Implicit
 * rejection: whatever goes wrong with the ciphertext, the answer is a key
 * of the asked length, random when the decryption failed, so the frontend
 * (and a client behind it) cannot tell a padding error from a wrong key.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "common.h"
#include "ipc.h"
#include "signer.h"

#define UNWRAP_PLAIN_MAX	1024	/* RSA-8192 output, more than enough */

static int	unwrap_ctx(EVP_PKEY_CTX *, int, int);
static int	unwrap_decrypt(EVP_PKEY *, int, int, const uint8_t *, size_t,
		    uint8_t *, size_t *);

/* Padding and, for OAEP, the digest (MGF1 uses the same one). */
static int
unwrap_ctx(EVP_PKEY_CTX *ctx, int padding, int md_nid)
{
	const EVP_MD	*md = NULL;

	if (padding == IPC_PAD_PKCS1)
		return EVP_PKEY_CTX_set_rsa_padding(ctx,
		    RSA_PKCS1_PADDING) > 0 ? 0 : -1;
	md = EVP_get_digestbynid(md_nid == 0 ? NID_sha1 : md_nid);
	if (md == NULL ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0)
		return -1;
	return 0;
}

/*
 * One RSA decryption into out (*outlen in: its size, out: the plaintext
 * length).  A libp11 key takes OpenSSL's legacy RSA path, which removes
 * the OAEP padding itself after a raw decryption in the token.
 */
static int
unwrap_decrypt(EVP_PKEY *key, int padding, int md_nid, const uint8_t *ek,
    size_t eklen, uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX	*ctx = NULL;
	size_t		 need = 0;
	int		 r = -1;

	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA ||
	    !scep_digest_ok(md_nid, 0) || eklen == 0)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new(key, NULL)) == NULL ||
	    EVP_PKEY_decrypt_init(ctx) <= 0 ||
	    unwrap_ctx(ctx, padding, md_nid) == -1)
		goto out;
	if (EVP_PKEY_decrypt(ctx, NULL, &need, ek, eklen) <= 0 ||
	    need > *outlen)
		goto out;
	if (EVP_PKEY_decrypt(ctx, out, outlen, ek, eklen) <= 0)
		goto out;
	r = 0;
 out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/*
 * Decrypts the encryptedKey ek into cek (keylen bytes).  0 with the key,
 * or with random bytes if anything about ek or the key is wrong (bad
 * padding, wrong length, a token that answers CKR_GENERAL_ERROR to a bad
 * padding); -1 only for a keylen or padding code no cipher has (a
 * malformed request); -2 if no random bytes could be had.
 */
int
unwrap_cek(EVP_PKEY *rakey, int padding, int oaep_md_nid, const uint8_t *ek,
    size_t eklen, uint8_t *cek, size_t keylen)
{
	uint8_t		 plain[UNWRAP_PLAIN_MAX], rnd[32], mask;
	size_t		 plainlen = sizeof(plain), i;
	int		 ok;

	if ((keylen != 8 && keylen != 16 && keylen != 24 && keylen != 32) ||
	    (padding != IPC_PAD_PKCS1 && padding != IPC_PAD_OAEP))
		return -1;
	/* Drawn before decrypting so both outcomes take the same steps. */
	if (RAND_bytes(rnd, (int)keylen) != 1)
		return -2;
	memset(plain, 0, sizeof(plain));
	ok = unwrap_decrypt(rakey, padding, oaep_md_nid, ek, eklen, plain,
	    &plainlen) == 0 && plainlen == keylen;
	ERR_clear_error();
	mask = (uint8_t)(0 - (uint8_t)ok);
	for (i = 0; i < keylen; i++)
		cek[i] = (uint8_t)((plain[i] & mask) | (rnd[i] & ~mask));
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}
