/*
 * crl.c: the CA's full CRL (RFC 5280 section 5), built from the revoked
 * rows of the ledger and signed with the CA key (design.md rule 5;
 * spec/scep-ocsp.md C).
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "signer.h"
#include "x509util.h"

static int	crl_entry_add(X509_CRL *, const struct crl_entry *, char *,
		    size_t);
static int	crl_exts(X509_CRL *, X509 *, uint64_t, char *, size_t);
static int	crl_times(X509_CRL *, time_t, time_t, char *, size_t);

/* One revokedCertificates entry; reasonCode left out for unspecified. */
static int
crl_entry_add(X509_CRL *crl, const struct crl_entry *ce, char *why,
    size_t whylen)
{
	X509_REVOKED	*rv = NULL;
	ASN1_INTEGER	*serial = NULL;
	ASN1_TIME	*t = NULL;
	ASN1_ENUMERATED	*reason = NULL;
	int		 r = -1;

	if ((serial = x509_serial_asn1(ce->ce_serial)) == NULL) {
		x509_why(why, whylen, "bad serial %s", ce->ce_serial);
		goto out;
	}
	if ((rv = X509_REVOKED_new()) == NULL ||
	    (t = ASN1_TIME_set(NULL, (time_t)ce->ce_time)) == NULL ||
	    X509_REVOKED_set_serialNumber(rv, serial) != 1 ||
	    X509_REVOKED_set_revocationDate(rv, t) != 1)
		goto ssl;
	if (ce->ce_reason > 0 && ((reason = ASN1_ENUMERATED_new()) == NULL ||
	    ASN1_ENUMERATED_set(reason, ce->ce_reason) != 1 ||
	    X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, reason, 0,
	    0) != 1))
		goto ssl;
	if (X509_CRL_add0_revoked(crl, rv) != 1)
		goto ssl;
	rv = NULL;
	r = 0;
	goto out;
 ssl:
	x509_why_ssl(why, whylen, "X509_REVOKED");
 out:
	ASN1_ENUMERATED_free(reason);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(serial);
	X509_REVOKED_free(rv);
	return r;
}

/* cRLNumber and authorityKeyIdentifier, both required (5.2.1, 5.2.3). */
static int
crl_exts(X509_CRL *crl, X509 *ca, uint64_t number, char *why, size_t whylen)
{
	X509_EXTENSION	*aki = NULL;
	ASN1_INTEGER	*num = NULL;
	X509V3_CTX	 ctx;
	int		 r = -1;

	X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
	if ((aki = x509_ext_new(&ctx, NID_authority_key_identifier,
	    "keyid:always", why, whylen)) == NULL)
		goto out;
	if ((num = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set_uint64(num, number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1 ||
	    X509_CRL_add_ext(crl, aki, -1) != 1) {
		x509_why_ssl(why, whylen, "CRL extensions");
		goto out;
	}
	r = 0;
 out:
	ASN1_INTEGER_free(num);
	X509_EXTENSION_free(aki);
	return r;
}

/* UTCTime through 2049, GeneralizedTime after (5.1.2.4): ASN1_TIME_set. */
static int
crl_times(X509_CRL *crl, time_t this_update, time_t next_update, char *why,
    size_t whylen)
{
	ASN1_TIME	*a = NULL, *b = NULL;
	int		 r = -1;

	if ((a = ASN1_TIME_set(NULL, this_update)) == NULL ||
	    (b = ASN1_TIME_set(NULL, next_update)) == NULL ||
	    X509_CRL_set1_lastUpdate(crl, a) != 1 ||
	    X509_CRL_set1_nextUpdate(crl, b) != 1)
		x509_why_ssl(why, whylen, "CRL times");
	else
		r = 0;
	ASN1_TIME_free(a);
	ASN1_TIME_free(b);
	return r;
}

int
crl_build(X509 *ca, EVP_PKEY *key, const struct crl_entry *ce, size_t n,
    uint64_t number, time_t this_update, time_t next_update, uint8_t **der,
    size_t *derlen, char *why, size_t whylen)
{
	X509_CRL	*crl = NULL;
	size_t		 i;
	int		 len, r = -1;

	*der = NULL;
	*derlen = 0;
	if (ca == NULL || key == NULL || number == 0 ||
	    next_update <= this_update) {
		x509_why(why, whylen, "no CA, CRL number 0 or bad times");
		goto out;
	}
	if ((crl = X509_CRL_new()) == NULL ||
	    X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) != 1) {
		x509_why_ssl(why, whylen, "X509_CRL_new");
		goto out;
	}
	if (crl_times(crl, this_update, next_update, why, whylen) == -1)
		goto out;
	for (i = 0; i < n; i++)
		if (crl_entry_add(crl, &ce[i], why, whylen) == -1)
			goto out;
	if (crl_exts(crl, ca, number, why, whylen) == -1)
		goto out;
	if (X509_CRL_sort(crl) != 1 ||
	    X509_CRL_sign(crl, key, EVP_sha256()) <= 0) {
		x509_why_ssl(why, whylen, "X509_CRL_sign");
		goto out;
	}
	if (X509_CRL_verify(crl, X509_get0_pubkey(ca)) != 1) {
		ERR_clear_error();
		x509_why(why, whylen, "the CRL does not verify with the CA "
		    "certificate (wrong key or token fault)");
		goto out;
	}
	if ((len = i2d_X509_CRL(crl, der)) <= 0) {
		*der = NULL;
		x509_why_ssl(why, whylen, "i2d_X509_CRL");
		goto out;
	}
	*derlen = (size_t)len;
	r = 0;
 out:
	X509_CRL_free(crl);
	return r;
}

/* A CRL's number and times (for the next number and the frontends). */
int
crl_info(const uint8_t *der, size_t len, uint64_t *number,
    time_t *this_update, time_t *next_update)
{
	const uint8_t	*p = der;
	X509_CRL	*crl = NULL;
	ASN1_INTEGER	*num = NULL;
	int		 r = -1;

	if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) != NULL &&
	    p == der + len &&
	    (num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL,
	    NULL)) != NULL && ASN1_INTEGER_get_uint64(number, num) == 1 &&
	    x509_time(X509_CRL_get0_lastUpdate(crl), this_update) == 0 &&
	    x509_time(X509_CRL_get0_nextUpdate(crl), next_update) == 0)
		r = 0;
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
	ERR_clear_error();
	return r;
}
