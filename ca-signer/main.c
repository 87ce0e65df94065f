/*
 * keyward-signer: the only process that holds the token PIN, the key
 * handles and the ledger.  Started by keyward (--serve) or by keywardctl
 * for one-shot token and CA set-up (--init, --install-ca-cert).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "ledger.h"
#include "privdrop.h"
#include "sandbox.h"
#include "serve.h"
#include "signer.h"

static void	usage(void) __attribute__((noreturn));
static void	drop_to_signer(const struct conf *);
static int	serve(const struct conf *, int);

static void
usage(void)
{
	fprintf(stderr, "usage: keyward-signer -c FILE --serve N | --init "
	    "[--key-type T] [--subordinate] | --install-ca-cert FILE |\n"
	    "       --intune-key FILE [--subject DN]\n");
	exit(2);
}

/* The signer runs as its own user; token and ledger belong to it. */
static void
drop_to_signer(const struct conf *cf)
{
	uid_t	 uid;
	gid_t	 gid;

	if (privdrop_lookup(cf->cf_user_signer, &uid, &gid) == -1)
		exit(1);
	privdrop(uid, gid, NULL);
}

static int
serve(const struct conf *cf, int worker)
{
	struct signer	 sg;

	memset(&sg, 0, sizeof(sg));
	sg.sg_conf = cf;
	sg.sg_worker = worker;
	privdrop_limits();
	/* Replies to single-DES requests need it, before the filter. */
	if (cf->cf_scep_legacy && scep_legacy_load() == -1)
		fatalx("cannot load the OpenSSL legacy provider");
	if (signer_load_ca(&sg) == -1)
		return 1;
	owner_self(sg.sg_owner, sizeof(sg.sg_owner));
	if (ledger_abandon_orphans(sg.sg_ledger, owner_alive) == -1)
		fatalx("ledger: %s", ledger_errmsg(sg.sg_ledger));
	sandbox_enter(SANDBOX_SIGNER);
	log_info("worker %d ready (token '%s', CA id %u)", worker,
	    cf->cf_token_label, cf->cf_ca_id);
	serve_loop(&sg);
	ledger_close(sg.sg_ledger);
	token_close(sg.sg_token);
	X509_free(sg.sg_ca_cert);
	X509_free(sg.sg_ra_cert);
	X509_free(sg.sg_root_cert);
	X509_free(sg.sg_ocsp_cert);
	free(sg.sg_intune_thumb);
	free(sg.sg_crl.sc_der);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "serve", required_argument, NULL, 's' },
		{ "init", no_argument, NULL, 'i' },
		{ "key-type", required_argument, NULL, 'k' },
		{ "subordinate", no_argument, NULL, 'S' },
		{ "install-ca-cert", required_argument, NULL, 'I' },
		{ "intune-key", required_argument, NULL, 'N' },
		{ "subject", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf	 cf;
	const char	*path = NULL, *install = NULL, *intune = NULL;
	const char	*subject = "CN=keyward Intune app";
	int		 ch, worker = -1, init = 0, sub = 0, kt = -1, r;

	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 's': worker = atoi(optarg); break;
		case 'i': init = 1; break;
		case 'S': sub = 1; break;
		case 'I': install = optarg; break;
		case 'N': intune = optarg; break;
		case 'D': subject = optarg; break;
		case 'k':
			if ((kt = conf_key_type(optarg)) == -1)
				fatalx("unknown key type '%s' (rsa:2048, "
				    "rsa:3072, rsa:4096, ec:p256, ec:p384)",
				    optarg);
			break;
		default: usage();
		}
	}
	if (path == NULL || (worker < 0) + !init + (install == NULL) +
	    (intune == NULL) != 3)
		usage();
	log_init("keyward-signer", LOG_LVL_INFO);
	if (conf_load(path, &cf) == -1)
		return 1;
	log_setlevel(cf.cf_log_level);
	drop_to_signer(&cf);
	if (init)
		r = signer_init(&cf, kt, sub);
	else if (install != NULL)
		r = signer_install_ca(&cf, install);
	else if (intune != NULL)
		r = signer_intune_key(&cf, subject, intune);
	else
		r = serve(&cf, worker);
	conf_free(&cf);
	return r;
}
