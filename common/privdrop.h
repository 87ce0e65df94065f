/*
 * privdrop.h: how a keyward child gives up what it does not need.
 */
#ifndef KEYWARD_PRIVDROP_H
#define KEYWARD_PRIVDROP_H

#include <sys/types.h>

/* Resolves user (NULL or "" = stay as we are); fatal if unknown. */
int	privdrop_lookup(const char *user, uid_t *uid, gid_t *gid);
/* chroot (if jail), then drop to uid/gid for good; fatal on failure.
 * Does nothing when not running as root. */
void	privdrop(uid_t uid, gid_t gid, const char *jail);
/* Core dumps off, no new privileges, not dumpable. */
void	privdrop_limits(void);

/* unixsock.c */
int	unixsock_listen(const char *path, uid_t uid, gid_t gid, mode_t mode);
int	unixsock_connect(const char *path);
/* Peer credentials of a connected Unix socket. */
int	unixsock_peer(int fd, uid_t *uid, gid_t *gid, pid_t *pid);

#endif
