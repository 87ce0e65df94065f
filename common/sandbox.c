/*
 * sandbox.c: the last step of a child's start-up.  A seccomp filter allows
 * the system calls the process makes while it serves and kills it on any
 * other; a few calls fail quietly with EACCES instead, where a library
 * tries something harmless and copes with the refusal (OpenSSH's
 * SC_DENY).  The lists come from strace -f of every child through the
 * end-to-end tests, and of libcurl 7.88 under the validator's filter, on
 * Debian 12 amd64 (glibc 2.36, OpenSSL 3.0, libevent 2.1, SQLite 3.40,
 * SoftHSM 2.6); a new library version may need a new entry, which shows
 * as a child killed by signal 31 (SIGSYS).
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>

#include <seccomp.h>

#include "common.h"
#include "sandbox.h"

#ifdef KW_SANITIZERS

/* ASan and UBSan make system calls of their own: no filter. */
void
sandbox_enter(enum sandbox_kind kind)
{
	log_debug("sandbox: off in a sanitizer build");
}

#else

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define LIST(a)		(a), nitems(a)
#define INT_ARG		0xffffffffULL	/* compare the low 32 bits only */
#define DENY		SCMP_ACT_ERRNO(EACCES)

/*
 * A call allowed, or refused, only when (argument & mask) == value; a
 * mask of 0 applies the action whatever the arguments.
 */
struct sandbox_arg {
	int		 sa_nr;
	uint32_t	 sa_action;
	unsigned int	 sa_arg;
	uint64_t	 sa_mask;
	uint64_t	 sa_value;
};

struct sandbox_policy {
	const char			*sp_name;
	const int			*sp_allow;
	size_t				 sp_nallow;
	const int			*sp_deny;	/* fail with EACCES */
	size_t				 sp_ndeny;
	const struct sandbox_arg	*sp_args;
	size_t				 sp_nargs;
};

/* Every child: I/O on fds it holds, memory, signals, time, exit. */
static const int allow_base[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(close),
	SCMP_SYS(newfstatat),			/* stdio sizes stderr */
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(futex),			/* OpenSSL's locks */
	SCMP_SYS(getrandom),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), /* if no vDSO */
	SCMP_SYS(exit_group),
};

/*
 * Memory, never executable: a dlopen() in the jail fails quietly.  stdio
 * asks isatty() of a stderr that is a tty or /dev/null: "no".
 */
static const struct sandbox_arg args_base[] = {
	{ SCMP_SYS(mmap), SCMP_ACT_ALLOW, 2, PROT_EXEC, 0 },
	{ SCMP_SYS(mmap), DENY, 2, PROT_EXEC, PROT_EXEC },
	{ SCMP_SYS(ioctl), DENY, 1, INT_ARG, TCGETS },
};

/*
 * Frontend: libevent's epoll loop on its listener, its clients and its
 * IPC connections.  evhttp half-closes with shutdown(), as the deadlines
 * do, and sizes its reads with ioctl(FIONREAD).  No open, socket,
 * connect or exec.
 */
static const int allow_frontend[] = {
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_ctl), SCMP_SYS(accept4),
	SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(shutdown),
};
static const struct sandbox_arg args_frontend[] = {
	{ SCMP_SYS(ioctl), SCMP_ACT_ALLOW, 1, INT_ARG, FIONREAD },
};

/*
 * Validator: libevent's epoll loop; accepts the frontend's connections on
 * its listener, checks SO_PEERCRED, connects to the signer by path.  For libcurl: a resolver
 * thread (clone with CLONE_THREAD only, rseq, set_robust_list, madvise
 * when it exits), read-only opens of resolv.conf, hosts and the CA
 * bundle, DNS over UDP (sendmmsg, recvfrom) and TCP to Entra and Graph.
 * clone3 says ENOSYS so that glibc falls back to clone, whose flags a
 * filter can read.
 */
static const int allow_validator[] = {
	SCMP_SYS(accept4), SCMP_SYS(connect), SCMP_SYS(socketpair),
	SCMP_SYS(poll), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(sendto), SCMP_SYS(sendmmsg), SCMP_SYS(recvfrom),
	SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
	SCMP_SYS(getpeername), SCMP_SYS(lseek), SCMP_SYS(rt_sigtimedwait),
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(madvise),
	SCMP_SYS(exit), SCMP_SYS(getpid), SCMP_SYS(fcntl), SCMP_SYS(uname),
};
static const struct sandbox_arg args_validator[] = {
	{ SCMP_SYS(socket), SCMP_ACT_ALLOW, 0, INT_ARG, AF_UNIX },
	{ SCMP_SYS(socket), SCMP_ACT_ALLOW, 0, INT_ARG, AF_INET },
	{ SCMP_SYS(socket), SCMP_ACT_ALLOW, 0, INT_ARG, AF_INET6 },
	{ SCMP_SYS(openat), SCMP_ACT_ALLOW, 2, O_ACCMODE | O_CREAT | O_TRUNC,
	    O_RDONLY },
	{ SCMP_SYS(clone), SCMP_ACT_ALLOW, 0, CLONE_THREAD, CLONE_THREAD },
	{ SCMP_SYS(clone3), SCMP_ACT_ERRNO(ENOSYS), 0, 0, 0 },
	{ SCMP_SYS(mprotect), SCMP_ACT_ALLOW, 2, PROT_EXEC, 0 },
	{ SCMP_SYS(ioctl), SCMP_ACT_ALLOW, 1, INT_ARG, FIONREAD },
};

