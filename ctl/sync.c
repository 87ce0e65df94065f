/*
 * sync.c: keywardctl sync.  The validator holds the Graph credentials,
 * so it runs the directory sync; keywardctl asks it on its own admin
 * socket and prints what changed once the run is over.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "ctl.h"
#include "ipc.h"

int
ctl_sync(const struct conf *cf, int argc, char **argv)
{
	struct ipc_msg	 req, ans;
	uint32_t	 v[5];
	int		 i, r = 1;

	if (argc != 1) {
		fprintf(stderr, "usage: keywardctl sync\n");
		return 2;
	}
	ipc_msg_init(&req, IPC_REQ_SYNC, 0, 0);
	memset(&ans, 0, sizeof(ans));
	if (client_call_at(cf, "validator-admin.sock", "validator", &req,
	    &ans) == 0) {
		for (i = 0; i < 5; i++)
			ipc_get_u32(&ans, &v[i]);
		if (ipc_get_end(&ans) == 0) {
			printf("%u checked, %u revoked, %u held, %u released, "
			    "%u unanswered\n", v[0], v[1], v[2], v[3], v[4]);
			r = v[4] > 0 ? 3 : 0;
		}
	}
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
}
