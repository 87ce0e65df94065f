/*
 * signer_block.c: the validator's blocking calls to the signer, for the
 * few made outside a client request (the CA certificate at start, the
 * directory sync, the Entra ID client assertion).  They use a connection
 * of their own to signer-valid-block.sock, made on first use, so that
 * the pool keeps its one connection per worker; a call that fails is
 * made once more on a fresh connection, since the signer worker behind
 * the old one may have been restarted.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "jwt.h"
#include "validator.h"

#define SIGNER_TIMEOUT_S	30	/* a token may be slow to sign */
#define ASSERTION_S		300	/* Entra ID accepts up to 10 minutes */

static int	signer_open(struct validator *);
static int	signer_call(struct validator *, struct ipc_msg *,
		    struct ipc_msg *);

static int
signer_open(struct validator *vd)
{
	struct timeval	 tv = { SIGNER_TIMEOUT_S, 0 };

	if (vd->vd_signer_fd != -1)
		return 0;
	if ((vd->vd_signer_fd = signer_connect(vd,
	    "signer-valid-block.sock")) == -1)
		return -1;
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

	memset(ans, 0, sizeof(*ans));
	for (try = 0; try < 2; try++) {
		if (signer_open(vd) == -1)
			continue;
		req->m_hdr.h_reqid = ++vd->vd_reqid;
		if (ipc_call(vd->vd_signer_fd, req, ans, &why) == 0)
			return 0;
		log_warnx("signer: %s", why);
		signer_close(vd);
	}
	return -1;
}

/* The CA certificate: the first of the chain the signer serves. */
X509 *
signer_cacert(struct validator *vd)
{
	struct ipc_msg	 req, ans;
	X509		*x = NULL;

	ipc_msg_init(&req, IPC_REQ_CACERT, 0, vd->vd_conf->cf_ca_id);
	if (signer_call(vd, &req, &ans) == 0)
		x = ipc_get_cacert(&ans);
	if (x == NULL)
		log_warnx("no CA certificate from the signer");
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return x;
}

/* A status change by serial for the directory sync: 0, 1 refused, -1. */
int
signer_status_wait(struct validator *vd, uint16_t type, const char *serial,
    int reason, struct signer_refusal *rf)
{
	struct ipc_msg	 req, ans;
	struct ipc_cert	 c;
	int		 r;

	signer_status_msg(vd, &req, type, serial, reason);
	if ((r = signer_call(vd, &req, &ans)) == 0 &&
	    (r = signer_cert_answer(&ans, &c, rf)) == -1)
		signer_close(vd);	/* it answered nonsense: start afresh */
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
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
