/*
 * crlsign.c: the CA's CRL, signed by worker 0 every [crl] update_seconds
 * and by any worker after a revocation, hold or release.  The revoked
 * rows are read, the CRL signed and recorded under the ledger's write
 * lock, so every CRL holds each revocation committed before it.  The CRL
 * number is the clock in milliseconds, and above the previous one: it
 * keeps growing even after the ledger is restored from a backup.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "config.h"
#include "ledger.h"
#include "serve.h"
#include "signer.h"

#define CRL_ENTRIES_MAX	(1024 * 1024)

struct crl_job {
	struct signer		*cj_sg;
	time_t			 cj_now;
	struct crl_entry	*cj_entries;
	size_t			 cj_n;
	size_t			 cj_cap;
};

static int	crl_collect(void *, const struct ledger_cert *);
static uint64_t	crl_number(struct signer *, time_t);
static int	crl_make(void *);

/* ledger_cert_list callback: revoked and held certificates of our CA,
 * until one CRL after they expire (RFC 5280 3.3). */
static int
crl_collect(void *arg, const struct ledger_cert *lc)
{
	struct crl_job		*cj = arg;
	struct crl_entry	*ce;
	size_t			 cap;

	if (lc->lc_ca_id != cj->cj_sg->sg_conf->cf_ca_id ||
	    lc->lc_not_after + cj->cj_sg->sg_conf->cf_crl_validity <
	    cj->cj_now)
		return 0;
	if (cj->cj_n == cj->cj_cap) {
		cap = cj->cj_cap == 0 ? 64 : cj->cj_cap * 2;
		if (cap > CRL_ENTRIES_MAX || (ce = reallocarray(cj->cj_entries,
		    cap, sizeof(*ce))) == NULL)
			return -1;
		cj->cj_entries = ce;
		cj->cj_cap = cap;
	}
	ce = &cj->cj_entries[cj->cj_n];
	if ((ce->ce_serial = strdup(lc->lc_serial)) == NULL)
		return -1;
	ce->ce_time = lc->lc_rev_time;
	ce->ce_reason = lc->lc_rev_reason;
	cj->cj_n++;
	return 0;
}

/* Milliseconds since the epoch, above the newest CRL's number. */
static uint64_t
crl_number(struct signer *sg, time_t now)
{
	struct timespec	 ts;
	uint64_t	 n;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (crl_current(sg) == 0 && sg->sg_crl.sc_number >= n)
		n = sg->sg_crl.sc_number + 1;
	return n;
}

/* ledger_locked callback: read the revocations, sign, record. */
static int
crl_make(void *arg)
{
	struct crl_job		*cj = arg;
	struct signer		*sg = cj->cj_sg;
	const struct conf	*cf = sg->sg_conf;
	uint8_t			*der = NULL;
	size_t			 len;
	char			 why[256];
	int			 r = -1;

	if (ledger_cert_list(sg->sg_ledger, ST_REVOKED, 0, -1, crl_collect,
	    cj) == -1 || ledger_cert_list(sg->sg_ledger, ST_HOLD, 0, -1,
	    crl_collect, cj) == -1) {
		log_warnx("CRL: %s", ledger_errmsg(sg->sg_ledger));
		return -1;
	}
	if (crl_build(sg->sg_ca_cert, sg->sg_ca_key, cj->cj_entries, cj->cj_n,
	    crl_number(sg, cj->cj_now), cj->cj_now, cj->cj_now +
	    cf->cf_crl_validity, &der, &len, why, sizeof(why)) == -1) {
		log_warnx("CRL: %s", why);
		return -1;
	}
	if ((r = ledger_crl(sg->sg_ledger, cf->cf_ca_id, der, len)) == -1)
		log_warnx("CRL: %s", ledger_errmsg(sg->sg_ledger));
	OPENSSL_free(der);
	return r;
}

/* Signs and records a new CRL; 0, or -1 (logged). */
int
crl_issue(struct signer *sg)
{
	struct crl_job	 cj;
	size_t		 i;
	int		 r;

	memset(&cj, 0, sizeof(cj));
	cj.cj_sg = sg;
	cj.cj_now = time(NULL);
	r = ledger_locked(sg->sg_ledger, crl_make, &cj);
	for (i = 0; i < cj.cj_n; i++)
		free((char *)cj.cj_entries[i].ce_serial);
	free(cj.cj_entries);
	if (r == 0 && crl_current(sg) == 0)
		log_info("CRL %llu signed (%zu entries)",
		    (unsigned long long)sg->sg_crl.sc_number, cj.cj_n);
	return r == 0 ? 0 : -1;
}

/*
 * Brings sg_crl up to the ledger's newest CRL, reading its DER only when
 * another was recorded.  0, 1 if there is none, -1 on a ledger error.
 */
int
crl_current(struct signer *sg)
{
	struct signer_crl	*sc = &sg->sg_crl, nc;
	int64_t			 id;
	int			 r;

	if ((r = ledger_crl_latest(sg->sg_ledger, sg->sg_conf->cf_ca_id, &id,
	    NULL, NULL)) != 0)
		return r;
	if (id == sc->sc_event)
		return 0;
	memset(&nc, 0, sizeof(nc));
	if (ledger_crl_latest(sg->sg_ledger, sg->sg_conf->cf_ca_id,
	    &nc.sc_event, &nc.sc_der, &nc.sc_len) != 0 ||
	    crl_info(nc.sc_der, nc.sc_len, &nc.sc_number, &nc.sc_this_update,
	    &nc.sc_next_update) == -1) {
		log_warnx("CRL event %lld: unreadable", (long long)id);
		free(nc.sc_der);
		return -1;
	}
	free(sc->sc_der);
	*sc = nc;
	return 0;
}

/* Worker 0: a CRL at start-up and every [crl] update_seconds. */
void
crl_tick(struct signer *sg)
{
	int	 r;

	if (sg->sg_worker != 0 || (r = crl_current(sg)) == -1)
		return;
	if (r == 1 || time(NULL) - sg->sg_crl.sc_this_update >=
	    sg->sg_conf->cf_crl_update)
		crl_issue(sg);
}
