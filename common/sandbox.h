/*
 * sandbox.h: the seccomp filter a keyward child enters once it holds
 * every file, socket and library it will use.
 */
#ifndef KEYWARD_SANDBOX_H
#define KEYWARD_SANDBOX_H

enum sandbox_kind {
	SANDBOX_FRONTEND,
	SANDBOX_VALIDATOR,
	SANDBOX_SIGNER,
	SANDBOX__MAX
};

/*
 * From now on the process may make only the system calls of its kind;
 * any other kills it.  Fatal on failure.  A sanitizer build skips it.
 */
void	sandbox_enter(enum sandbox_kind);

#endif
