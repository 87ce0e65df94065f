/*
 * revhandlers.c: the frontend's OCSP and CRL requests.  The frontend
 * parsed the client's OCSP request and sends typed CertIDs and the
 * nonce; the signer checks that the issuer is its CA, reads the statuses
 * from the ledger and builds and signs the response itself (design.md
 * rule 1).  Same shape as handlers.c: every field through the cursor, no
 * bytes left over (-1), then value checks.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "ledger.h"
#include "serve.h"
#include "signer.h"

#define PULL_ROWS_MAX	512
#define PULL_BYTES_MAX	(IPC_BODY_MAX - OCSP_RESP_MAX - 1024)

/* A decoded IPC_REQ_OCSP. */
struct ocsp_ask {
	size_t			 oa_n;
	struct ocsp_single	 oa_os[OCSP_IDS_MAX];
	char			 oa_serial[OCSP_IDS_MAX][SERIAL_HEX_MAX];
	const uint8_t		*oa_nonce;
	size_t			 oa_noncelen;
	int			 oa_foreign;	/* an issuer not ours */
};

/* Rows of an IPC_ANS_OCSP_PULL being built. */
struct pull_rows {
	struct ipc_msg		 pr_msg;
	uint32_t		 pr_n;
	int64_t			 pr_last;
	int			 pr_more;
};

static int	get_key(struct ipc_msg *, int *, char *);
static int	ocsp_decode(struct signer *, struct ipc_msg *,
		    struct ocsp_ask *);
static void	ocsp_answer(struct ipc_msg *, const uint8_t *, size_t,
		    int64_t, time_t, time_t);
static int	pull_row(void *, const struct ledger_ocsp *);

/* A (digest NID, serial) pair; -1 if the frontend could not send it. */
static int
get_key(struct ipc_msg *req, int *md, char *serial)
{
	uint32_t	 nid;
	char		 raw[SERIAL_HEX_MAX];

	ipc_get_u32(req, &nid);
	ipc_get_str(req, raw, sizeof(raw));
	if (!ipc_msg_ok(req) || ocsp_digest((int)nid) == NULL ||
	    serial_normalize(raw, serial, SERIAL_HEX_MAX) == -1)
		return -1;
	*md = (int)nid;
	return 0;
}

static int
ocsp_decode(struct signer *sg, struct ipc_msg *req, struct ocsp_ask *oa)
{
	const uint8_t	*nh, *kh;
	size_t		 nlen, klen, i;
	uint32_t	 n, nid;
	char		 raw[SERIAL_HEX_MAX];

	memset(oa, 0, sizeof(*oa));
	ipc_get_u32(req, &n);
	if (n == 0 || n > OCSP_IDS_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		ipc_get_u32(req, &nid);
		ipc_get_bytes(req, &nh, &nlen, OCSP_HASH_MAX);
		ipc_get_bytes(req, &kh, &klen, OCSP_HASH_MAX);
		ipc_get_str(req, raw, sizeof(raw));
		if (!ipc_msg_ok(req) || ocsp_digest((int)nid) == NULL ||
		    serial_normalize(raw, oa->oa_serial[i],
		    SERIAL_HEX_MAX) == -1)
			return -1;
		oa->oa_os[i].os_md = (int)nid;
		oa->oa_os[i].os_serial = oa->oa_serial[i];
		if (!ocsp_issuer_ok(sg->sg_ca_cert, (int)nid, nh, nlen, kh,
		    klen))
			oa->oa_foreign = 1;
	}
	oa->oa_n = n;
	ipc_get_bytes(req, &oa->oa_nonce, &oa->oa_noncelen,
	    OCSP_NONCE_RAW_MAX);
	return ipc_get_end(req);
}

static void
ocsp_answer(struct ipc_msg *ans, const uint8_t *der, size_t len, int64_t seq,
    time_t this_update, time_t next_update)
{
	ipc_put_bytes(ans, der, len);
	ipc_put_u64(ans, (uint64_t)seq);
	ipc_put_u64(ans, (uint64_t)this_update);
	ipc_put_u64(ans, (uint64_t)next_update);
}

/*
 * One certificate without a nonce is the RFC 5019 case: the response is
 * stored for every frontend.  Anything else is signed for this request.
 */
