/*
 * config.h: the one INI file every keyward process reads (-c FILE).
 * Unknown keys and bad values are start-up errors naming file, line, key.
 */
#ifndef KEYWARD_CONFIG_H
#define KEYWARD_CONFIG_H

#include <stdint.h>

#define CONF_PROFILES_MAX	16
#define CONF_NAME_MAX		32

/* Key types the CA, RA and OCSP keys may have. */
enum key_type {
	KEY_RSA2048, KEY_RSA3072, KEY_RSA4096, KEY_EC_P256, KEY_EC_P384,
	KEY__MAX
};

/* Key usage bits as in X.509 (bit 0 = digitalSignature). */
#define CF_KU_DIGITAL_SIGNATURE	0x001
#define CF_KU_NON_REPUDIATION	0x002
#define CF_KU_KEY_ENCIPHERMENT	0x004
#define CF_KU_DATA_ENCIPHERMENT	0x008
#define CF_KU_KEY_AGREEMENT	0x010

/* Extended key usages a profile may grant. */
#define EKU_SERVER_AUTH		0x01
#define EKU_CLIENT_AUTH		0x02
#define EKU_EMAIL_PROTECTION	0x04
#define EKU_CODE_SIGNING	0x08
#define EKU_IPSEC_IKE		0x10

/* SAN types a profile may accept from a CSR. */
#define SAN_DNS		0x01
#define SAN_EMAIL	0x02	/* rfc822Name */
#define SAN_URI		0x04
#define SAN_IP		0x08
#define SAN_UPN		0x10	/* otherName 1.3.6.1.4.1.311.20.2.3 */

/* SCEP endpoints, each bound to a challenge mode and profile rule. */
#define SCEP_EP_SCEP	0	/* /scep */
#define SCEP_EP_NDES	1	/* /certsrv/mscep/mscep.dll */
#define SCEP_EP__MAX	2

/* How an endpoint decides whether a SCEP request may be issued. */
enum challenge_mode {
	CHALLENGE_OFF,		/* endpoint disabled */
	CHALLENGE_STATIC,	/* challengePassword equals the secret file */
	CHALLENGE_RENEWAL,	/* signed by a live certificate we issued */
	CHALLENGE_MANUAL,	/* queued until an administrator decides */
	CHALLENGE_INTUNE,	/* Intune vouches for the request */
	CHALLENGE__MAX
};

/* How the validator proves itself to Entra ID. */
enum intune_auth {
	INTUNE_AUTH_SECRET,		/* client secret from a file */
	INTUNE_AUTH_CERTIFICATE,	/* JWT client assertion */
	INTUNE_AUTH_TOKEN,		/* the same, signed in the token */
	INTUNE_AUTH__MAX
};

/* What a GUID in a certificate's CN names (spec/intune.md section 11). */
enum intune_cn {
	INTUNE_CN_NONE,			/* nothing: not recorded */
	INTUNE_CN_ENTRA,		/* the Entra device id */
	INTUNE_CN_INTUNE,		/* the Intune managed device id */
	INTUNE_CN__MAX
};

/* The client assertion's signature and certificate thumbprint header. */
enum intune_alg {
	INTUNE_ALG_PS256,		/* RSASSA-PSS, x5t#S256 */
	INTUNE_ALG_RS256,		/* PKCS#1 v1.5, x5t (SHA-1) */
	INTUNE_ALG__MAX
};

struct conf_profile {
	char		 pr_name[CONF_NAME_MAX];
	int		 pr_validity_days;
	unsigned	 pr_key_usage;		/* KU_* */
	unsigned	 pr_ext_key_usage;	/* EKU_* */
	unsigned	 pr_san_types;		/* SAN_* */
	int		 pr_subject_from_csr;	/* else CN only */
};

struct conf {
	char		*cf_path;

	/* [keyward] */
	char		*cf_state_dir;
	char		*cf_run_dir;		/* sockets, status file */
	char		*cf_chroot;		/* frontend's empty root */
	char		*cf_user_signer;
	char		*cf_user_frontend;
	char		*cf_user_validator;
	char		*cf_admin_group;
	int		 cf_signer_workers;	/* 0: one per core */
	int		 cf_frontends;
	int		 cf_log_level;

	/* [token] */
	char		*cf_module;
	char		*cf_token_label;
	char		*cf_pin_file;
	char		*cf_so_pin_file;	/* SoftHSM token creation */
	char		*cf_softhsm2_conf;	/* sets SOFTHSM2_CONF */

