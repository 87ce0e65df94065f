/*
 * pending.c: keywardctl pending, approve ID, deny ID — the administrator's
 * side of the manual challenge mode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "ctl.h"
#include "ipc.h"

static int	pending_page(struct ipc_msg *, uint64_t *);
static int	id_request(const struct conf *, uint16_t, int, char **,
		    const char *, struct ipc_msg *);

/* Prints one page of waiting requests; the number printed, or -1. */
static int
pending_page(struct ipc_msg *ans, uint64_t *last)
{
	char		 txid[129], subject[IPC_STR_MAX], profile[64];
	char		 requester[IPC_STR_MAX], when[32];
	uint64_t	 ts;
	uint32_t	 n, i;

	ipc_get_u32(ans, &n);
	for (i = 0; i < n && ipc_msg_ok(ans); i++) {
		ipc_get_u64(ans, last);
		ipc_get_u64(ans, &ts);
		ipc_get_str(ans, txid, sizeof(txid));
		ipc_get_str(ans, subject, sizeof(subject));
		ipc_get_str(ans, profile, sizeof(profile));
		ipc_get_str(ans, requester, sizeof(requester));
		if (!ipc_msg_ok(ans))
			break;
		fmt_time(ts, when, sizeof(when));
		printf("%-6llu %-20s %-10s %-40s %s\n",
		    (unsigned long long)*last, when, profile, subject, txid);
	}
	if (ipc_get_end(ans) == -1) {
		fprintf(stderr, "keywardctl: malformed answer\n");
		return -1;
	}
	return (int)n;
}

int
ctl_pending(const struct conf *cf, int argc, char **argv)
{
	struct ipc_msg	 req, ans;
	uint64_t	 last = 0;
	int		 n;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "keywardctl: usage: pending\n");
		return 2;
	}
	printf("%-6s %-20s %-10s %-40s %s\n", "ID", "RECEIVED", "PROFILE",
	    "SUBJECT", "TRANSACTION");
	do {
		ipc_msg_init(&req, IPC_REQ_PENDING, 0, 0);
		ipc_put_u64(&req, last);
		memset(&ans, 0, sizeof(ans));
		n = client_call(cf, &req, &ans) == 0 ?
		    pending_page(&ans, &last) : -1;
		ipc_msg_free(&req);
		ipc_msg_free(&ans);
	} while (n == IPC_LIST_MAX);
	return n < 0 ? 1 : 0;
}

/* Sends type for the request id in argv[1]; ans holds the answer on 0. */
static int
id_request(const struct conf *cf, uint16_t type, int argc, char **argv,
    const char *verb, struct ipc_msg *ans)
{
	struct ipc_msg	 req;
	unsigned long long id;
	char		*end;
	int		 r;

	memset(ans, 0, sizeof(*ans));
	if (argc != 2) {
		fprintf(stderr, "keywardctl: usage: %s ID\n", verb);
		return 2;
	}
	errno = 0;
	id = strtoull(argv[1], &end, 10);
	if (argv[1][0] < '0' || argv[1][0] > '9' || *end != '\0' ||
	    errno != 0 || id > INT64_MAX) {
		fprintf(stderr, "keywardctl: '%s' is not a request id (see "
		    "keywardctl pending)\n", argv[1]);
		return 1;
	}
	ipc_msg_init(&req, type, 0, 0);
	ipc_put_u64(&req, (uint64_t)id);
	r = client_call(cf, &req, ans) == 0 ? 0 : 1;
	ipc_msg_free(&req);
	return r;
}

int
ctl_approve(const struct conf *cf, int argc, char **argv)
{
	struct ipc_msg	 ans;
	char		 serial[SERIAL_HEX_MAX];
	int		 r;

	if ((r = id_request(cf, IPC_REQ_APPROVE, argc, argv, "approve",
	    &ans)) == 0 && (r = cert_result(&ans, NULL, 0, serial)) == 0)
		printf("approved %s: issued %s\n", argv[1], serial);
	ipc_msg_free(&ans);
	return r;
}

int
ctl_deny(const struct conf *cf, int argc, char **argv)
{
	struct ipc_msg	 ans;
	int		 r;

	if ((r = id_request(cf, IPC_REQ_DENY, argc, argv, "deny",
	    &ans)) == 0 && (r = ipc_get_end(&ans) == 0 ? 0 : 1) == 0)
		printf("denied %s\n", argv[1]);
	ipc_msg_free(&ans);
	return r;
}
