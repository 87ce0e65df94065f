/*
 * intune_jwt.c: the client assertion that proves the validator to Entra ID
 * when [intune] auth = certificate: a JWT for the token endpoint, signed
 * with the key in [intune] key_file (a file only the validator's user may
 * read), naming the certificate uploaded to the app registration by its
 * thumbprint.  PS256 with x5t#S256 by default, RS256 with x5t on request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "intune.h"
#include "jwt.h"

#define LIFETIME_S	300	/* Entra ID accepts up to 10 minutes */
#define SIG_MAX		1024	/* RSA up to 8192 bits */

struct ijwt {
	EVP_PKEY	*jw_key;
	char		*jw_thumb;	/* base64url of the certificate hash */
	int		 jw_alg;	/* enum intune_alg */
	const char	*jw_client_id;
};

/* Reads one PEM object from path with the given reader. */
static void *
pem_load(const char *path, void *(*rd)(FILE *, void **, pem_password_cb *,
    void *))
{
	FILE	*fp;
	void	*obj;

	if ((fp = fopen(path, "re")) == NULL) {
		log_warn("%s", path);
		return NULL;
	}
	obj = rd(fp, NULL, NULL, NULL);
	fclose(fp);
	if (obj == NULL)
		log_warnx("%s: no PEM object of the expected kind", path);
	return obj;
}

static void *
rd_x509(FILE *fp, void **x, pem_password_cb *cb, void *u)
{
	return PEM_read_X509(fp, (X509 **)x, cb, u);
}

static void *
rd_key(FILE *fp, void **x, pem_password_cb *cb, void *u)
{
	return PEM_read_PrivateKey(fp, (EVP_PKEY **)x, cb, u);
}

struct ijwt *
ijwt_load(const struct conf *cf)
{
	struct ijwt	*jw;
	X509		*cert = NULL;

	if ((jw = calloc(1, sizeof(*jw))) == NULL) {
		log_warn("calloc");
		return NULL;
	}
	jw->jw_alg = cf->cf_intune_alg;
	jw->jw_client_id = cf->cf_intune_client_id;
	if ((cert = pem_load(cf->cf_intune_cert_file, rd_x509)) == NULL ||
	    intune_private_file(cf->cf_intune_key_file) == -1 ||
	    (jw->jw_key = pem_load(cf->cf_intune_key_file, rd_key)) == NULL)
		goto fail;
	if (EVP_PKEY_get_base_id(jw->jw_key) != EVP_PKEY_RSA ||
	    EVP_PKEY_get_size(jw->jw_key) > SIG_MAX) {
		log_warnx("%s: PS256 and RS256 need an RSA key of at most "
		    "8192 bits", cf->cf_intune_key_file);
		goto fail;
	}
	if (X509_check_private_key(cert, jw->jw_key) != 1) {
		log_warnx("%s: not the key of %s", cf->cf_intune_key_file,
		    cf->cf_intune_cert_file);
		goto fail;
	}
	if ((jw->jw_thumb = jwt_thumbprint(cert,
	    cf->cf_intune_alg == INTUNE_ALG_PS256)) == NULL)
		goto fail;
	X509_free(cert);
	return jw;
 fail:
	X509_free(cert);
	ijwt_free(jw);
	return NULL;
}

void
ijwt_free(struct ijwt *jw)
{
	if (jw == NULL)
		return;
	EVP_PKEY_free(jw->jw_key);
	free(jw->jw_thumb);
	free(jw);
}

/* intune_assert_fn: the assertion for the token URL aud. */
char *
ijwt_assert(void *arg, const char *aud)
{
	const struct ijwt	*jw = arg;
	struct jwt_claims	 jc = { jw->jw_client_id, aud, LIFETIME_S,
	    time(NULL) };

	return jwt_assertion(&jc, jw->jw_alg == INTUNE_ALG_PS256,
	    jw->jw_thumb, jw->jw_key);
}
