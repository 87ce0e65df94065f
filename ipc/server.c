/*
 * server.c: the loop of a process that answers IPC requests.  It accepts
 * on its listening Unix sockets, checks each peer's credentials, reads one
 * message at a time and hands it to the process's handler.  A request is
 * handled to completion before the next, and a slow or broken peer costs
 * only its own connection.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "ipc.h"
#include "privdrop.h"

static volatile sig_atomic_t	 quit;

static void	on_term(int);
static int	accept_one(const struct ipc_server *,
		    const struct ipc_listener *, struct ipc_peer *);
static int	serve_one(const struct ipc_server *, const struct ipc_peer *);
static int	serve_wait(const struct ipc_server *, struct pollfd *, nfds_t,
		    int64_t);
static void	serve_round(const struct ipc_server *, struct pollfd *,
		    struct ipc_peer *, size_t *, int64_t *);

static void
on_term(int sig)
{
	quit = 1;
}

/* Accepts one connection if its peer may use this listener; 0 if kept. */
static int
accept_one(const struct ipc_server *sv, const struct ipc_listener *il,
    struct ipc_peer *p)
{
	struct timeval	 tv = { sv->sv_io_timeout, 0 };
	int		 fd;

	if ((fd = accept4(il->il_fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return -1;
	memset(p, 0, sizeof(*p));
	if (unixsock_peer(fd, &p->ip_uid, &p->ip_gid, &p->ip_pid) == -1 ||
	    !sv->sv_peer_ok(sv->sv_arg, il->il_peer, p->ip_uid, p->ip_gid)) {
		log_warnx("refused connection from uid %u pid %d",
		    (unsigned)p->ip_uid, (int)p->ip_pid);
		close(fd);
		return -1;
	}
	/* Once a message has started, the rest must follow promptly. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	p->ip_fd = fd;
	p->ip_peer = il->il_peer;
	p->ip_lfd = il->il_fd;
	return 0;
}

/* Reads, handles and answers one message; -1 closes the connection. */
static int
serve_one(const struct ipc_server *sv, const struct ipc_peer *p)
{
	struct ipc_msg	 req, ans;
	const char	*why = NULL;
	int		 r;

	if ((r = ipc_read(p->ip_fd, &req, &why)) != 0) {
		if (r == -1)
			log_warnx("dropping peer uid %u: %s",
			    (unsigned)p->ip_uid, why);
		return -1;
	}
	memset(&ans, 0, sizeof(ans));
	r = sv->sv_handle(sv->sv_arg, p, &req, &ans);
	if (r == 0 && ipc_write(p->ip_fd, &ans) == -1) {
		log_warnx("answer to uid %u lost", (unsigned)p->ip_uid);
		r = -1;
	}
	ipc_msg_free(&req);
	ipc_msg_free(&ans);
	return r;
}

/*
 * 1 if listener il may give us another connection.  Workers share their
 * listeners; a per-listener cap leaves the rest to the other workers, so
 * that the frontends' connections spread over all of them.
 */
static int
may_accept(const struct ipc_server *sv, const struct ipc_listener *il,
    const struct ipc_peer *conns, size_t n)
{
	size_t	 i, mine = 0;

	for (i = 0; i < n; i++)
		mine += conns[i].ip_lfd == il->il_fd;
	return n < sv->sv_conn_max && (il->il_max == 0 || mine < il->il_max);
}

/*
 * Waits for input.  Idle work runs only when a look without waiting
 * finds nothing; it may ask for a look sooner than tick_ms.
 */
static int
serve_wait(const struct ipc_server *sv, struct pollfd *pfd, nfds_t nfds,
    int64_t last)
{
	int	 ready, ms = sv->sv_tick_ms, again;

	if ((ready = poll(pfd, nfds, 0)) != 0)
		return ready;
	if (sv->sv_idle != NULL &&
	    (again = sv->sv_idle(sv->sv_arg, mono_ms() - last)) >= 0 &&
	    again < ms)
		ms = again;
	return poll(pfd, nfds, ms);
}

/*
 * One poll and what it found: messages first, then new connections.
 * last is when the latest message came.
 */
static void
serve_round(const struct ipc_server *sv, struct pollfd *pfd,
    struct ipc_peer *conns, size_t *n, int64_t *last)
{
	size_t	 nl = sv->sv_nlisteners, i;
	int	 ready;

	for (i = 0; i < nl; i++) {
		pfd[i].fd = may_accept(sv, &sv->sv_listeners[i], conns, *n) ?
		    sv->sv_listeners[i].il_fd : -1;
		pfd[i].events = POLLIN;
	}
	for (i = 0; i < *n; i++) {
		pfd[nl + i].fd = conns[i].ip_fd;
		pfd[nl + i].events = POLLIN;
	}
	if ((ready = serve_wait(sv, pfd, nl + *n, *last)) == -1) {
		if (errno != EINTR)
			fatal("poll");
		return;
	}
	if (sv->sv_tick != NULL)
		sv->sv_tick(sv->sv_arg);
	for (i = *n; i-- > 0; ) {
		if (pfd[nl + i].revents == 0)
			continue;
		*last = mono_ms();
		if (serve_one(sv, &conns[i]) == -1) {
			close(conns[i].ip_fd);
			conns[i] = conns[--*n];
		}
	}
	for (i = 0; i < nl; i++)
		if (pfd[i].revents & POLLIN &&
		    may_accept(sv, &sv->sv_listeners[i], conns, *n) &&
		    accept_one(sv, &sv->sv_listeners[i], &conns[*n]) == 0)
			(*n)++;
}

/* Serves until SIGTERM or SIGINT; fatal if a listener is unusable. */
void
ipc_serve(const struct ipc_server *sv)
{
	struct pollfd	*pfd = NULL;
	struct ipc_peer	*conns = NULL;
	size_t		 i, n = 0;
	int64_t		 last = mono_ms();

	/* Several workers may accept on one listener: never block in it. */
	for (i = 0; i < sv->sv_nlisteners; i++)
		if (fcntl(sv->sv_listeners[i].il_fd, F_SETFL, O_NONBLOCK) == -1)
			fatal("listener fd %d", sv->sv_listeners[i].il_fd);
	if ((pfd = calloc(sv->sv_nlisteners + sv->sv_conn_max,
	    sizeof(*pfd))) == NULL ||
	    (conns = calloc(sv->sv_conn_max, sizeof(*conns))) == NULL)
		fatal("ipc_serve");
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	while (!quit)
		serve_round(sv, pfd, conns, &n, &last);
	while (n > 0)
		close(conns[--n].ip_fd);
	free(conns);
	free(pfd);
}

/*
 * Checks req against a receiver's rule table, then runs the handler.  -1
 * means the peer sent something it never should (the caller drops the
 * connection); a refusal the peer may legitimately provoke is an
 * IPC_ANS_ERROR answer and returns 0.
 */
int
ipc_dispatch(const struct ipc_rule *rules, size_t nrules, void *arg,
    uint32_t ca_id, const struct ipc_peer *p, struct ipc_msg *req,
    struct ipc_msg *ans)
{
	const struct ipc_rule	*r;
	const char		*why = NULL;

	r = ipc_rule_check(rules, nrules, &req->m_hdr, p->ip_peer, &why);
	if (r == NULL) {
		log_warnx("refused %s (type %u, reqid %u, %u bytes) from "
		    "uid %u: %s", ipc_type_name(req->m_hdr.h_type),
		    req->m_hdr.h_type, req->m_hdr.h_reqid,
		    req->m_hdr.h_bodylen, (unsigned)p->ip_uid, why);
		return -1;
	}
	ipc_msg_init(ans, req->m_hdr.h_type + 1, req->m_hdr.h_reqid,
	    req->m_hdr.h_ca_id);
	if (req->m_hdr.h_ca_id != ca_id) {
		ipc_error(ans, req, IPC_ERR_NOTFOUND, "no CA with id %u here",
		    req->m_hdr.h_ca_id);
		return 0;
	}
	if (r->r_handler(arg, req, ans) == -1) {
		log_warnx("malformed %s (reqid %u) from uid %u",
		    ipc_type_name(req->m_hdr.h_type), req->m_hdr.h_reqid,
		    (unsigned)p->ip_uid);
		return -1;
	}
	return 0;
}
