/*
 * policy.c: design.md rule 2.  Every CSR is checked here before anything
 * is signed, whoever asked; a refusal comes with one line for an operator.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "keyless.h"
#include "x509util.h"
#include "signer.h"

#define RSA_BITS_MIN	2048
#define RSA_BITS_MAX	8192	/* bounds the cost of verifying the CSR */

static int	rsa_ok(EVP_PKEY *, char *, size_t);
static int	ec_ok(EVP_PKEY *, char *, size_t);
static int	policy_basic(X509_REQ *, char *, size_t);
static int	policy_san(const struct conf_profile *, GENERAL_NAMES *,
		    char *, size_t);
static int	san_value_ok(const GENERAL_NAME *);
static int	policy_names(const struct conf_profile *, X509_REQ *,
		    GENERAL_NAMES *, char *, size_t);

/* Only RSA and the three NIST curves: what every relying party verifies. */
int
policy_key_ok(EVP_PKEY *pkey, char *why, size_t whylen)
{
	const char	*type;

	if (pkey == NULL) {
		x509_why(why, whylen, "no public key");
		return -1;
	}
	if (EVP_PKEY_is_a(pkey, "RSA"))
		return rsa_ok(pkey, why, whylen);
	if (EVP_PKEY_is_a(pkey, "EC"))
		return ec_ok(pkey, why, whylen);
	type = EVP_PKEY_get0_type_name(pkey);
	x509_why(why, whylen, "key type %s is not accepted (RSA of %d bits "
	    "or more, or EC P-256, P-384, P-521)",
	    type == NULL ? "unknown" : type, RSA_BITS_MIN);
	return -1;
}

/* Size bounds, and an exponent that is odd and above 1. */
static int
rsa_ok(EVP_PKEY *pkey, char *why, size_t whylen)
{
	BIGNUM	*e = NULL;
	int	 bits = EVP_PKEY_get_bits(pkey), ret = -1;

	if (bits < RSA_BITS_MIN || bits > RSA_BITS_MAX) {
		x509_why(why, whylen, "RSA key of %d bits is not accepted "
		    "(%d to %d bits)", bits, RSA_BITS_MIN, RSA_BITS_MAX);
		goto out;
	}
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
	    !BN_is_odd(e) || BN_is_one(e)) {
		x509_why(why, whylen, "RSA public exponent is not odd and "
		    "greater than 1");
		goto out;
	}
	ret = 0;
 out:
	BN_free(e);
	ERR_clear_error();
	return ret;
}

/* Named NIST curves only: no explicit parameters, no other curves. */
static int
ec_ok(EVP_PKEY *pkey, char *why, size_t whylen)
{
	char	 group[64];
	int	 nid;

	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), NULL) != 1) {
		ERR_clear_error();
		x509_why(why, whylen, "EC key without a named curve is not "
		    "accepted");
		return -1;
	}
	if ((nid = OBJ_sn2nid(group)) == NID_undef)
		nid = EC_curve_nist2nid(group);
	if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 &&
	    nid != NID_secp521r1) {
		x509_why(why, whylen, "EC curve %s is not accepted (P-256, "
		    "P-384, P-521 only)", group);
		return -1;
	}
	return 0;
}

/*
 * The CSR may be issued under pr: acceptable key, proof of possession,
 * no CA request, only SAN types the profile allows, something to name.
 * Requested extensions are otherwise ignored (issue.c copies none).
 */
