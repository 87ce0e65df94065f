/*
 * presign.c: OCSP responses from the ledger's statuses.  Live answers
 * (nonces, several CertIDs) are signed and returned; nonce-free answers
 * for one certificate are also stored for the frontends to pull.  Worker
 * 0 signs ahead of expiry within a budget of [ocsp] presign_rate
 * signatures a second: first what relying parties asked for while due,
 * then every other row past half its lifetime, then live certificates
 * without a SHA-1 response yet (the digest RFC 5019 clients use), and
 * only once no request came for a moment (serve.c).  A status change re-signs both
 * digests at once.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ocsp.h>

#include "common.h"
#include "config.h"
#include "ledger.h"
#include "serve.h"
#include "signer.h"
#include "x509util.h"

#define PRESIGN_BATCH	16	/* signatures under one ledger lock */
#define PRESIGN_BURST_S	2	/* budget saved up at most */
#define PRUNE_EVERY_S	600

/* Up to PRESIGN_BATCH nonce-free responses signed under one lock. */
struct presign_job {
	struct signer		*pj_sg;
	size_t			 pj_n;
	int			 pj_md[PRESIGN_BATCH];
	char			 pj_serial[PRESIGN_BATCH][SERIAL_HEX_MAX];
	uint8_t			*pj_der[PRESIGN_BATCH];
	struct ledger_ocsp	 pj_row[PRESIGN_BATCH];	/* lo_seq 0: not
							   stored */
};

static int	presign_status(struct signer *, struct ocsp_single *);
static int	presign_store(void *);
static int	presign_run(struct presign_job *);
static void	presign_free(struct presign_job *);
static int	presign_key(void *, const struct ledger_ocsp *);

/* Fills the status of os->os_serial: unknown unless our CA issued it. */
static int
presign_status(struct signer *sg, struct ocsp_single *os)
{
	struct ledger_cert	 lc;
	int			 r;

	os->os_status = V_OCSP_CERTSTATUS_UNKNOWN;
	os->os_reason = -1;
	if ((r = ledger_cert_get(sg->sg_ledger, os->os_serial, &lc)) != 0)
		return r == 1 ? 0 : -1;
	if (lc.lc_ca_id == sg->sg_conf->cf_ca_id) {
		os->os_status = V_OCSP_CERTSTATUS_GOOD;
		if (strcmp(lc.lc_status, ST_REVOKED) == 0 ||
		    strcmp(lc.lc_status, ST_HOLD) == 0) {
			os->os_status = V_OCSP_CERTSTATUS_REVOKED;
			os->os_rev_time = (time_t)lc.lc_rev_time;
			os->os_reason = lc.lc_rev_reason;
		}
	}
	ledger_cert_free(&lc);
	return 0;
}

/*
 * thisUpdate now, nextUpdate [ocsp] validity_seconds later but not after
 * the responder certificate expires.
 */
int
presign_respond(struct signer *sg, struct ocsp_single *os, size_t n,
    const uint8_t *nonce, size_t noncelen, uint8_t **der, size_t *derlen,
    time_t *this_update, time_t *next_update)
{
	struct ocsp_signer	 sgn = { sg->sg_ca_cert, sg->sg_ocsp_cert,
	    sg->sg_ocsp_key };
	time_t			 now = time(NULL), cap;
	char			 why[256];
	size_t			 i;

	for (i = 0; i < n; i++)
		if (presign_status(sg, &os[i]) == -1) {
			log_warnx("OCSP: %s", ledger_errmsg(sg->sg_ledger));
			return -1;
		}
	*this_update = now;
	*next_update = now + sg->sg_conf->cf_ocsp_validity;
	if (x509_time(X509_get0_notAfter(sg->sg_ocsp_cert), &cap) == 0 &&
	    cap < *next_update)
		*next_update = cap;
	if (ocsp_build(&sgn, os, n, nonce, noncelen, *this_update,
	    *next_update, der, derlen, why, sizeof(why)) == -1) {
		log_warnx("OCSP response: %s", why);
		return -1;
	}
	return 0;
}

/* ledger_locked callback: statuses, signatures and rows in one step. */
static int
presign_store(void *arg)
{
	struct presign_job	*pj = arg;
	struct signer		*sg = pj->pj_sg;
	struct ledger_ocsp	*row;
	struct ocsp_single	 os;
	size_t			 i, len;
	time_t			 t0, t1;

	for (i = 0; i < pj->pj_n; i++) {
		memset(&os, 0, sizeof(os));
		os.os_md = pj->pj_md[i];
		os.os_serial = pj->pj_serial[i];
		if (presign_respond(sg, &os, 1, NULL, 0, &pj->pj_der[i], &len,
		    &t0, &t1) == -1)
			return -1;
		row = &pj->pj_row[i];
		memset(row, 0, sizeof(*row));
		row->lo_serial = pj->pj_serial[i];
		row->lo_md = pj->pj_md[i];
		row->lo_this_update = t0;
		row->lo_next_update = t1;
		row->lo_der = pj->pj_der[i];
		row->lo_derlen = len;
		/* An unknown serial is answered, never stored: anyone can
		 * ask for any number of them. */
		if (os.os_status != V_OCSP_CERTSTATUS_UNKNOWN &&
		    ledger_ocsp_put(sg->sg_ledger, sg->sg_conf->cf_ca_id,
		    row) == -1) {
			log_warnx("OCSP: %s", ledger_errmsg(sg->sg_ledger));
			return -1;
		}
	}
	return 0;
}

