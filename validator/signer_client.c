/*
 * signer_client.c: the validator's calls to the signer on a client's
 * behalf.  A pool of connections to signer-valid.sock, one per signer
 * worker (each worker accepts one), so that issuances run side by side;
 * a connection lost (its worker restarted) is made again before the next
 * call.  Callers never compose a message themselves.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "ipcev.h"
#include "privdrop.h"
#include "validator.h"

#define SIGNER_TIMEOUT_S	30	/* a token may be slow to sign */

static void	signer_send(struct validator *, struct ipc_msg *,
		    ipc_pool_cb *, void *);

/* A connection to the signer's socket sock in the run directory. */
int
signer_connect(struct validator *vd, const char *sock)
{
	char	 path[512];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", vd->vd_conf->cf_run_dir, sock);
	if ((fd = unixsock_connect(path)) == -1)
		log_warn("connect %s", path);
	return fd;
}

/*
 * Sends req (and frees it) once the pool is back to one connection per
 * worker; cb runs exactly once, with NULL if the signer cannot be asked
 * (maybe before this returns: the caller's last act must be the call).
 */
static void
signer_send(struct validator *vd, struct ipc_msg *req, ipc_pool_cb *cb,
    void *arg)
{
	uint16_t type = req->m_hdr.h_type;
	int	 fd;

	while (ipc_pool_size(vd->vd_signer) < vd->vd_signer_max &&
	    (fd = signer_connect(vd, "signer-valid.sock")) != -1 &&
	    ipc_pool_add(vd->vd_signer, vd->vd_base, fd) == 0)
		;
	if (ipc_pool_send(vd->vd_signer, req, cb, arg) == -1) {
		log_warnx("signer: cannot send %s", ipc_type_name(type));
		cb(arg, NULL);
	}
}

/* 1 if ans is the signer's refusal (rf filled), else 0. */
int
signer_refused(struct ipc_msg *ans, struct signer_refusal *rf)
{
	if (ans->m_hdr.h_type != IPC_ANS_ERROR)
		return 0;
	ipc_get_u32(ans, &rf->sr_code);
	ipc_get_str(ans, rf->sr_msg, sizeof(rf->sr_msg));
	return 1;
}

/*
 * An answer carrying a certificate record, read into c (pointing into
 * ans): 0, 1 if the signer refused (rf filled), -1 if it could not be
 * asked (ans NULL) or answered nonsense.
 */
int
signer_cert_answer(struct ipc_msg *ans, struct ipc_cert *c,
    struct signer_refusal *rf)
{
	int	 r = 0;

	if (ans == NULL)
		return -1;
	if ((r = signer_refused(ans, rf)) == 0)
		ipc_get_cert(ans, c);
	if (ipc_get_end(ans) == -1) {
		log_warnx("signer: malformed %s",
		    ipc_type_name(ans->m_hdr.h_type));
		return -1;
	}
	return r;
}

/* An IPC_ANS_PEND or IPC_ANS_TXID: an IPC_TX_* state, or -1. */
int
signer_tx_answer(struct ipc_msg *ans, uint16_t type,
    char serial[SERIAL_HEX_MAX])
{
	uint32_t	 st = IPC_TX__MAX;

	if (ans != NULL && ans->m_hdr.h_type != IPC_ANS_ERROR) {
		ipc_get_u32(ans, &st);
		ipc_get_str(ans, serial, SERIAL_HEX_MAX);
		if (ipc_get_end(ans) == 0 && st < IPC_TX__MAX)
			return (int)st;
	}
	log_warnx("signer: no usable answer to %s", ipc_type_name(type));
	return -1;
}

/* A certificate record by serial (IPC_REQ_SHOW). */
void
signer_show(struct validator *vd, const char *serial, ipc_pool_cb *cb,
    void *arg)
{
	struct ipc_msg	 req;

	ipc_msg_init(&req, IPC_REQ_SHOW, 0, vd->vd_conf->cf_ca_id);
	ipc_put_str(&req, serial);
	signer_send(vd, &req, cb, arg);
}

/* A certificate under is_profile (withheld with IPC_ISSUE_WITHHELD). */
void
signer_issue(struct validator *vd, const struct ipc_issue *si,
    ipc_pool_cb *cb, void *arg)
{
	struct ipc_msg	 req;

	ipc_msg_init(&req, IPC_REQ_ISSUE, 0, vd->vd_conf->cf_ca_id);
	ipc_put_issue(&req, si);
	signer_send(vd, &req, cb, arg);
}

/* The request for a status change by serial (release, revoke). */
void
signer_status_msg(struct validator *vd, struct ipc_msg *req, uint16_t type,
    const char *serial, int reason)
{
	ipc_msg_init(req, type, 0, vd->vd_conf->cf_ca_id);
	ipc_put_str(req, serial);
	if (type == IPC_REQ_REVOKE)
		ipc_put_u32(req, (uint32_t)reason);
}

/* A status change by serial (release, revoke). */
void
signer_status(struct validator *vd, uint16_t type, const char *serial,
    int reason, ipc_pool_cb *cb, void *arg)
{
	struct ipc_msg	 req;

	signer_status_msg(vd, &req, type, serial, reason);
	signer_send(vd, &req, cb, arg);
}

/* Queues a request for an administrator; answered as signer_tx_answer
 * reads. */
void
signer_pend(struct validator *vd, const struct ipc_issue *si,
    ipc_pool_cb *cb, void *arg)
{
	struct ipc_msg	 req;

	ipc_msg_init(&req, IPC_REQ_PEND, 0, vd->vd_conf->cf_ca_id);
	ipc_put_str(&req, si->is_profile);
	ipc_put_bytes(&req, si->is_csr, si->is_csrlen);
	ipc_put_str(&req, si->is_txid);
	ipc_put_str(&req, si->is_requester);
	signer_send(vd, &req, cb, arg);
}

/* Where txid stands (CertPoll); answered as signer_tx_answer reads. */
void
signer_txid(struct validator *vd, const char *txid, ipc_pool_cb *cb,
    void *arg)
{
	struct ipc_msg	 req;

	ipc_msg_init(&req, IPC_REQ_TXID, 0, vd->vd_conf->cf_ca_id);
	ipc_put_str(&req, txid);
	signer_send(vd, &req, cb, arg);
}
