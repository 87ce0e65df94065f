/*
 * dispatch.c: the validator's rule table.  The frontend is trusted for
 * framing only: each message is checked for type, peer and size before
 * its handler decodes it field by field.
 */
#include <stddef.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "ipcev.h"
#include "validator.h"

/* u32 endpoint, u32 messageType, str txid, bytes CSR, bytes certificate,
 * bytes issuer, bytes subject, str serial */
#define DECIDE_MIN	(4 + 4 + (4 + 1) + 4 + (4 + 1) + 4 + 4 + 4)
#define DECIDE_MAX	(4 + 4 + (4 + VALID_TXID_MAX) + (4 + IPC_CSR_MAX) + \
			    (4 + IPC_CERT_MAX) + 2 * (4 + IPC_NAME_MAX) + \
			    (4 + SERIAL_HEX_MAX))

static const struct ipc_rule rules[] = {
	/* type		  peers		 min	     max	 handler */
	{ IPC_REQ_DECIDE, PEER_FRONTEND, DECIDE_MIN, DECIDE_MAX, h_decide },
	{ IPC_REQ_SYNC,	  PEER_ADMIN,	 0,	     0,		 h_sync },
};

/*
 * ipc_evserve's handler: the rule table above, for our CA.  A handler
 * that needs the network keeps the request (IPC_LATER) and answers it
 * from a callback.
 */
int
dispatch(void *arg, struct ipc_evreq *er)
{
	struct validator	*vd = arg;
	const struct ipc_rule	*rule;
	int			 r;

	r = ipc_evcheck(rules, sizeof(rules) / sizeof(rules[0]),
	    vd->vd_conf->cf_ca_id, er, &rule);
	if (r != 0)
		return r == 1 ? 0 : -1;
	vd->vd_er = er;
	r = rule->r_handler(vd, &er->er_req, &er->er_ans);
	vd->vd_er = NULL;
	if (r == -1) {
		log_warnx("malformed %s (reqid %u) from uid %u",
		    ipc_type_name(er->er_req.m_hdr.h_type),
		    er->er_req.m_hdr.h_reqid, (unsigned)er->er_peer.ip_uid);
		ipc_msg_free(&er->er_ans);
		return -1;
	}
	if (r == 0)
		ipc_evreply(er);
	return 0;
}
