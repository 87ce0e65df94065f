/*
 * ctl.h: keywardctl's private interfaces.
 */
#ifndef KEYWARD_CTL_H
#define KEYWARD_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct conf;
struct ipc_msg;

/* sample.c */
int	ctl_sample_config(int argc, char **argv);

/* init.c: init and install-ca-cert (token work runs in keyward-signer). */
int	ctl_init(const struct conf *, int argc, char **argv);
int	ctl_intune_key(const struct conf *, int argc, char **argv);
int	ctl_install_ca_cert(const struct conf *, int argc, char **argv);

/* client.c: the admin socket. */
int	client_call_at(const struct conf *, const char *sock,
	    const char *who, struct ipc_msg *req, struct ipc_msg *ans);
int	client_call(const struct conf *, struct ipc_msg *req,
	    struct ipc_msg *ans);
void	ctl_drop_to_signer(const struct conf *);

/* commands.c */
void	fmt_time(uint64_t, char *out, size_t len);
int	cert_result(struct ipc_msg *ans, FILE *pem, int verbose,
	    char *serial);
int	ctl_issue(const struct conf *, int argc, char **argv);
int	ctl_list(const struct conf *, int argc, char **argv);
int	ctl_show(const struct conf *, int argc, char **argv);
int	ctl_revoke(const struct conf *, int argc, char **argv);
int	ctl_unhold(const struct conf *, int argc, char **argv);
int	ctl_status(const struct conf *, int argc, char **argv);
int	ctl_ca_cert(const struct conf *, int argc, char **argv);

/* pending.c: manual approval of SCEP requests. */
int	ctl_pending(const struct conf *, int argc, char **argv);
int	ctl_approve(const struct conf *, int argc, char **argv);
int	ctl_deny(const struct conf *, int argc, char **argv);

/* revcmd.c */
int	ctl_crl(const struct conf *, int argc, char **argv);
int	ctl_export_ocsp(const struct conf *, int argc, char **argv);

/* ledgercmd.c */
int	ctl_ledger(const struct conf *, int argc, char **argv);

/* sync.c */
int	ctl_sync(const struct conf *, int, char **);

#endif
