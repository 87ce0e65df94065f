/*
 * keywardctl: the administrator's command line.  It talks to the signer's
 * admin socket, reads the ledger for verification, and never touches the
 * token itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "ctl.h"

#define DEFAULT_CONF	"/etc/keyward/keyward.conf"

static const struct command {
	const char	*cmd_name;
	int		(*cmd_fn)(const struct conf *, int, char **);
	const char	*cmd_usage;
} commands[] = {
	{ "init", ctl_init, "init [--key-type T] [--subordinate]" },
	{ "install-ca-cert", ctl_install_ca_cert, "install-ca-cert FILE" },
	{ "intune-key", ctl_intune_key,
	    "intune-key [--subject DN] [--out FILE]" },
	{ "issue", ctl_issue, "issue --csr FILE --profile NAME [--out FILE]" },
	{ "list", ctl_list, "list [--status valid|revoked|hold|withheld]" },
	{ "show", ctl_show, "show SERIAL" },
	{ "revoke", ctl_revoke, "revoke SERIAL --reason REASON" },
	{ "unhold", ctl_unhold, "unhold SERIAL" },
	{ "pending", ctl_pending, "pending" },
	{ "approve", ctl_approve, "approve ID" },
	{ "deny", ctl_deny, "deny ID" },
	{ "status", ctl_status, "status" },
	{ "ca-cert", ctl_ca_cert, "ca-cert" },
	{ "crl", ctl_crl, "crl [--out FILE]" },
	{ "export-ocsp", ctl_export_ocsp, "export-ocsp DIR" },
	{ "ledger", ctl_ledger, "ledger verify|checkpoint" },
	{ "sync", ctl_sync, "sync" },
};

static void
usage(void)
{
	size_t	 i;

	fprintf(stderr, "usage: keywardctl sample-config --state-dir DIR "
	    "[--listen ADDR:PORT] [--challenge SECRET]\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "       keywardctl [-c FILE] %s\n",
		    commands[i].cmd_usage);
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct conf	 cf;
	const char	*path = DEFAULT_CONF;
	size_t		 i;
	int		 r;

	log_init("keywardctl", LOG_LVL_WARN);
	if (argc >= 2 && strcmp(argv[1], "sample-config") == 0)
		return ctl_sample_config(argc - 1, argv + 1);
	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		path = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].cmd_name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr, "keywardctl: unknown command '%s'\n", argv[1]);
		usage();
	}
	if (conf_load(path, &cf) == -1)
		return 1;
	r = commands[i].cmd_fn(&cf, argc - 1, argv + 1);
	conf_free(&cf);
	return r;
}
