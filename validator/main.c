/*
 * keyward-validator: decides whether a request may be issued (challenge
 * modes, Intune, directory checks) and asks the signer to act.  It holds
 * the Intune credentials and nothing of the CA.
 */
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "intune.h"
#include "ipcev.h"
#include "privdrop.h"
#include "sandbox.h"
#include "validator.h"

#define CONN_MAX	16	/* one per frontend, with room for restarts */
#define INFLIGHT_MAX	64	/* requests per connection */

static int	peer_allowed(void *, unsigned, uid_t, gid_t);
static int	secret_load(struct validator *);
static int	serve(struct validator *);
static void	on_term(evutil_socket_t, short, void *);

/* The supervisor (root) connects on behalf of the jailed frontend;
 * keywardctl runs as root or in the admin group. */
static int
peer_allowed(void *arg, unsigned peer, uid_t uid, gid_t gid)
{
	const struct validator	*vd = arg;

	if (uid == 0 || uid == vd->vd_uid)
		return 1;
	if (peer == PEER_ADMIN)
		return gid == vd->vd_admin_gid;
	return uid == vd->vd_frontend_uid;
}

/* The static challenge, if an endpoint uses it; read while any file may
 * still be opened. */
static int
secret_load(struct validator *vd)
{
	const struct conf	*cf = vd->vd_conf;
	int			 ep;

	for (ep = 0; ep < SCEP_EP__MAX; ep++)
		if (cf->cf_scep_mode[ep] == CHALLENGE_STATIC)
			break;
	if (ep == SCEP_EP__MAX)
		return 0;
	if (cf->cf_challenge_file == NULL) {
		log_warnx("a static challenge needs [scep] challenge_file");
		return -1;
	}
	return secret_read(cf->cf_challenge_file, vd->vd_secret,
	    sizeof(vd->vd_secret));
}

static void
on_term(evutil_socket_t fd, short ev, void *arg)
{
	event_base_loopbreak(arg);
}

static int
serve(struct validator *vd)
{
	static const struct ipc_listener ls[] = {
		{ VALID_FD_LISTEN, PEER_FRONTEND, 0 },
		{ VALID_FD_ADMIN, PEER_ADMIN, 0 },
	};
	static struct ipc_evserver sv = {
		.es_listeners = ls, .es_nlisteners = 2,
		.es_conn_max = CONN_MAX, .es_inflight_max = INFLIGHT_MAX,
		.es_peer_ok = peer_allowed, .es_handle = dispatch,
	};
	struct event	*term, *intr;

	sv.es_base = vd->vd_base;
	sv.es_arg = vd;
	if (ipc_evserve(&sv) == -1 ||
	    (term = evsignal_new(vd->vd_base, SIGTERM, on_term,
	    vd->vd_base)) == NULL || evsignal_add(term, NULL) == -1 ||
	    (intr = evsignal_new(vd->vd_base, SIGINT, on_term,
	    vd->vd_base)) == NULL || evsignal_add(intr, NULL) == -1) {
		log_warnx("cannot serve on fd %d", VALID_FD_LISTEN);
		return -1;
	}
	log_info("ready");
	event_base_dispatch(vd->vd_base);
	event_free(term);
	event_free(intr);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct conf		 cf;
	struct validator	 vd;
	struct group		*gr;
	uid_t			 uid;
	gid_t			 gid, fgid;

	if (argc != 3 || strcmp(argv[1], "-c") != 0) {
		fprintf(stderr, "usage: keyward-validator -c FILE\n");
		return 2;
	}
	log_init("keyward-validator", LOG_LVL_INFO);
	if (conf_load(argv[2], &cf) == -1)
		return 1;
	log_setlevel(cf.cf_log_level);
	memset(&vd, 0, sizeof(vd));
	vd.vd_conf = &cf;
	vd.vd_signer_fd = -1;
	vd.vd_signer_max = conf_signer_workers(&cf);
	gr = getgrnam(cf.cf_admin_group);	/* none: root only */
	vd.vd_admin_gid = gr != NULL ? gr->gr_gid : (gid_t)-1;
	if (privdrop_lookup(cf.cf_user_validator, &uid, &gid) == -1 ||
	    privdrop_lookup(cf.cf_user_frontend, &vd.vd_frontend_uid,
	    &fgid) == -1 || secret_load(&vd) == -1)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	if ((vd.vd_base = event_base_new()) == NULL ||
	    (vd.vd_signer = ipc_pool_new("signer", cf.cf_ca_id, NULL)) ==
	    NULL)
		fatalx("event_base_new");
	privdrop(uid, gid, NULL);
	privdrop_limits();
	vd.vd_uid = getuid();
	/* Its secret or key file is read now, as the validator's user. */
	if (cf.cf_intune_tenant != NULL &&
	    (vd.vd_intune = intune_new(vd.vd_base, &cf)) == NULL)
		fatalx("intune: cannot start the client");
	if (vd.vd_intune != NULL && cf.cf_intune_auth == INTUNE_AUTH_TOKEN)
		intune_set_assertion(vd.vd_intune, signer_assertion, &vd);
	if (vd.vd_intune != NULL && (vd.vd_dirsync = dirsync_new(&vd)) == NULL)
		fatalx("dirsync: cannot start");
	sandbox_enter(SANDBOX_VALIDATOR);
	if ((vd.vd_ca_cert = signer_cacert(&vd)) == NULL ||
	    serve(&vd) == -1)
		return 1;
	log_info("exiting");
	ipc_pool_free(vd.vd_signer);
	signer_close(&vd);
	X509_free(vd.vd_ca_cert);
	explicit_bzero(vd.vd_secret, sizeof(vd.vd_secret));
	dirsync_free(vd.vd_dirsync);
	intune_free(vd.vd_intune);
	event_base_free(vd.vd_base);
	conf_free(&cf);
	return 0;
}