/*
 * Signer: accepts on its listeners, checks SO_PEERCRED and getpwnam()s
 * the peer (reads /etc/passwd), reads /proc for owner_alive.  SoftHSM
 * reads its token files under fcntl locks; SQLite writes the ledger, its
 * WAL and the mmap()ed -shm, syncs the directory, unlinks -wal and -shm
 * on close, sleeps while another worker holds the lock, and names a temp
 * file for a big sort with access().
 */
static const int allow_signer[] = {
	SCMP_SYS(accept4), SCMP_SYS(poll), SCMP_SYS(geteuid),
	SCMP_SYS(openat), SCMP_SYS(lseek), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64), SCMP_SYS(fcntl), SCMP_SYS(fdatasync),
	SCMP_SYS(ftruncate), SCMP_SYS(unlink), SCMP_SYS(access),
	SCMP_SYS(getpid), SCMP_SYS(clock_nanosleep),
};
/* glibc tries nscd first; SQLite need not fix a new file's owner. */
static const int deny_signer[] = {
	SCMP_SYS(socket), SCMP_SYS(fchown), SCMP_SYS(fchmod),
};
static const struct sandbox_arg args_signer[] = {
	{ SCMP_SYS(getsockopt), SCMP_ACT_ALLOW, 2, INT_ARG, SO_PEERCRED },
	{ SCMP_SYS(setsockopt), SCMP_ACT_ALLOW, 2, INT_ARG, SO_RCVTIMEO },
	{ SCMP_SYS(setsockopt), SCMP_ACT_ALLOW, 2, INT_ARG, SO_SNDTIMEO },
};

static const struct sandbox_policy policies[SANDBOX__MAX] = {
	[SANDBOX_FRONTEND] = { "frontend", LIST(allow_frontend), NULL, 0,
	    LIST(args_frontend) },
	[SANDBOX_VALIDATOR] = { "validator", LIST(allow_validator), NULL, 0,
	    LIST(args_validator) },
	[SANDBOX_SIGNER] = { "signer", LIST(allow_signer), LIST(deny_signer),
	    LIST(args_signer) },
};

/* Adds one rule per call in list; fatal if libseccomp refuses one. */
static void
add_list(scmp_filter_ctx ctx, uint32_t action, const int *list, size_t n)
{
	size_t	 i;
	int	 r;

	for (i = 0; i < n; i++)
		if ((r = seccomp_rule_add(ctx, action, list[i], 0)) < 0)
			fatalx("seccomp_rule_add syscall %d: %s", list[i],
			    strerror(-r));
}

/* Adds one rule per entry, with its argument check. */
static void
add_args(scmp_filter_ctx ctx, const struct sandbox_arg *list, size_t n)
{
	const struct sandbox_arg	*a;
	size_t				 i;
	int				 r;

	for (i = 0; i < n; i++) {
		a = &list[i];
		if (a->sa_mask == 0)
			r = seccomp_rule_add(ctx, a->sa_action, a->sa_nr, 0);
		else
			r = seccomp_rule_add(ctx, a->sa_action, a->sa_nr, 1,
			    SCMP_CMP(a->sa_arg, SCMP_CMP_MASKED_EQ, a->sa_mask,
			    a->sa_value));
		if (r < 0)
			fatalx("seccomp_rule_add syscall %d: %s", a->sa_nr,
			    strerror(-r));
	}
}

void
sandbox_enter(enum sandbox_kind kind)
{
	const struct sandbox_policy	*sp;
	scmp_filter_ctx			 ctx;
	int				 r;

	if ((unsigned int)kind >= SANDBOX__MAX)
		fatalx("sandbox: unknown kind %d", (int)kind);
	sp = &policies[kind];
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		fatalx("seccomp_init");
	add_list(ctx, SCMP_ACT_ALLOW, LIST(allow_base));
	add_args(ctx, LIST(args_base));
	add_list(ctx, SCMP_ACT_ALLOW, sp->sp_allow, sp->sp_nallow);
	add_list(ctx, DENY, sp->sp_deny, sp->sp_ndeny);
	add_args(ctx, sp->sp_args, sp->sp_nargs);
	if ((r = seccomp_load(ctx)) < 0)
		fatalx("seccomp_load: %s", strerror(-r));
	seccomp_release(ctx);
	log_debug("sandbox: %s filter loaded", sp->sp_name);
}

#endif
