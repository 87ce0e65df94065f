/*
 * sockets.c: the listeners the supervisor opens before any child starts:
 * the signer's three Unix sockets, the validator's and the public TCP
 * listener.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "privdrop.h"
#include "supervisor.h"

void
sockets_path(const struct conf *cf, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", cf->cf_run_dir, name);
}

static int
tcp_listen(const char *listen_on)
{
	struct sockaddr_storage	 ss;
	const char		*why = NULL;
	socklen_t		 len;
	int			 fd, one = 1;

	if (conf_listen_parse(listen_on, &ss, &why) == -1) {
		log_warnx("listen %s: %s", listen_on, why);
		return -1;
	}
	len = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 512) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Socket files: service sockets root-only or the peer's user, admin
 * sockets (the signer's, the validator's) root plus the admin group.
 * Only the supervisor connects to validator.sock, on behalf of the
 * jailed frontend. */
int
sockets_open(const struct conf *cf, struct listeners *ls)
{
	char		 path[512];
	struct group	*gr;
	uid_t		 vuid;
	gid_t		 vgid, agid = getegid();

	if (mkdir(cf->cf_run_dir, 0755) == -1 && errno != EEXIST) {
		log_warn("mkdir %s", cf->cf_run_dir);
		return -1;
	}
	if ((gr = getgrnam(cf->cf_admin_group)) != NULL)
		agid = gr->gr_gid;
	if (privdrop_lookup(cf->cf_user_validator, &vuid, &vgid) == -1)
		return -1;
	sockets_path(cf, "signer-front.sock", path, sizeof(path));
	if ((ls->ls_front = unixsock_listen(path, 0, 0, 0600)) == -1)
		return -1;
	sockets_path(cf, "signer-valid.sock", path, sizeof(path));
	if ((ls->ls_valid = unixsock_listen(path, vuid, vgid, 0600)) == -1)
		return -1;
	sockets_path(cf, "signer-valid-block.sock", path, sizeof(path));
	if ((ls->ls_vblock = unixsock_listen(path, vuid, vgid, 0600)) == -1)
		return -1;
	sockets_path(cf, "admin.sock", path, sizeof(path));
	if ((ls->ls_admin = unixsock_listen(path, 0, agid, 0660)) == -1)
		return -1;
	sockets_path(cf, "validator.sock", path, sizeof(path));
	if ((ls->ls_validator = unixsock_listen(path, 0, 0, 0600)) == -1)
		return -1;
	sockets_path(cf, "validator-admin.sock", path, sizeof(path));
	if ((ls->ls_vadmin = unixsock_listen(path, 0, agid, 0660)) == -1)
		return -1;
	if ((ls->ls_http = tcp_listen(cf->cf_listen)) == -1) {
		log_warn("listen on %s", cf->cf_listen);
		return -1;
	}
	return 0;
}
