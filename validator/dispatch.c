/*
 * dispatch.c: the validator's rule table.  The frontend is trusted for
 * framing only: each message is checked for type, peer and size before
 * its handler decodes it field by field.
 */
#include <stddef.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
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
};

/* ipc_serve's handler: the rule table above, for our CA. */
int
dispatch(void *arg, const struct ipc_peer *p, struct ipc_msg *req,
    struct ipc_msg *ans)
{
	struct validator	*vd = arg;

	return ipc_dispatch(rules, sizeof(rules) / sizeof(rules[0]), vd,
	    vd->vd_conf->cf_ca_id, p, req, ans);
}