	/* [ledger] */
	char		*cf_ledger;
	int		 cf_checkpoint_interval;	/* seconds */

	/* [ca] */
	uint32_t	 cf_ca_id;
	char		*cf_ca_name;
	char		*cf_ca_subject;
	int		 cf_ca_key_type;	/* enum key_type */
	int		 cf_ca_validity_days;
	char		*cf_ra_subject;
	int		 cf_ra_key_type;
	char		*cf_ocsp_subject;
	int		 cf_ocsp_key_type;
	int		 cf_ocsp_validity_days;
	int		 cf_ocsp_renew_days;	/* renew the responder this
						   long before it expires */
	int		 cf_max_validity_days;	/* cap over every profile */
	int		 cf_clock_skew_min;	/* notBefore back-dating */
	char		*cf_ocsp_url;
	char		*cf_ca_issuers_url;
	char		*cf_crl_url;

	/* [http] */
	char		*cf_listen;		/* ADDR:PORT */
	int		 cf_http_max_conns;
	int		 cf_http_max_inflight;	/* requests waiting on IPC */
	int		 cf_http_read_timeout;	/* seconds, whole request */
	int		 cf_http_write_timeout;	/* seconds, whole reply */
	int		 cf_http_idle_timeout;	/* seconds without a byte */
	int		 cf_http_max_body;	/* bytes */
	int		 cf_http_max_headers;	/* bytes, request line too */

	/* [ocsp] */
	char		*cf_ocsp_path;		/* POST here, GET below it */
	int		 cf_ocsp_validity;	/* seconds, thisUpdate to
						   nextUpdate */
	int		 cf_ocsp_presign_rate;	/* background signatures/s */

	/* [crl] */
	int		 cf_crl_update;		/* seconds between CRLs */
	int		 cf_crl_validity;	/* seconds, thisUpdate to
						   nextUpdate */

	/* [scep] */
	char		*cf_challenge_file;
	int		 cf_scep_legacy;	/* single DES and MD5 */
	/* Per endpoint (SCEP_EP_* in ipc.h): /scep, then the NDES path. */
	int		 cf_scep_mode[SCEP_EP__MAX];	/* challenge_mode */
	char		*cf_scep_profile[SCEP_EP__MAX];	/* name or "auto" */

	/* [intune]: Entra ID, Graph and the Intune SCEP service. */
	char		*cf_intune_tenant;	/* NULL: Intune not used */
	char		*cf_intune_client_id;
	int		 cf_intune_auth;	/* enum intune_auth */
	char		*cf_intune_secret_file;
	char		*cf_intune_cert_file;
	char		*cf_intune_key_file;
	int		 cf_intune_alg;		/* enum intune_alg */
	char		*cf_intune_authority;	/* https://.../, tenant follows */
	char		*cf_intune_graph_url;	/* https://.../ */
	char		*cf_intune_graph_scope;
	char		*cf_intune_scope;
	char		*cf_intune_app_id;	/* Intune's first-party app */
	char		*cf_intune_api_version;
	char		*cf_intune_provider;	/* callerInfo, User-Agent */
	char		*cf_intune_proxy;	/* http://HOST:PORT or NULL */
	char		*cf_intune_proxy_credentials_file;
	char		*cf_intune_ca_bundle;	/* NULL: system store */
	int		 cf_intune_connect_timeout;	/* seconds */
	int		 cf_intune_request_timeout;	/* seconds */
	int		 cf_intune_discovery_ttl;	/* seconds */
	int		 cf_intune_wait_success;
	int		 cf_intune_notify_deadline;	/* seconds */
	int		 cf_intune_sync_interval;	/* seconds, 0: off */
	int		 cf_intune_cn_binding;		/* enum intune_cn */

	struct conf_profile cf_profiles[CONF_PROFILES_MAX];
	int		 cf_nprofiles;
};

/* Loads path into cf (defaults first); on error prints one line and -1. */
int	conf_load(const char *path, struct conf *cf);
void	conf_free(struct conf *cf);
const struct conf_profile *conf_profile(const struct conf *, const char *);
int	conf_key_type(const char *name);	/* -1 if unknown */
const char *conf_key_type_name(int type);
/* Number of signer workers after resolving 0 to the core count. */
int	conf_signer_workers(const struct conf *cf);
/* Parses [http] listen ("ADDR:PORT", "[ADDR6]:PORT") into ss; -1 and why. */
struct sockaddr_storage;
int	conf_listen_parse(const char *listen, struct sockaddr_storage *ss,
	    const char **why);

#endif
