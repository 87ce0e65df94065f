/*
 * assertion.c: Entra ID client assertions signed in the token ([intune]
 * auth = token).  keywardctl intune-key creates the key and the
 * certificate the administrator uploads to the app registration; the
 * validator then asks for each assertion with typed fields, and the
 * signer builds the whole JWT, so no one else shapes what the key signs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "jwt.h"
#include "ledger.h"
#include "serve.h"
#include "signer.h"

/* Writes x as PEM to the file keywardctl prepared for us. */
static int
write_cert(const char *path, X509 *x)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL) {
		log_warn("open %s", path);
		return -1;
	}
	if (PEM_write_X509(f, x) != 1 || fclose(f) != 0) {
		log_warnx("write %s", path);
		return -1;
	}
	return 0;
}

/* The certificate in the ledger, or a new self-signed one installed. */
static X509 *
intune_cert(const struct conf *cf, struct token *tk, struct ledger *lg,
    const char *subject)
{
	EVP_PKEY	*pub;
	X509		*x;

	if ((x = signer_ledger_cert(lg, cf->cf_ca_id, ROLE_INTUNE)) != NULL) {
		printf("Intune certificate: already exists\n");
		return x;
	}
	if ((pub = token_pubkey(tk, cf->cf_ca_id, KEY_ROLE_INTUNE)) == NULL)
		return NULL;
	x = cacert_intune(cf, subject, pub, token_key(tk, cf->cf_ca_id,
	    KEY_ROLE_INTUNE));
	EVP_PKEY_free(pub);
	if (x != NULL && signer_install(lg, cf->cf_ca_id, ROLE_INTUNE, x) ==
	    -1) {
		X509_free(x);
		return NULL;
	}
	if (x != NULL)
		printf("Intune certificate: self-signed, %s\n", subject);
	return x;
}

int
signer_intune_key(const struct conf *cf, const char *subject,
    const char *path)
{
	struct token	*tk = NULL;
	struct ledger	*lg = NULL;
	X509		*x = NULL;
	char		*thumb = NULL;
	int		 r = 1;

	if (signer_ensure_pair(cf, KEY_ROLE_INTUNE, KEY_RSA2048) == -1 ||
	    ledger_open(cf->cf_ledger, 0, &lg) == -1 ||
	    token_open(cf, &tk) == -1 ||
	    (x = intune_cert(cf, tk, lg, subject)) == NULL ||
	    write_cert(path, x) == -1 ||
	    (thumb = jwt_thumbprint(x, 1)) == NULL)
		goto out;
	printf("%s: upload it to the Entra ID app registration "
	    "(x5t#S256 %s)\n", path, thumb);
	r = 0;
 out:
	free(thumb);
	X509_free(x);
	ledger_close(lg);
	token_close(tk);
	return r;
}

/* The key and thumbprint for assertions; without a certificate, none. */
int
assertion_load(struct signer *sg)
{
	const struct conf	*cf = sg->sg_conf;
	X509			*x;
	int			 r = -1;

	if ((x = signer_ledger_cert(sg->sg_ledger, cf->cf_ca_id,
	    ROLE_INTUNE)) == NULL)
		return 0;
	if ((sg->sg_intune_key = token_key(sg->sg_token, cf->cf_ca_id,
	    KEY_ROLE_INTUNE)) == NULL ||
	    X509_check_private_key(x, sg->sg_intune_key) != 1)
		log_warnx("Intune key in the token does not match the Intune "
		    "certificate in the ledger");
	else if ((sg->sg_intune_thumb = jwt_thumbprint(x, 1)) != NULL)
		r = 0;
	X509_free(x);
	return r;
}

int
h_assertion(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer		*sg = arg;
	char			 client_id[JWT_CLIENT_ID_MAX + 1];
	char			 aud[JWT_AUD_MAX + 1], why[128], *jwt;
	uint32_t		 lifetime;
	struct jwt_claims	 jc = { client_id, aud, 0, time(NULL) };

	ipc_get_str(req, client_id, sizeof(client_id));
	ipc_get_str(req, aud, sizeof(aud));
	ipc_get_u32(req, &lifetime);
	if (ipc_get_end(req) == -1)
		return -1;
	jc.jc_lifetime = lifetime > JWT_LIFETIME_MAX ? 0 : (int)lifetime;
	if (jwt_check(&jc, why, sizeof(why)) == -1) {
		ipc_error(ans, req, IPC_ERR_POLICY, "assertion: %s", why);
		return 0;
	}
	if (sg->sg_intune_thumb == NULL) {
		ipc_error(ans, req, IPC_ERR_NOTFOUND, "no Intune assertion "
		    "key: run keywardctl intune-key");
		return 0;
	}
	if ((jwt = jwt_assertion(&jc, 1, sg->sg_intune_thumb,
	    sg->sg_intune_key)) == NULL) {
		ipc_error(ans, req, IPC_ERR_TOKEN, "the token did not sign "
		    "the assertion");
		return 0;
	}
	ipc_put_str(ans, jwt);
	free(jwt);
	return 0;
}
