/*
 * supervisor.h: keyward, the parent.  It opens the listeners, starts each
 * child with fork+exec, restarts a child that dies and stops them all.
 */
#ifndef KEYWARD_SUPERVISOR_H
#define KEYWARD_SUPERVISOR_H

#include <sys/types.h>
#include <time.h>

struct conf;

enum child_kind { CHILD_SIGNER, CHILD_VALIDATOR, CHILD_FRONTEND };

#define CHILDREN_MAX	96

struct child {
	enum child_kind	 ch_kind;
	int		 ch_index;
	pid_t		 ch_pid;		/* 0 while down */
	struct timespec	 ch_started;
	struct timespec	 ch_restart_at;		/* while down */
	double		 ch_backoff;		/* seconds */
	unsigned	 ch_restarts;
};

struct listeners {
	int	 ls_front;	/* signer-front.sock */
	int	 ls_valid;	/* signer-valid.sock: the validator's pool */
	int	 ls_vblock;	/* signer-valid-block.sock: its rare calls */
	int	 ls_admin;	/* admin.sock */
	int	 ls_validator;	/* validator.sock: frontend -> validator */
	int	 ls_vadmin;	/* validator-admin.sock: keywardctl sync */
	int	 ls_http;	/* TCP */
};

/* sockets.c */
int	sockets_open(const struct conf *, struct listeners *);
void	sockets_path(const struct conf *, const char *name, char *, size_t);

/* children.c */
int	children_init(const struct conf *, const struct listeners *);
void	children_start_due(void);
void	children_reaped(pid_t, int status);
void	children_stop(void);
int	children_next_timeout_ms(void);

#endif
