/*
 * ocspid.c: what the frontend and the signer both need of an OCSP CertID:
 * the digests keyward answers for, and the issuer hashes of our CA as a
 * client computes them (RFC 6960 4.1.1).
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "common.h"

/* SHA-1 (RFC 5019) and SHA-256 (RFC 9919); NULL for anything else. */
const EVP_MD *
ocsp_digest(int nid)
{
	if (nid == NID_sha1)
		return EVP_sha1();
	if (nid == NID_sha256)
		return EVP_sha256();
	return NULL;
}

/*
 * issuerNameHash and issuerKeyHash of ca under digest nid into name and
 * key (EVP_MAX_MD_SIZE bytes each); -1 for a digest we do not answer.
 */
int
ocsp_issuer_hashes(X509 *ca, int nid, uint8_t *name, size_t *nlen,
    uint8_t *key, size_t *klen)
{
	OCSP_CERTID		*id = NULL;
	ASN1_OCTET_STRING	*nh = NULL, *kh = NULL;
	int			 r = -1;

	if (ca == NULL || ocsp_digest(nid) == NULL ||
	    (id = OCSP_cert_to_id(ocsp_digest(nid), NULL, ca)) == NULL ||
	    OCSP_id_get0_info(&nh, NULL, &kh, NULL, id) != 1 ||
	    ASN1_STRING_length(nh) > EVP_MAX_MD_SIZE ||
	    ASN1_STRING_length(kh) > EVP_MAX_MD_SIZE)
		goto out;
	*nlen = (size_t)ASN1_STRING_length(nh);
	*klen = (size_t)ASN1_STRING_length(kh);
	memcpy(name, ASN1_STRING_get0_data(nh), *nlen);
	memcpy(key, ASN1_STRING_get0_data(kh), *klen);
	r = 0;
 out:
	OCSP_CERTID_free(id);
	ERR_clear_error();
	return r;
}
