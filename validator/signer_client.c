/*
 * signer_client.c: the validator's calls to the signer.  One connection to
 * signer-valid.sock, made on first use; a call that fails is made once
 * more on a fresh connection, since the signer worker behind the old one
 * may have been restarted.  Callers never compose a message themselves.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "jwt.h"
#include "privdrop.h"
#include "validator.h"

#define SIGNER_TIMEOUT_S	30	/* a token may be slow to sign */
#define ASSERTION_S		300	/* Entra ID accepts up to 10 minutes */

static int	signer_connect(struct validator *);
static int	signer_call(struct validator *, struct ipc_msg *,
		    struct ipc_msg *);
static int	signer_cert_call(struct validator *, struct ipc_msg *,
		    struct ipc_msg *, struct ipc_cert *,
		    struct signer_refusal *);

static int
signer_connect(struct validator *vd)
{
	struct timeval	 tv = { SIGNER_TIMEOUT_S, 0 };
	char		 path[512];

	if (vd->vd_signer_fd != -1)
		return 0;
	snprintf(path, sizeof(path), "%s/signer-valid.sock",
	    vd->vd_conf->cf_run_dir);
	if ((vd->vd_signer_fd = unixsock_connect(path)) == -1) {
		log_warn("connect %s", path);
		return -1;
	}
	setsockopt(vd->vd_signer_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(vd->vd_signer_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return 0;
}

void
signer_close(struct validator *vd)
{
	if (vd->vd_signer_fd != -1)
		close(vd->vd_signer_fd);
	vd->vd_signer_fd = -1;
}

/* Sends req and reads its answer into ans; 0, or -1 after two tries. */
static int
signer_call(struct validator *vd, struct ipc_msg *req, struct ipc_msg *ans)
{
	const char	*why = NULL;
	int		 try;

	for (try = 0; try < 2; try++) {
		if (signer_connect(vd) == -1)
			continue;
		req->m_hdr.h_reqid = ++vd->vd_reqid;
		if (ipc_call(vd->vd_signer_fd, req, ans, &why) == 0)
			return 0;
		log_warnx("signer: %s", why);
		signer_close(vd);
	}
	return -1;
}

/* 1 if ans is the signer's refusal (rf filled), else 0. */
static int
signer_refused(struct ipc_msg *ans, struct signer_refusal *rf)
{
	if (ans->m_hdr.h_type != IPC_ANS_ERROR)
		return 0;
	ipc_get_u32(ans, &rf->sr_code);
	ipc_get_str(ans, rf->sr_msg, sizeof(rf->sr_msg));
	return 1;
}

/*
 * Makes a call answered by a certificate record, read into c (pointing
 * into ans, which the caller frees): 0, 1 if the signer refused (rf
 * filled), -1 if it could not be asked or answered nonsense.
 */
static int
signer_cert_call(struct validator *vd, struct ipc_msg *req,
    struct ipc_msg *ans, struct ipc_cert *c, struct signer_refusal *rf)
{
	int	 r = 0;

	memset(ans, 0, sizeof(*ans));
	if (signer_call(vd, req, ans) == -1)
		return -1;
	if ((r = signer_refused(ans, rf)) == 0)
		ipc_get_cert(ans, c);
	if (ipc_get_end(ans) == -1) {
		log_warnx("signer: malformed %s",
		    ipc_type_name(ans->m_hdr.h_type));
		signer_close(vd);
		return -1;
	}
	return r;
}

/* The CA certificate: the first of the chain the signer serves. */
X509 *
signer_cacert(struct validator *vd)
{
	struct ipc_msg	 req, ans;
	X509		*x = NULL;

	ipc_msg_init(&req, IPC_REQ_CACERT, 0, vd->vd_conf->cf_ca_id);
	memset(&ans, 0, sizeof(ans));
	if (signer_call(vd, &req, &ans) == 0)
		x = ipc_get_cacert(&ans);
	if (x == NULL)
		log_warnx("no CA certificate from the signer");
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return x;
}

/* The ledger status of serial ("valid", "revoked", ...); 0, 1 or -1. */
int
signer_cert_status(struct validator *vd, const char *serial, char *status,
    size_t statussz, struct signer_refusal *rf)
{
	struct ipc_msg	 req, ans;
	struct ipc_cert	 c;
	int		 r;

	ipc_msg_init(&req, IPC_REQ_SHOW, 0, vd->vd_conf->cf_ca_id);
	ipc_put_str(&req, serial);
	if ((r = signer_cert_call(vd, &req, &ans, &c, rf)) == 0)
		snprintf(status, statussz, "%s", c.c_status);
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
}

/*
 * Asks for a certificate under profile (withheld with IPC_ISSUE_WITHHELD);
 * its serial, and the certificate if cert is set, on 0; else 1 or -1.
 */
int
signer_issue(struct validator *vd, const struct ipc_issue *si,
    char serial[SERIAL_HEX_MAX], X509 **cert, struct signer_refusal *rf)
{
	struct ipc_msg	 req, ans;
	struct ipc_cert	 c;
	const uint8_t	*p;
	int		 r;

	ipc_msg_init(&req, IPC_REQ_ISSUE, 0, vd->vd_conf->cf_ca_id);
	ipc_put_issue(&req, si);
	if ((r = signer_cert_call(vd, &req, &ans, &c, rf)) == 0) {
		snprintf(serial, SERIAL_HEX_MAX, "%s", c.c_serial);
		p = c.c_der;
		if (cert != NULL && (*cert = d2i_X509(NULL, &p,
		    (long)c.c_derlen)) == NULL)
			r = -1;
	}
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
}

/* A status change by serial (release, revoke): 0, 1 refused, -1. */
int
signer_status(struct validator *vd, uint16_t type, const char *serial,
    int reason, struct signer_refusal *rf)
{
	struct ipc_msg	 req, ans;
	struct ipc_cert	 c;
	int		 r;

	ipc_msg_init(&req, type, 0, vd->vd_conf->cf_ca_id);
	ipc_put_str(&req, serial);
	if (type == IPC_REQ_REVOKE)
		ipc_put_u32(&req, (uint32_t)reason);
	r = signer_cert_call(vd, &req, &ans, &c, rf);
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
}

/* Reads an IPC_ANS_PEND or IPC_ANS_TXID: an IPC_TX_* state, or -1. */
static int
signer_tx_call(struct validator *vd, struct ipc_msg *req,
    char serial[SERIAL_HEX_MAX])
{
	struct ipc_msg	 ans;
	uint32_t	 st = IPC_TX__MAX;
	int		 r = -1;

	memset(&ans, 0, sizeof(ans));
	if (signer_call(vd, req, &ans) == 0 &&
	    ans.m_hdr.h_type == req->m_hdr.h_type + 1) {
		ipc_get_u32(&ans, &st);
		ipc_get_str(&ans, serial, SERIAL_HEX_MAX);
		if (ipc_get_end(&ans) == 0 && st < IPC_TX__MAX)
			r = (int)st;
	}
	if (r == -1)
		log_warnx("signer: no usable answer to %s",
		    ipc_type_name(req->m_hdr.h_type));
	ipc_msg_free(req);
	ipc_msg_free(&ans);
	return r;
}

/* Queues a request for an administrator: where txid stands, or -1. */
int
signer_pend(struct validator *vd, const char *profile, const uint8_t *csr,
    size_t csrlen, const char *txid, const char *requester,
    char serial[SERIAL_HEX_MAX])
{
	struct ipc_msg	 req;

	ipc_msg_init(&req, IPC_REQ_PEND, 0, vd->vd_conf->cf_ca_id);
	ipc_put_str(&req, profile);
	ipc_put_bytes(&req, csr, csrlen);
	ipc_put_str(&req, txid);
	ipc_put_str(&req, requester);
	return signer_tx_call(vd, &req, serial);
}

/* Where txid stands (CertPoll): an IPC_TX_* state, or -1. */
int
signer_txid(struct validator *vd, const char *txid,
    char serial[SERIAL_HEX_MAX])
{
	struct ipc_msg	 req;

	ipc_msg_init(&req, IPC_REQ_TXID, 0, vd->vd_conf->cf_ca_id);
	ipc_put_str(&req, txid);
	return signer_tx_call(vd, &req, serial);
}

/* One page of certificate rows after rowid for the directory sync: how
 * many rows cb was given, or -1. */
int
signer_dirlist(struct validator *vd, uint64_t after, signer_dirrow_cb *cb,
    void *arg)
{
	struct ipc_msg	 req, ans;
	char		 serial[SERIAL_HEX_MAX], status[16];
	char		 dir_ids[DIRIDS_STR_MAX];
	uint64_t	 rowid;
	uint32_t	 n = 0, i;
	int		 r = -1;

	ipc_msg_init(&req, IPC_REQ_DIRLIST, 0, vd->vd_conf->cf_ca_id);
	ipc_put_u64(&req, after);
	memset(&ans, 0, sizeof(ans));
	if (signer_call(vd, &req, &ans) == 0 &&
	    ans.m_hdr.h_type == IPC_ANS_DIRLIST) {
		ipc_get_u32(&ans, &n);
		for (i = 0; i < n && i < IPC_LIST_MAX && ipc_msg_ok(&ans);
		    i++) {
			ipc_get_u64(&ans, &rowid);
			ipc_get_str(&ans, serial, sizeof(serial));
			ipc_get_str(&ans, status, sizeof(status));
			ipc_get_str(&ans, dir_ids, sizeof(dir_ids));
			if (ipc_msg_ok(&ans))
				cb(arg, rowid, serial, status, dir_ids);
		}
		if (n <= IPC_LIST_MAX && ipc_get_end(&ans) == 0)
			r = (int)n;
	}
	if (r == -1)
		log_warnx("signer: no usable answer to REQ_DIRLIST");
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
}

/*
 * intune_assert_fn for [intune] auth = token: the signer builds the client
 * assertion for the token URL aud and signs it with the key in the token.
 */
char *
signer_assertion(void *arg, const char *aud)
{
	struct validator	*vd = arg;
	struct signer_refusal	 rf;
	struct ipc_msg		 req, ans;
	char			 jwt[JWT_MAX], *out = NULL;

	ipc_msg_init(&req, IPC_REQ_ASSERTION, 0, vd->vd_conf->cf_ca_id);
	ipc_put_str(&req, vd->vd_conf->cf_intune_client_id);
	ipc_put_str(&req, aud);
	ipc_put_u32(&req, ASSERTION_S);
	memset(&ans, 0, sizeof(ans));
	if (signer_call(vd, &req, &ans) == -1)
		log_warnx("signer: no client assertion");
	else if (signer_refused(&ans, &rf))
		log_warnx("signer refused the client assertion: %s",
		    rf.sr_msg);
	else {
		ipc_get_str(&ans, jwt, sizeof(jwt));
		if (ipc_get_end(&ans) == -1)
			log_warnx("signer: malformed %s",
			    ipc_type_name(ans.m_hdr.h_type));
		else if ((out = strdup(jwt)) == NULL)
			log_warn("strdup");
		explicit_bzero(jwt, sizeof(jwt));
	}
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return out;
}