static void
presign_free(struct presign_job *pj)
{
	size_t	 i;

	for (i = 0; i < pj->pj_n; i++) {
		OPENSSL_free(pj->pj_der[i]);
		pj->pj_der[i] = NULL;
	}
}

/* Runs the job under the ledger lock; -1 (nothing kept) on failure. */
static int
presign_run(struct presign_job *pj)
{
	if (ledger_locked(pj->pj_sg->sg_ledger, presign_store, pj) == 0)
		return 0;
	presign_free(pj);
	return -1;
}

/*
 * Signs and stores the nonce-free response for (md, serial); *der (for
 * OPENSSL_free) and row describe it.  1 if the serial is not ours: then
 * *der is an unstored "unknown" answer and row->lo_seq is 0.
 */
int
presign_one(struct signer *sg, int md, const char *serial, uint8_t **der,
    size_t *derlen, struct ledger_ocsp *row)
{
	struct presign_job	 pj;

	memset(&pj, 0, sizeof(pj));
	pj.pj_sg = sg;
	pj.pj_n = 1;
	pj.pj_md[0] = md;
	snprintf(pj.pj_serial[0], SERIAL_HEX_MAX, "%s", serial);
	if (presign_run(&pj) == -1)
		return -1;
	*der = pj.pj_der[0];
	*derlen = pj.pj_row[0].lo_derlen;
	*row = pj.pj_row[0];
	row->lo_serial = serial;
	return row->lo_seq == 0;
}

void
presign_serial(struct signer *sg, const char *serial)
{
	struct presign_job	 pj;

	if (sg->sg_ocsp_cert == NULL)
		return;
	memset(&pj, 0, sizeof(pj));
	pj.pj_sg = sg;
	pj.pj_n = 2;
	pj.pj_md[0] = NID_sha1;
	pj.pj_md[1] = NID_sha256;
	snprintf(pj.pj_serial[0], SERIAL_HEX_MAX, "%s", serial);
	snprintf(pj.pj_serial[1], SERIAL_HEX_MAX, "%s", serial);
	if (presign_run(&pj) == 0)
		presign_free(&pj);
}

/* ledger_ocsp_due callback: collect the keys first, sign after. */
static int
presign_key(void *arg, const struct ledger_ocsp *o)
{
	struct presign_job	*pj = arg;

	if (pj->pj_n == PRESIGN_BATCH)
		return -1;
	snprintf(pj->pj_serial[pj->pj_n], SERIAL_HEX_MAX, "%s", o->lo_serial);
	pj->pj_md[pj->pj_n++] = o->lo_md;
	return 0;
}

/* Worker 0, idle, at most once a second: spends the budget saved since. */
void
presign_tick(struct signer *sg)
{
	const struct conf	*cf = sg->sg_conf;
	struct presign_job	 pj;
	time_t			 now = time(NULL);
	long			 budget;

	if (sg->sg_worker != 0 || sg->sg_ocsp_cert == NULL ||
	    cf->cf_ocsp_presign_rate == 0 || now == sg->sg_last_presign)
		return;
	if (now - sg->sg_last_prune >= PRUNE_EVERY_S) {
		if (ledger_ocsp_prune(sg->sg_ledger, cf->cf_ca_id, now) == -1)
			log_warnx("OCSP: %s", ledger_errmsg(sg->sg_ledger));
		sg->sg_last_prune = now;
	}
	budget = (long)cf->cf_ocsp_presign_rate * (sg->sg_last_presign == 0 ||
	    now - sg->sg_last_presign > PRESIGN_BURST_S ? PRESIGN_BURST_S :
	    now - sg->sg_last_presign);
	sg->sg_last_presign = now;
	while (budget > 0) {
		memset(&pj, 0, sizeof(pj));
		pj.pj_sg = sg;
		if (ledger_ocsp_due(sg->sg_ledger, cf->cf_ca_id, NID_sha1, now,
		    budget < PRESIGN_BATCH ? (int)budget : PRESIGN_BATCH,
		    presign_key, &pj) == -1 || presign_run(&pj) == -1) {
			log_warnx("OCSP: %s", ledger_errmsg(sg->sg_ledger));
			return;
		}
		presign_free(&pj);
		if (pj.pj_n < PRESIGN_BATCH)
			return;
		budget -= (long)pj.pj_n;
	}
}
