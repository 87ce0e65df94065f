/*
 * client.c: keywardctl's side of the admin socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "ctl.h"
#include "ipc.h"
#include "privdrop.h"

/*
 * Sends req to the process (who) behind the admin socket sock in the run
 * directory and reads its answer.  An IPC_ANS_ERROR is printed as one
 * line and returns -1, like a failure to connect.
 */
int
client_call_at(const struct conf *cf, const char *sock, const char *who,
    struct ipc_msg *req, struct ipc_msg *ans)
{
	char		 path[512], msg[IPC_STR_MAX];
	const char	*why = NULL;
	uint32_t	 code;
	int		 fd, r;

	snprintf(path, sizeof(path), "%s/%s", cf->cf_run_dir, sock);
	if ((fd = unixsock_connect(path)) == -1) {
		fprintf(stderr, "keywardctl: cannot reach the %s at %s: "
		    "is keyward running?\n", who, path);
		return -1;
	}
	req->m_hdr.h_reqid = (uint32_t)getpid();
	req->m_hdr.h_ca_id = cf->cf_ca_id;
	r = ipc_call(fd, req, ans, &why);
	close(fd);
	if (r == -1) {
		fprintf(stderr, "keywardctl: %s: %s\n", who, why);
		return -1;
	}
	if (ans->m_hdr.h_type != IPC_ANS_ERROR)
		return 0;
	ipc_get_u32(ans, &code);
	ipc_get_str(ans, msg, sizeof(msg));
	if (ipc_msg_ok(ans))
		fprintf(stderr, "keywardctl: %s\n", msg);
	else
		fprintf(stderr, "keywardctl: malformed error from the %s\n",
		    who);
	ipc_msg_free(ans);
	return -1;
}

/* client_call_at for the signer's admin socket. */
int
client_call(const struct conf *cf, struct ipc_msg *req, struct ipc_msg *ans)
{
	return client_call_at(cf, "admin.sock", "signer", req, ans);
}

/* Ledger files must stay the signer's: root reads them as that user. */
void
ctl_drop_to_signer(const struct conf *cf)
{
	uid_t	 uid;
	gid_t	 gid;

	if (privdrop_lookup(cf->cf_user_signer, &uid, &gid) == -1)
		exit(1);
	privdrop(uid, gid, NULL);
}
