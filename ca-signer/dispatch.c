/*
 * dispatch.c: the signer's rule table.  Each message is checked for type,
 * peer and size before its handler decodes it field by field.
 */
#include <stddef.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "jwt.h"
#include "serve.h"
#include "signer.h"

#define SERIAL_FIELD	(4 + 64)
#define ISSUE_MAX	(5 * (4 + IPC_STR_MAX) + IPC_CSR_MAX + 4)
/* u32 padding, u32 digest, bytes ias, bytes encryptedKey, u32 keylen */
#define UNWRAP_MIN	(4 + 4 + (4 + 1) + (4 + 1) + 4)
#define UNWRAP_MAX	(4 + 4 + (4 + UNWRAP_IAS_MAX) + (4 + UNWRAP_EK_MAX) + 4)
/* str txid, bytes nonce, bytes cert, 4 x u32, str serial, u32 type */
#define CERTREP_MIN	((4 + 1) + 4 + (4 + 1) + 4 * 4 + 4 + 4)
#define CERTREP_MAX	((4 + CERTREP_TXID_MAX) + (4 + CERTREP_NONCE_MAX) + \
			    (4 + IPC_CERT_MAX) + 4 * 4 + SERIAL_FIELD + 4)

/* str profile, bytes csr, str txid, str requester */
#define PEND_MAX	((4 + CONF_NAME_MAX) + (4 + IPC_CSR_MAX) + (4 + 128) + \
			    (4 + 255))
#define TXID_MAX	(4 + 128)

/* u32 n, n x (u32 digest, bytes name hash, bytes key hash, str serial),
 * bytes nonce */
#define OCSP_ID_MAX	(4 + (4 + OCSP_HASH_MAX) * 2 + SERIAL_FIELD)
#define OCSP_MIN	(4 + 4 + 4 + 4 + (4 + 1) + 4)
#define OCSP_MAX	(4 + OCSP_IDS_MAX * OCSP_ID_MAX + \
			    (4 + OCSP_NONCE_RAW_MAX))
/* u64 after, u32 n, n x (u32 digest, str serial) */
#define PULL_MAX	(8 + 4 + OCSP_WANT_MAX * (4 + SERIAL_FIELD))
/* str txid, bytes nonce, bytes cert, u32 cipher, u32 digest */
#define CRLREP_MIN	((4 + 1) + 4 + (4 + 1) + 2 * 4)
#define CRLREP_MAX	((4 + CERTREP_TXID_MAX) + (4 + CERTREP_NONCE_MAX) + \
			    (4 + IPC_CERT_MAX) + 2 * 4)
/* str client id, str token URL, u32 lifetime */
#define ASSERT_MIN	((4 + 1) + (4 + 1) + 4)
#define ASSERT_MAX	((4 + JWT_CLIENT_ID_MAX) + (4 + JWT_AUD_MAX) + 4)

static const struct ipc_rule rules[] = {
	/* type		    peers				min max		handler */
	{ IPC_REQ_PING,	    PEER_FRONTEND | PEER_VALIDATOR | PEER_ADMIN,
							0, 0,		h_ping },
	{ IPC_REQ_ISSUE,    PEER_VALIDATOR | PEER_ADMIN,	24, ISSUE_MAX,	h_issue },
	{ IPC_REQ_RELEASE,  PEER_VALIDATOR,		4, SERIAL_FIELD,
									h_release },
	{ IPC_REQ_REVOKE,   PEER_VALIDATOR | PEER_ADMIN,	8, SERIAL_FIELD + 4,
									h_revoke },
	{ IPC_REQ_UNHOLD,   PEER_VALIDATOR | PEER_ADMIN,	4, SERIAL_FIELD,
									h_unhold },
	{ IPC_REQ_SHOW,	    PEER_VALIDATOR | PEER_ADMIN,	4, SERIAL_FIELD,
									h_show },
	{ IPC_REQ_LIST,	    PEER_ADMIN,				12, 4 + 16 + 8,	h_list },
	{ IPC_REQ_STATUS,   PEER_ADMIN,				0, 0,		h_status },
	{ IPC_REQ_CACERT,   PEER_FRONTEND | PEER_VALIDATOR | PEER_ADMIN,
							0, 0,		h_cacert },
	{ IPC_REQ_CHECKPOINT, PEER_ADMIN,			0, 0,
									h_checkpoint },
	{ IPC_REQ_UNWRAP,   PEER_FRONTEND,	UNWRAP_MIN, UNWRAP_MAX,	h_unwrap },
	{ IPC_REQ_CERTREP,  PEER_FRONTEND,	CERTREP_MIN, CERTREP_MAX,
									h_certrep },
	{ IPC_REQ_RACERTS,  PEER_FRONTEND | PEER_ADMIN,	0, 0,		h_racerts },
	{ IPC_REQ_PEND,	    PEER_VALIDATOR,		16, PEND_MAX,	h_pend },
	{ IPC_REQ_TXID,	    PEER_VALIDATOR,		4, TXID_MAX,	h_txid },
	{ IPC_REQ_PENDING,  PEER_ADMIN,			8, 8,		h_pending },
	{ IPC_REQ_APPROVE,  PEER_ADMIN,			8, 8,		h_approve },
	{ IPC_REQ_DENY,	    PEER_ADMIN,			8, 8,		h_deny },
	{ IPC_REQ_OCSP,	    PEER_FRONTEND,	OCSP_MIN, OCSP_MAX,
									h_ocsp },
	{ IPC_REQ_OCSP_PULL, PEER_FRONTEND | PEER_ADMIN, 12, PULL_MAX,
									h_ocsp_pull },
	{ IPC_REQ_CRL,	    PEER_FRONTEND | PEER_ADMIN,	8, 8,		h_crl },
	{ IPC_REQ_CRLREP,   PEER_FRONTEND,	CRLREP_MIN, CRLREP_MAX,
									h_crlrep },
	{ IPC_REQ_DIRLIST,  PEER_VALIDATOR,		8, 8,		h_dirlist },
	{ IPC_REQ_ASSERTION, PEER_VALIDATOR,	ASSERT_MIN, ASSERT_MAX,
									h_assertion },
};

/* ipc_serve's handler: the rule table above, for this worker's CA. */
int
dispatch(void *arg, const struct ipc_peer *p, struct ipc_msg *req,
    struct ipc_msg *ans)
{
	struct signer	*sg = arg;

	sg->sg_peer = p->ip_peer;
	sg->sg_peer_uid = p->ip_uid;
	return ipc_dispatch(rules, sizeof(rules) / sizeof(rules[0]), sg,
	    sg->sg_conf->cf_ca_id, p, req, ans);
}