int
h_ocsp(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer		*sg = arg;
	struct ocsp_ask		 oa;
	struct ledger_ocsp	 row;
	uint8_t			*der = NULL;
	size_t			 len;
	time_t			 t0, t1;

	if (ocsp_decode(sg, req, &oa) == -1)
		return -1;
	if (oa.oa_foreign) {
		ipc_error(ans, req, IPC_ERR_POLICY, "issuer not served");
		return 0;
	}
	if (sg->sg_ocsp_cert == NULL) {
		ipc_error(ans, req, IPC_ERR_NOTFOUND, "no OCSP responder");
		return 0;
	}
	memset(&row, 0, sizeof(row));
	if (oa.oa_n == 1 && oa.oa_noncelen == 0) {
		if (presign_one(sg, oa.oa_os[0].os_md, oa.oa_serial[0], &der,
		    &len, &row) == -1)
			goto fail;
		t0 = (time_t)row.lo_this_update;
		t1 = (time_t)row.lo_next_update;
	} else if (presign_respond(sg, oa.oa_os, oa.oa_n, oa.oa_nonce,
	    oa.oa_noncelen, &der, &len, &t0, &t1) == -1)
		goto fail;
	ocsp_answer(ans, der, len, row.lo_seq, t0, t1);
	OPENSSL_free(der);
	return 0;
 fail:
	ipc_error(ans, req, IPC_ERR_TOKEN, "OCSP response not signed");
	return 0;
}

/* ledger_ocsp_since callback: rows until the answer would grow too big. */
static int
pull_row(void *arg, const struct ledger_ocsp *o)
{
	struct pull_rows	*pr = arg;
	struct ipc_ocsp_row	 row;

	if (pr->pr_msg.m_len + o->lo_derlen > PULL_BYTES_MAX) {
		pr->pr_more = 1;
		return 1;
	}
	memset(&row, 0, sizeof(row));
	row.or_md = (uint32_t)o->lo_md;
	snprintf(row.or_serial, sizeof(row.or_serial), "%s", o->lo_serial);
	row.or_seq = (uint64_t)o->lo_seq;
	row.or_this_update = (uint64_t)o->lo_this_update;
	row.or_next_update = (uint64_t)o->lo_next_update;
	row.or_der = o->lo_der;
	row.or_derlen = o->lo_derlen;
	ipc_put_ocsp_row(&pr->pr_msg, &row);
	pr->pr_last = o->lo_seq;
	pr->pr_n++;
	return ipc_msg_ok(&pr->pr_msg) ? 0 : -1;
}

/* Marks what was asked for while due, then answers the rows since. */
int
h_ocsp_pull(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer		*sg = arg;
	struct ledger_ocsp	 keys[OCSP_WANT_MAX];
	char			 serials[OCSP_WANT_MAX][SERIAL_HEX_MAX];
	struct pull_rows	 pr;
	uint64_t		 after;
	uint32_t		 n, i;

	ipc_get_u64(req, &after);
	ipc_get_u32(req, &n);
	if (after > INT64_MAX || n > OCSP_WANT_MAX)
		return -1;
	memset(keys, 0, sizeof(keys));
	for (i = 0; i < n; i++) {
		if (get_key(req, &keys[i].lo_md, serials[i]) == -1)
			return -1;
		keys[i].lo_serial = serials[i];
	}
	if (ipc_get_end(req) == -1)
		return -1;
	memset(&pr, 0, sizeof(pr));
	pr.pr_last = (int64_t)after;
	if (ledger_ocsp_want(sg->sg_ledger, sg->sg_conf->cf_ca_id, keys,
	    n) == -1 || ledger_ocsp_since(sg->sg_ledger, sg->sg_conf->cf_ca_id,
	    (int64_t)after, PULL_ROWS_MAX, pull_row, &pr) == -1) {
		ipc_msg_free(&pr.pr_msg);
		ipc_error(ans, req, IPC_ERR_LEDGER, "ledger: %s",
		    ledger_errmsg(sg->sg_ledger));
		return 0;
	}
	ipc_put_u64(ans, (uint64_t)pr.pr_last);
	ipc_put_u32(ans, pr.pr_more || pr.pr_n == PULL_ROWS_MAX);
	ipc_put_rows(ans, pr.pr_n, &pr.pr_msg);
	return 0;
}

/* The newest CRL, or only its number when the caller holds it. */
int
h_crl(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	struct signer		*sg = arg;
	struct signer_crl	*sc = &sg->sg_crl;
	uint64_t		 have;
	int			 r;

	ipc_get_u64(req, &have);
	if (ipc_get_end(req) == -1)
		return -1;
	if ((r = crl_current(sg)) != 0) {
		ipc_error(ans, req, r == 1 ? IPC_ERR_NOTFOUND : IPC_ERR_LEDGER,
		    r == 1 ? "no CRL signed yet" : "CRL unreadable");
		return 0;
	}
	ipc_put_u64(ans, sc->sc_number);
	ipc_put_u64(ans, (uint64_t)sc->sc_this_update);
	ipc_put_u64(ans, (uint64_t)sc->sc_next_update);
	ipc_put_bytes(ans, sc->sc_der, have == sc->sc_number ? 0 : sc->sc_len);
	return 0;
}
