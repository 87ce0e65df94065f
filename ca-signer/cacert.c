/*
 * cacert.c: the CA's own certificates: the self-signed root (or a request
 * for a subordinate CA), the RA and OCSP responder certificates it issues,
 * and the check that an installed CA certificate fits the token's key.
 */
#include <stdio.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "x509util.h"
#include "common.h"
#include "signer.h"

struct ext_spec {
	int		 es_nid;
	const char	*es_value;	/* openssl.cnf syntax */
};

/* role-specific extensions; SKI and AKI are added to every certificate */
static const struct ext_spec ca_exts[] = {
	{ NID_basic_constraints, "critical,CA:TRUE" },
	{ NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature" },
	{ NID_undef, NULL }
};

/* design.md A.11: what Windows, Intune and Apple clients require */
static const struct ext_spec ra_exts[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature,keyEncipherment" },
	{ NID_ext_key_usage, "serverAuth,1.3.6.1.4.1.311.20.2.1" },
	{ NID_undef, NULL }
};

/* RFC 6960 4.2.2.2: delegated responder, not itself checked for status */
static const struct ext_spec ocsp_exts[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature" },
	{ NID_ext_key_usage, "OCSPSigning" },
	{ NID_id_pkix_OCSP_noCheck, "NULL" },	/* value ignored: NULL */
	{ NID_undef, NULL }
};

/* Entra ID reads only the key and the thumbprint; a plain leaf. */
static const struct ext_spec intune_exts[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature" },
	{ NID_undef, NULL }
};

#define INTUNE_DAYS	730	/* the app registration shows when it ends */

struct cacert_req {
	const char		*cr_role;	/* for log lines */
	const char		*cr_subject;
	int			 cr_days;
	const struct ext_spec	*cr_exts;
	int			 cr_urls;	/* add CDP and AIA */
};

static X509	*cacert_build(const struct conf *, const struct cacert_req *,
		    EVP_PKEY *, X509 *, EVP_PKEY *);
static int	cacert_exts(const struct conf *, const struct cacert_req *,
		    X509 *, X509 *, char *, size_t);
static int	csr_add_exts(X509_REQ *, char *, size_t);

/*
 * Builds and signs a certificate for pub; self-signed with key when
 * ca_cert is NULL.  NULL (logged) on failure.
 */
static X509 *
cacert_build(const struct conf *cf, const struct cacert_req *cr,
    EVP_PKEY *pub, X509 *ca_cert, EVP_PKEY *key)
{
	X509_NAME	*subject = NULL;
	X509		*cert = NULL, *ret = NULL;
	uint8_t		 serial[SERIAL_LEN];
	char		 why[256];

	why[0] = '\0';
	if (cf == NULL || pub == NULL || key == NULL) {
		x509_why(why, sizeof(why), "no configuration or no key");
		goto out;
	}
	if (serial_generate(serial) == -1 ||
	    (subject = x509_name_parse(cr->cr_subject, why,
	    sizeof(why))) == NULL)
		goto out;
	if ((cert = x509_new_cert(serial, sizeof(serial), ca_cert == NULL ?
	    subject : X509_get_subject_name(ca_cert), subject, why,
	    sizeof(why))) == NULL)
		goto out;
	if (X509_set_pubkey(cert, pub) != 1) {
		x509_why_ssl(why, sizeof(why), "X509_set_pubkey");
		goto out;
	}
	if (x509_set_validity(cert, cf->cf_clock_skew_min, cr->cr_days,
	    ca_cert == NULL ? NULL : X509_get0_notAfter(ca_cert), why,
	    sizeof(why)) == -1 ||
	    cacert_exts(cf, cr, cert, ca_cert == NULL ? cert : ca_cert, why,
	    sizeof(why)) == -1 ||
	    x509_sign(cert, key, ca_cert == NULL ? pub :
	    X509_get0_pubkey(ca_cert), why, sizeof(why)) == -1)
		goto out;
	ret = cert;
	cert = NULL;
 out:
	if (ret == NULL)
		log_warnx("%s certificate: %s", cr->cr_role, why);
	X509_free(cert);
	X509_NAME_free(subject);
	ERR_clear_error();
	return ret;
}

/* The role's extensions, then SKI and AKI, then CDP and AIA if wanted. */
static int
cacert_exts(const struct conf *cf, const struct cacert_req *cr, X509 *cert,
    X509 *issuer, char *why, size_t whylen)
{
	const struct ext_spec	*es;
	X509V3_CTX		 ctx;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	for (es = cr->cr_exts; es->es_value != NULL; es++)
		if (x509_add_ext(cert, &ctx, es->es_nid, es->es_value, why,
		    whylen) == -1)
			return -1;
	if (x509_add_key_ids(cert, issuer, why, whylen) == -1)
		return -1;
	if (cr->cr_urls && x509_add_urls(cert, cf, why, whylen) == -1)
		return -1;
	return 0;
}

/* The root: CA:TRUE, keyCertSign+cRLSign+digitalSignature, own AKI. */
X509 *
cacert_selfsign(const struct conf *cf, EVP_PKEY *pub, EVP_PKEY *key)
{
	struct cacert_req	 cr = { "CA", NULL, 0, ca_exts, 0 };

	if (cf != NULL) {
		cr.cr_subject = cf->cf_ca_subject;
		cr.cr_days = cf->cf_ca_validity_days;
	}
	return cacert_build(cf, &cr, pub, NULL, key);
}

/* RA: decrypts SCEP envelopes and signs SCEP replies (design.md rule 5). */
X509 *
cacert_ra(const struct conf *cf, EVP_PKEY *pub, X509 *ca_cert,
    EVP_PKEY *ca_key)
{
	struct cacert_req	 cr = { "RA", NULL, 0, ra_exts, 1 };

	if (ca_cert == NULL) {
		log_warnx("RA certificate: no CA certificate");
		return NULL;
	}
	if (cf != NULL) {
		cr.cr_subject = cf->cf_ra_subject;
		cr.cr_days = cf->cf_ca_validity_days;
	}
	return cacert_build(cf, &cr, pub, ca_cert, ca_key);
}

/* OCSP responder: short-lived, so no revocation pointers of its own. */
X509 *
cacert_ocsp(const struct conf *cf, EVP_PKEY *pub, X509 *ca_cert,
    EVP_PKEY *ca_key)
{
	struct cacert_req	 cr = { "OCSP", NULL, 0, ocsp_exts, 0 };

	if (ca_cert == NULL) {
		log_warnx("OCSP certificate: no CA certificate");
		return NULL;
	}
	if (cf != NULL) {
		cr.cr_subject = cf->cf_ocsp_subject;
		cr.cr_days = cf->cf_ocsp_validity_days;
	}
	return cacert_build(cf, &cr, pub, ca_cert, ca_key);
}

X509 *
cacert_intune(const struct conf *cf, const char *subject, EVP_PKEY *pub,
    EVP_PKEY *key)
{
	struct cacert_req	 cr = { "Intune", subject, INTUNE_DAYS,
	    intune_exts, 0 };

	return cacert_build(cf, &cr, pub, NULL, key);
}

/* The CA extensions (ca_exts) as the request's extension request. */
static int
csr_add_exts(X509_REQ *req, char *why, size_t whylen)
{
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	X509_EXTENSION			*ext = NULL;
	const struct ext_spec		*es;
	X509V3_CTX			 ctx;
	int				 ret = -1;

	if ((exts = sk_X509_EXTENSION_new_null()) == NULL) {
		x509_why_ssl(why, whylen, "sk_X509_EXTENSION_new_null");
		goto out;
	}
	X509V3_set_ctx(&ctx, NULL, NULL, req, NULL, 0);
	for (es = ca_exts; es->es_value != NULL; es++) {
		if ((ext = x509_ext_new(&ctx, es->es_nid, es->es_value, why,
		    whylen)) == NULL)
			goto out;
		if (sk_X509_EXTENSION_push(exts, ext) == 0) {
			x509_why_ssl(why, whylen, "sk_X509_EXTENSION_push");
			goto out;
		}
		ext = NULL;
	}
	if (X509_REQ_add_extensions(req, exts) != 1) {
		x509_why_ssl(why, whylen, "X509_REQ_add_extensions");
		goto out;
	}
	ret = 0;
 out:
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ret;
}

/*
 * PKCS#10 for a subordinate CA: the CA subject and the CA extensions the
 * root is asked for, signed by the token key and checked against pub.
 */
X509_REQ *
cacert_csr(const struct conf *cf, EVP_PKEY *pub, EVP_PKEY *key)
{
	X509_NAME	*subject = NULL;
	X509_REQ	*req = NULL, *ret = NULL;
	char		 why[256];

	why[0] = '\0';
	if (cf == NULL || pub == NULL || key == NULL) {
		x509_why(why, sizeof(why), "no configuration or no key");
		goto out;
	}
	if ((subject = x509_name_parse(cf->cf_ca_subject, why,
	    sizeof(why))) == NULL)
		goto out;
	if ((req = X509_REQ_new()) == NULL ||
	    X509_REQ_set_subject_name(req, subject) != 1 ||
	    X509_REQ_set_pubkey(req, pub) != 1) {
		x509_why_ssl(why, sizeof(why), "X509_REQ_new");
		goto out;
	}
	if (csr_add_exts(req, why, sizeof(why)) == -1)
		goto out;
	if (X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
		x509_why_ssl(why, sizeof(why), "X509_REQ_sign");
		goto out;
	}
	if (X509_REQ_verify(req, pub) != 1) {
		x509_why(why, sizeof(why), "the request's signature does not "
		    "verify with the CA public key");
		goto out;
	}
	ret = req;
	req = NULL;
 out:
	if (ret == NULL)
		log_warnx("CA certificate request: %s", why);
	X509_NAME_free(subject);
	X509_REQ_free(req);
	ERR_clear_error();
	return ret;
}

/* An installed CA certificate must be for the token's key and a CA. */
int
cacert_matches(X509 *cert, EVP_PKEY *pub, char *why, size_t whylen)
{
	BASIC_CONSTRAINTS	*bc = NULL;
	EVP_PKEY		*cpub;
	int			 ret = -1;

	if (cert == NULL || pub == NULL) {
		x509_why(why, whylen, "no certificate or no key");
		goto out;
	}
	if ((cpub = X509_get0_pubkey(cert)) == NULL ||
	    EVP_PKEY_eq(cpub, pub) != 1) {
		x509_why(why, whylen, "the certificate's public key is not "
		    "the token's CA key");
		goto out;
	}
	bc = X509_get_ext_d2i(cert, NID_basic_constraints, NULL, NULL);
	if (bc == NULL || !bc->ca) {
		x509_why(why, whylen, "not a CA certificate (basicConstraints "
		    "CA:TRUE missing)");
		goto out;
	}
	if ((X509_get_extension_flags(cert) & EXFLAG_KUSAGE) == 0 ||
	    (X509_get_key_usage(cert) & X509v3_KU_KEY_CERT_SIGN) == 0) {
		x509_why(why, whylen, "keyUsage lacks keyCertSign");
		goto out;
	}
	ret = 0;
 out:
	BASIC_CONSTRAINTS_free(bc);
	ERR_clear_error();
	return ret;
}
