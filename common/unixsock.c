/*
 * unixsock.c: the Unix sockets that join keyward's processes.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "privdrop.h"

static int	unixsock_addr(const char *, struct sockaddr_un *);

static int
unixsock_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		log_warnx("socket path too long: %s", path);
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/* Binds a fresh listening socket at path owned by uid:gid with mode. */
int
unixsock_listen(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	struct sockaddr_un	 sun;
	int			 fd;

	if (unixsock_addr(path, &sun) == -1)
		return -1;
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("unlink %s", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("socket");
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, mode) == -1 ||
	    (geteuid() == 0 && chown(path, uid, gid) == -1) ||
	    listen(fd, 128) == -1) {
		log_warn("listen on %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

int
unixsock_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	if (unixsock_addr(path, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
unixsock_peer(int fd, uid_t *uid, gid_t *gid, pid_t *pid)
{
	struct ucred	 cr;
	socklen_t	 len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return -1;
	*uid = cr.uid;
	*gid = cr.gid;
	*pid = cr.pid;
	return 0;
}
