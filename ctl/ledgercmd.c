/*
 * ledgercmd.c: keywardctl ledger verify|checkpoint.  verify reads the
 * ledger file itself, so it works with the appliance stopped.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "ctl.h"
#include "ipc.h"
#include "ledger.h"

static int
verify(const struct conf *cf)
{
	struct ledger		*lg = NULL;
	struct ledger_counts	 lt;
	char			 err[512];

	ctl_drop_to_signer(cf);
	if (ledger_open(cf->cf_ledger, 1, &lg) == -1) {
		fprintf(stderr, "keywardctl: cannot open ledger %s\n",
		    cf->cf_ledger);
		return 1;
	}
	if (ledger_verify(lg, err, sizeof(err)) != 0) {
		fprintf(stderr, "keywardctl: ledger verify FAILED: %s\n", err);
		ledger_close(lg);
		return 1;
	}
	if (ledger_counts(lg, &lt) == 0)
		printf("ledger OK: %llu events, %llu certificates, last "
		    "checkpoint at event %llu\n",
		    (unsigned long long)lt.lt_events,
		    (unsigned long long)(lt.lt_valid + lt.lt_revoked +
		    lt.lt_hold + lt.lt_withheld),
		    (unsigned long long)lt.lt_checkpoint_event);
	ledger_close(lg);
	return 0;
}

static int
checkpoint(const struct conf *cf)
{
	struct ipc_msg	 req, ans;
	uint64_t	 id;
	int		 r = 1;

	ipc_msg_init(&req, IPC_REQ_CHECKPOINT, 0, 0);
	memset(&ans, 0, sizeof(ans));
	if (client_call(cf, &req, &ans) == 0) {
		ipc_get_u64(&ans, &id);
		if (ipc_get_end(&ans) == 0) {
			printf("checkpoint signed at event %llu\n",
			    (unsigned long long)id);
			r = 0;
		}
	}
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
}

int
ctl_ledger(const struct conf *cf, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "verify") == 0)
		return verify(cf);
	if (argc == 2 && strcmp(argv[1], "checkpoint") == 0)
		return checkpoint(cf);
	fprintf(stderr, "keywardctl: usage: ledger verify|checkpoint\n");
	return 2;
}
