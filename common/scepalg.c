/*
 * scepalg.c: what keyward accepts in SCEP messages (design.md "What is
 * accepted"), in one place for the frontend that parses and the signer
 * that answers.
 */
#include <string.h>

#include <openssl/obj_mac.h>
#include <openssl/provider.h>

#include "common.h"

/* SHA-1 and SHA-2 digests; MD5 only behind the legacy switch.  0 stands
 * for "not given" (SHA-1 for OAEP, SHA-256 for a reply). */
int
scep_digest_ok(int nid, int legacy)
{
	switch (nid) {
	case 0:
	case NID_sha1:
	case NID_sha224:
	case NID_sha256:
	case NID_sha384:
	case NID_sha512:
		return 1;
	case NID_md5:
		return legacy != 0;
	default:
		return 0;
	}
}

/* AES-CBC and 3DES; single DES only behind the legacy switch (RFC 8894
 * 2.9 forbids it). */
int
scep_cipher_ok(int nid, int legacy)
{
	switch (nid) {
	case NID_aes_128_cbc:
	case NID_aes_192_cbc:
	case NID_aes_256_cbc:
	case NID_des_ede3_cbc:
		return 1;
	case NID_des_cbc:
		return legacy != 0;
	default:
		return 0;
	}
}

/* 1 if s[0..len) is non-empty PrintableString text (X.680 41.4), which a
 * transactionID must be for the reply to echo it. */
int
scep_printable(const uint8_t *s, size_t len)
{
	static const char	 extra[] = " '()+,-./:=?";
	size_t			 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] != '\0' && strchr(extra, s[i]) != NULL)))
			return 0;
	return 1;
}

/*
 * Makes DES-CBC available (OpenSSL 3.0 keeps it in the legacy provider,
 * a module loaded from disk): call at start-up, before the chroot and the
 * seccomp filter, when a CA has the legacy switch on.  Returns 0 or -1.
 */
int
scep_legacy_load(void)
{
	/* Held for the life of the process; dropping them would leak them. */
	static OSSL_PROVIDER	*deflt, *legacy;

	/*
	 * Default first and explicitly: loading a provider ends the implicit
	 * default, and the legacy provider's own context (its DRBG) needs it.
	 */
	if (deflt == NULL)
		deflt = OSSL_PROVIDER_load(NULL, "default");
	if (deflt != NULL && legacy == NULL)
		legacy = OSSL_PROVIDER_load(NULL, "legacy");
	return legacy == NULL ? -1 : 0;
}
