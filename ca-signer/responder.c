/*
 * responder.c: the delegated OCSP responder certificate (RFC 6960
 * 4.2.2.2, design.md rule 5).  It is short-lived and carries
 * id-pkix-ocsp-nocheck, so worker 0 issues a new one for the same token
 * key [ca] ocsp_renew_days before it expires; every worker then picks the
 * newest one up from the ledger.
 */
#include <time.h>

#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "ledger.h"
#include "serve.h"
#include "signer.h"
#include "x509util.h"

#define RENEW_RETRY_S	3600

static int	responder_due(const struct signer *, time_t);
static int	responder_renew(struct signer *);
static void	responder_reload(struct signer *);

/* The responder certificate and key; without them OCSP is refused. */
int
responder_load(struct signer *sg)
{
	const struct conf	*cf = sg->sg_conf;

	if ((sg->sg_ocsp_cert = signer_ledger_cert(sg->sg_ledger,
	    cf->cf_ca_id, ROLE_OCSP)) == NULL) {
		log_warnx("no OCSP responder certificate for CA id %u: OCSP "
		    "refused", cf->cf_ca_id);
		return 0;
	}
	if ((sg->sg_ocsp_key = token_key(sg->sg_token, cf->cf_ca_id,
	    KEY_ROLE_OCSP)) == NULL ||
	    X509_check_private_key(sg->sg_ocsp_cert, sg->sg_ocsp_key) != 1) {
		log_warnx("OCSP key in the token does not match the OCSP "
		    "certificate in the ledger");
		return -1;
	}
	return 0;
}

/* 1 if the responder certificate expires within the renewal margin. */
static int
responder_due(const struct signer *sg, time_t now)
{
	time_t	 not_after;

	if (sg->sg_ocsp_cert == NULL ||
	    x509_time(X509_get0_notAfter(sg->sg_ocsp_cert), &not_after) == -1)
		return 0;
	return not_after - now < (time_t)sg->sg_conf->cf_ocsp_renew_days *
	    86400;
}

/* A new certificate for the same key, installed in the ledger. */
static int
responder_renew(struct signer *sg)
{
	const struct conf	*cf = sg->sg_conf;
	EVP_PKEY		*pub = NULL;
	X509			*x = NULL;
	int			 r = -1;

	if ((pub = token_pubkey(sg->sg_token, cf->cf_ca_id,
	    KEY_ROLE_OCSP)) == NULL ||
	    (x = cacert_ocsp(cf, pub, sg->sg_ca_cert, sg->sg_ca_key)) == NULL)
		goto out;
	if (signer_install(sg->sg_ledger, cf->cf_ca_id, ROLE_OCSP, x) == -1)
		goto out;
	log_info("OCSP responder certificate renewed");
	r = 0;
 out:
	X509_free(x);
	EVP_PKEY_free(pub);
	return r;
}

/* Takes the ledger's newest responder certificate if it is another. */
static void
responder_reload(struct signer *sg)
{
	X509	*x;

	if ((x = signer_ledger_cert(sg->sg_ledger, sg->sg_conf->cf_ca_id,
	    ROLE_OCSP)) == NULL)
		return;
	if (X509_cmp(x, sg->sg_ocsp_cert) == 0 ||
	    X509_check_private_key(x, sg->sg_ocsp_key) != 1) {
		X509_free(x);
		return;
	}
	X509_free(sg->sg_ocsp_cert);
	sg->sg_ocsp_cert = x;
}

/*
 * A worker whose certificate is due takes the ledger's newest; if that
 * is due too, worker 0 issues a new one, at most once an hour (a CA
 * about to expire caps every new one as well).
 */
void
responder_tick(struct signer *sg)
{
	time_t	 now = time(NULL);

	if (!responder_due(sg, now))
		return;
	responder_reload(sg);
	if (!responder_due(sg, now) || sg->sg_worker != 0 ||
	    (sg->sg_ocsp_renewed != 0 &&
	    now - sg->sg_ocsp_renewed < RENEW_RETRY_S))
		return;
	sg->sg_ocsp_renewed = now;
	if (responder_renew(sg) == 0)
		responder_reload(sg);
}
