/*
 * ocsp_parse.c: an OCSPRequest from a client into the typed fields the
 * signer accepts (spec/scep-ocsp.md B.1, B.4, B.7, B.8).  OpenSSL parses
 * the DER; this file only checks what it found.  The request's own
 * signature, if any, is ignored (we answer anyone).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "ocsp.h"

static int	parse_fail(struct ocsp_request *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	parse_id(OCSP_CERTID *, struct ocsp_certid *,
		    struct ocsp_request *);
static int	parse_nonce(OCSP_REQUEST *, struct ocsp_request *);
static int	hash_copy(const ASN1_OCTET_STRING *, uint8_t *, size_t *);

static int
parse_fail(struct ocsp_request *oq, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(oq->oq_why, sizeof(oq->oq_why), fmt, ap);
	va_end(ap);
	return -1;
}

static int
hash_copy(const ASN1_OCTET_STRING *os, uint8_t *out, size_t *len)
{
	int	 n = ASN1_STRING_length(os);

	if (n <= 0 || n > OCSP_HASH_MAX)
		return -1;
	memcpy(out, ASN1_STRING_get0_data(os), (size_t)n);
	*len = (size_t)n;
	return 0;
}

/* One CertID: SHA-1 or SHA-256, hashes of sane size, a usable serial. */
static int
parse_id(OCSP_CERTID *cid, struct ocsp_certid *oc, struct ocsp_request *oq)
{
	ASN1_OCTET_STRING	*nh = NULL, *kh = NULL;
	ASN1_OBJECT		*md = NULL;
	ASN1_INTEGER		*serial = NULL;

	if (OCSP_id_get0_info(&nh, &md, &kh, &serial, cid) != 1)
		return parse_fail(oq, "CertID unreadable");
	oc->oc_md = OBJ_obj2nid(md);
	if (ocsp_digest(oc->oc_md) == NULL)
		return parse_fail(oq, "CertID digest %s not served",
		    OBJ_nid2sn(oc->oc_md));
	if (hash_copy(nh, oc->oc_name, &oc->oc_namelen) == -1 ||
	    hash_copy(kh, oc->oc_key, &oc->oc_keylen) == -1)
		return parse_fail(oq, "CertID hash of a bad length");
	/* RFC 5280: positive, at most 20 octets; no certificate has else. */
	if (serial_of_asn1(serial, oc->oc_serial) == -1)
		return parse_fail(oq, "CertID serial negative or too long");
	return 0;
}

/*
 * The nonce extnValue, kept whole for a verbatim echo.  Its length is the
 * inner OCTET STRING's when it is one, else the raw bytes' (RFC 9654 and
 * clients that leave the inner OCTET STRING out).
 */
static int
parse_nonce(OCSP_REQUEST *req, struct ocsp_request *oq)
{
	X509_EXTENSION		*ext;
	ASN1_OCTET_STRING	*val, *inner = NULL;
	const uint8_t		*p;
	int			 i, len, n;

	if ((i = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce,
	    -1)) < 0)
		return 0;
	if (OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, i) >= 0)
		return parse_fail(oq, "two nonces");
	ext = OCSP_REQUEST_get_ext(req, i);
	val = X509_EXTENSION_get_data(ext);
	len = ASN1_STRING_length(val);
	p = ASN1_STRING_get0_data(val);
	n = len;
	if ((inner = d2i_ASN1_OCTET_STRING(NULL, &p, len)) != NULL &&
	    p == ASN1_STRING_get0_data(val) + len)
		n = ASN1_STRING_length(inner);
	ASN1_OCTET_STRING_free(inner);
	ERR_clear_error();
	if (n < 1 || n > OCSP_NONCE_MAX || len > OCSP_NONCE_RAW_MAX)
		return parse_fail(oq, "nonce of %d bytes (1 to %d)", n,
		    OCSP_NONCE_MAX);
	memcpy(oq->oq_nonce, ASN1_STRING_get0_data(val), (size_t)len);
	oq->oq_noncelen = (size_t)len;
	return 0;
}

int
ocsp_parse(const uint8_t *der, size_t len, struct ocsp_request *oq)
{
	OCSP_REQUEST	*req = NULL;
	const uint8_t	*p = der;
	int		 i, n, r = -1;

	memset(oq, 0, sizeof(*oq));
	if (len == 0 || len > IPC_BODY_MAX ||
	    (req = d2i_OCSP_REQUEST(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		parse_fail(oq, "not one DER OCSPRequest");
		goto out;
	}
	if ((n = OCSP_request_onereq_count(req)) < 1 || n > OCSP_IDS_MAX) {
		parse_fail(oq, "%d CertIDs (1 to %d)", n, OCSP_IDS_MAX);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (parse_id(OCSP_onereq_get0_id(OCSP_request_onereq_get0(req,
		    i)), &oq->oq_ids[i], oq) == -1)
			goto out;
	oq->oq_n = (size_t)n;
	r = parse_nonce(req, oq);
 out:
	OCSP_REQUEST_free(req);
	ERR_clear_error();
	return r;
}

int
ocsp_status_der(int status, uint8_t **der, size_t *len)
{
	OCSP_RESPONSE	*resp;
	int		 n = -1;

	*der = NULL;
	if ((resp = OCSP_response_create(status, NULL)) != NULL)
		n = i2d_OCSP_RESPONSE(resp, der);
	OCSP_RESPONSE_free(resp);
	if (n <= 0) {
		*der = NULL;
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

/* Our CA's hashes for both digests, as a client computes them. */
int
ocsp_issuer_init(struct ocsp_issuer *oi, X509 *ca)
{
	static const int	 mds[2] = { NID_sha1, NID_sha256 };
	struct ocsp_certid	*oc;
	int			 i;

	memset(oi, 0, sizeof(*oi));
	for (i = 0; i < 2; i++) {
		oc = &oi->oi_ids[i];
		oc->oc_md = mds[i];
		if (ocsp_issuer_hashes(ca, mds[i], oc->oc_name,
		    &oc->oc_namelen, oc->oc_key, &oc->oc_keylen) == -1)
			return -1;
	}
	oi->oi_ready = 1;
	return 0;
}

int
ocsp_issuer_match(const struct ocsp_issuer *oi, const struct ocsp_request *oq)
{
	const struct ocsp_certid	*a, *b;
	size_t				 i;

	if (!oi->oi_ready)
		return 0;
	for (i = 0; i < oq->oq_n; i++) {
		a = &oq->oq_ids[i];
		b = &oi->oi_ids[a->oc_md == NID_sha1 ? 0 : 1];
		if (a->oc_namelen != b->oc_namelen ||
		    a->oc_keylen != b->oc_keylen ||
		    memcmp(a->oc_name, b->oc_name, a->oc_namelen) != 0 ||
		    memcmp(a->oc_key, b->oc_key, a->oc_keylen) != 0)
			return 0;
	}
	return 1;
}