int
policy_check(const struct conf *cf, const struct conf_profile *pr,
    X509_REQ *req, char *why, size_t whylen)
{
	GENERAL_NAMES	*san = NULL;
	EVP_PKEY	*pub = NULL;
	int		 ret = -1;

	(void)cf;	/* policy is per profile for now */
	if (req == NULL || pr == NULL) {
		x509_why(why, whylen, "no CSR or no profile");
		goto out;
	}
	if ((pub = keyless_req_key(req)) == NULL) {
		x509_why(why, whylen, "CSR public key does not parse");
		goto out;
	}
	if (policy_key_ok(pub, why, whylen) == -1)
		goto out;
	if (X509_REQ_verify_ex(req, pub, NULL, NULL) != 1) {
		x509_why(why, whylen, "CSR signature does not verify");
		goto out;
	}
	if (policy_basic(req, why, whylen) == -1 ||
	    x509_req_ext(req, NID_subject_alt_name, (void **)&san, why,
	    whylen) == -1 || policy_san(pr, san, why, whylen) == -1 ||
	    policy_names(pr, req, san, why, whylen) == -1)
		goto out;
	ret = 0;
 out:
	GENERAL_NAMES_free(san);
	EVP_PKEY_free(pub);
	ERR_clear_error();
	return ret;
}

/* keyward issues end-entity certificates only (design.md rule 2). */
static int
policy_basic(X509_REQ *req, char *why, size_t whylen)
{
	BASIC_CONSTRAINTS	*bc = NULL;
	int			 ret = -1;

	if (x509_req_ext(req, NID_basic_constraints, (void **)&bc, why,
	    whylen) == -1)
		goto out;
	if (bc != NULL && bc->ca) {
		x509_why(why, whylen, "CSR asks for a CA certificate "
		    "(CA:TRUE); keyward issues end-entity certificates only");
		goto out;
	}
	ret = 0;
 out:
	BASIC_CONSTRAINTS_free(bc);
	return ret;
}

/* Every SAN entry must be of a type the profile allows, and sane. */
static int
policy_san(const struct conf_profile *pr, GENERAL_NAMES *san, char *why,
    size_t whylen)
{
	const GENERAL_NAME	*gen;
	char			 label[96];
	unsigned		 type;
	int			 i;

	if (sk_GENERAL_NAME_num(san) > X509_SAN_MAX) {
		x509_why(why, whylen, "CSR has more than %d SAN entries",
		    X509_SAN_MAX);
		return -1;
	}
	for (i = 0; i < sk_GENERAL_NAME_num(san); i++) {
		gen = sk_GENERAL_NAME_value(san, i);
		type = x509_san_type(gen, label, sizeof(label));
		if ((type & pr->pr_san_types) == 0) {
			x509_why(why, whylen, "profile %s does not allow SAN "
			    "type %s", pr->pr_name, label);
			return -1;
		}
		if (!san_value_ok(gen)) {
			x509_why(why, whylen, "CSR SAN %s is empty, too long "
			    "or has control characters", label);
			return -1;
		}
	}
	return 0;
}

/* Non-empty, bounded text without control characters; 4 or 16 byte IPs. */
static int
san_value_ok(const GENERAL_NAME *gen)
{
	const ASN1_STRING	*s;
	int			 i;

	if (gen->type == GEN_IPADD)
		return gen->d.ip->length == 4 || gen->d.ip->length == 16;
	s = gen->type == GEN_OTHERNAME ?
	    gen->d.otherName->value->value.utf8string : gen->d.ia5;
	if (s->length <= 0 || s->length > 1024)
		return 0;
	for (i = 0; i < s->length; i++)
		if (s->data[i] < 0x20 || s->data[i] == 0x7f)
			return 0;
	return 1;
}

/* The certificate must name something: a subject (or CN) or a SAN. */
static int
policy_names(const struct conf_profile *pr, X509_REQ *req,
    GENERAL_NAMES *san, char *why, size_t whylen)
{
	const X509_NAME	*subject = X509_REQ_get_subject_name(req);

	if (sk_GENERAL_NAME_num(san) > 0)
		return 0;
	if (pr->pr_subject_from_csr && X509_NAME_entry_count(subject) == 0) {
		x509_why(why, whylen, "CSR has an empty subject and no "
		    "subjectAltName");
		return -1;
	}
	if (!pr->pr_subject_from_csr &&
	    X509_NAME_get_index_by_NID(subject, NID_commonName, -1) < 0) {
		x509_why(why, whylen, "CSR has no CN and no subjectAltName "
		    "(profile %s takes only the CN)", pr->pr_name);
		return -1;
	}
	return 0;
}
