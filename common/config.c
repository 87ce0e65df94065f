/*
 * config.c: reads the one INI file with libinih.  Every key is one row of
 * conf_kws[] (section, key, parser, offset), so an unknown key, a bad value
 * and a key given twice are all refused the same way, naming file, line and
 * key.  Only the first error is reported.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "common.h"
#include "config.h"

#define PROFILE_PREFIX	"profile."
#define VALIDITY_MAX	36500	/* days: 100 years */
#define SUBJECT_MAX	512
#define URL_MAX		255	/* copied into every certificate */
#define LABEL_MAX	32	/* CK_TOKEN_INFO label is 32 bytes */
#define USER_MAX	32
#define URLPATH_MAX	63
#define WORKERS_MAX	64
#define HTTP_TIMEOUT_MAX 600	/* seconds */
#define LISTEN_HELP	"ADDR:PORT with an IPv4 literal or a bracketed " \
			"IPv6 literal, e.g. 127.0.0.1:8080 or [::1]:8080"
#define LOWER_NAME	"abcdefghijklmnopqrstuvwxyz0123456789_-"
#define ALNUM		"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"abcdefghijklmnopqrstuvwxyz0123456789"
#define IDENT_MAX	253	/* a tenant may be a DNS domain */
#define SCOPE_MAX	255
#define PROVIDER_MAX	64

struct cparse;
struct conf_kw;

/* A value parser: 1 with the value stored at dst, 0 after cp_fail. */
typedef int	parse_fn(struct cparse *, const struct conf_kw *,
		    const char *, void *);

/* A value name for enums and comma lists. */
struct conf_name {
	const char	*cn_name;
	int		 cn_val;
};

struct conf_kw {
	const char	*kw_sec;	/* "profile." matches [profile.NAME] */
	const char	*kw_key;
	parse_fn	*kw_parse;
	size_t		 kw_off;	/* in struct conf or conf_profile */
	long		 kw_min;	/* numbers; lists: 0 allows "none" */
	long		 kw_max;	/* numbers; strings: maximum length */
	const struct conf_name *kw_names;	/* enums and lists */
};

static parse_fn	p_path, p_str, p_user, p_caname, p_subject, p_url, p_listen,
		    p_num, p_enum, p_rsa, p_flags, p_ident, p_https, p_proxy,
		    p_urlpath;

static const struct conf_name key_types[] = {
	{ "rsa:2048", KEY_RSA2048 },	{ "rsa:3072", KEY_RSA3072 },
	{ "rsa:4096", KEY_RSA4096 },	{ "ec:p256", KEY_EC_P256 },
	{ "ec:p384", KEY_EC_P384 },	{ NULL, 0 }
};

static const struct conf_name log_levels[] = {
	{ "error", LOG_LVL_ERR },	{ "warn", LOG_LVL_WARN },
	{ "info", LOG_LVL_INFO },	{ "debug", LOG_LVL_DEBUG },
	{ NULL, 0 }
};

static const struct conf_name bools[] = {
	{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
	{ "1", 1 }, { "0", 0 }, { NULL, 0 }
};

static const struct conf_name key_usages[] = {
	{ "digitalSignature", CF_KU_DIGITAL_SIGNATURE },
	{ "nonRepudiation", CF_KU_NON_REPUDIATION },
	{ "keyEncipherment", CF_KU_KEY_ENCIPHERMENT },
	{ "dataEncipherment", CF_KU_DATA_ENCIPHERMENT },
	{ "keyAgreement", CF_KU_KEY_AGREEMENT },
	{ NULL, 0 }
};

static const struct conf_name ext_key_usages[] = {
	{ "serverAuth", EKU_SERVER_AUTH },
	{ "clientAuth", EKU_CLIENT_AUTH },
	{ "emailProtection", EKU_EMAIL_PROTECTION },
	{ "codeSigning", EKU_CODE_SIGNING },
	{ "ipsecIKE", EKU_IPSEC_IKE },
	{ NULL, 0 }
};

static const struct conf_name challenge_modes[] = {
	{ "off", CHALLENGE_OFF },	{ "static", CHALLENGE_STATIC },
	{ "renewal", CHALLENGE_RENEWAL }, { "manual", CHALLENGE_MANUAL },
	{ "intune", CHALLENGE_INTUNE },
	{ NULL, 0 }
};

static const struct conf_name intune_cns[] = {
	{ "none", INTUNE_CN_NONE },	{ "entra", INTUNE_CN_ENTRA },
	{ "intune", INTUNE_CN_INTUNE },	{ NULL, 0 }
};

static const struct conf_name intune_auths[] = {
	{ "secret", INTUNE_AUTH_SECRET },
	{ "certificate", INTUNE_AUTH_CERTIFICATE },
	{ "token", INTUNE_AUTH_TOKEN }, { NULL, 0 }
};

static const struct conf_name intune_algs[] = {
	{ "PS256", INTUNE_ALG_PS256 }, { "RS256", INTUNE_ALG_RS256 },
	{ NULL, 0 }
};

static const struct conf_name san_types[] = {
	{ "dns", SAN_DNS }, { "email", SAN_EMAIL }, { "uri", SAN_URI },
	{ "ip", SAN_IP }, { "upn", SAN_UPN }, { NULL, 0 }
};

#define CF(m)	offsetof(struct conf, m)
#define PR(m)	offsetof(struct conf_profile, m)

static const struct conf_kw conf_kws[] = {
	/* section, key, parser, offset, min, max, names */
	{ "keyward", "state_dir", p_path, CF(cf_state_dir), 0, 0, NULL },
	{ "keyward", "run_dir", p_path, CF(cf_run_dir), 0, 0, NULL },
	{ "keyward", "chroot", p_path, CF(cf_chroot), 0, 0, NULL },
	{ "keyward", "user_signer", p_user, CF(cf_user_signer), 0, 0, NULL },
	{ "keyward", "user_frontend", p_user,
	    CF(cf_user_frontend), 0, 0, NULL },
	{ "keyward", "user_validator", p_user,
	    CF(cf_user_validator), 0, 0, NULL },
	{ "keyward", "admin_group", p_user, CF(cf_admin_group), 0, 0, NULL },
	{ "keyward", "signer_workers", p_num,
	    CF(cf_signer_workers), 0, WORKERS_MAX, NULL },
	{ "keyward", "frontends", p_num, CF(cf_frontends), 1, 16, NULL },
	{ "keyward", "log_level", p_enum, CF(cf_log_level), 0, 0, log_levels },
	{ "token", "module", p_path, CF(cf_module), 0, 0, NULL },
	{ "token", "label", p_str, CF(cf_token_label), 0, LABEL_MAX, NULL },
	{ "token", "pin_file", p_path, CF(cf_pin_file), 0, 0, NULL },
	{ "token", "so_pin_file", p_path, CF(cf_so_pin_file), 0, 0, NULL },
	{ "token", "softhsm2_conf", p_path, CF(cf_softhsm2_conf), 0, 0, NULL },
	{ "ledger", "path", p_path, CF(cf_ledger), 0, 0, NULL },
	{ "ledger", "checkpoint_interval", p_num,
	    CF(cf_checkpoint_interval), 0, 30 * 86400, NULL },
	{ "ca", "id", p_num, CF(cf_ca_id), 1, 65535, NULL },
	{ "ca", "name", p_caname, CF(cf_ca_name), 0, 0, NULL },
	{ "ca", "subject", p_subject, CF(cf_ca_subject), 0, 0, NULL },
	{ "ca", "key_type", p_enum, CF(cf_ca_key_type), 0, 0, key_types },
	{ "ca", "validity_days", p_num,
	    CF(cf_ca_validity_days), 1, VALIDITY_MAX, NULL },
	{ "ca", "ra_subject", p_subject, CF(cf_ra_subject), 0, 0, NULL },
	{ "ca", "ra_key_type", p_rsa, CF(cf_ra_key_type), 0, 0, key_types },
	{ "ca", "ocsp_subject", p_subject, CF(cf_ocsp_subject), 0, 0, NULL },
	{ "ca", "ocsp_key_type", p_enum,
	    CF(cf_ocsp_key_type), 0, 0, key_types },
	{ "ca", "ocsp_validity_days", p_num,
	    CF(cf_ocsp_validity_days), 1, VALIDITY_MAX, NULL },
	{ "ca", "ocsp_renew_days", p_num,
	    CF(cf_ocsp_renew_days), 1, VALIDITY_MAX, NULL },
	{ "ca", "max_validity_days", p_num,
	    CF(cf_max_validity_days), 1, VALIDITY_MAX, NULL },
	{ "ca", "clock_skew_minutes", p_num,
	    CF(cf_clock_skew_min), 0, 1440, NULL },
	{ "ca", "ocsp_url", p_url, CF(cf_ocsp_url), 0, 0, NULL },
	{ "ca", "ca_issuers_url", p_url, CF(cf_ca_issuers_url), 0, 0, NULL },
	{ "ca", "crl_url", p_url, CF(cf_crl_url), 0, 0, NULL },
	{ "http", "listen", p_listen, CF(cf_listen), 0, 0, NULL },
	{ "http", "max_connections", p_num,
	    CF(cf_http_max_conns), 1, 4096, NULL },
	{ "http", "max_inflight", p_num,
	    CF(cf_http_max_inflight), 1, 1024, NULL },
	{ "http", "read_timeout", p_num,
	    CF(cf_http_read_timeout), 1, HTTP_TIMEOUT_MAX, NULL },
	{ "http", "write_timeout", p_num,
	    CF(cf_http_write_timeout), 1, HTTP_TIMEOUT_MAX, NULL },
	{ "http", "idle_timeout", p_num,
	    CF(cf_http_idle_timeout), 1, HTTP_TIMEOUT_MAX, NULL },
	/* Headers: at least 16 KiB, for PKIOperation by GET. */
	{ "http", "max_body", p_num,
	    CF(cf_http_max_body), 1024, 1024 * 1024, NULL },
	{ "http", "max_headers", p_num,
	    CF(cf_http_max_headers), 16 * 1024, 1024 * 1024, NULL },
	{ "ocsp", "path", p_urlpath, CF(cf_ocsp_path), 0, URLPATH_MAX, NULL },
	{ "ocsp", "validity_seconds", p_num,
	    CF(cf_ocsp_validity), 60, 30 * 86400, NULL },
	{ "ocsp", "presign_rate", p_num,
	    CF(cf_ocsp_presign_rate), 0, 10000, NULL },
	{ "crl", "update_seconds", p_num,
	    CF(cf_crl_update), 1, 30 * 86400, NULL },
	{ "crl", "validity_seconds", p_num,
	    CF(cf_crl_validity), 60, 365 * 86400, NULL },
	{ "scep", "challenge_file", p_path, CF(cf_challenge_file), 0, 0, NULL },
	{ "scep", "legacy", p_enum, CF(cf_scep_legacy), 0, 0, bools },
	{ "scep", "scep_challenge", p_enum, CF(cf_scep_mode[SCEP_EP_SCEP]),
	    0, 0, challenge_modes },
	{ "scep", "scep_profile", p_str, CF(cf_scep_profile[SCEP_EP_SCEP]),
	    0, CONF_NAME_MAX - 1, NULL },
	{ "scep", "ndes_challenge", p_enum, CF(cf_scep_mode[SCEP_EP_NDES]),
	    0, 0, challenge_modes },
	{ "scep", "ndes_profile", p_str, CF(cf_scep_profile[SCEP_EP_NDES]),
	    0, CONF_NAME_MAX - 1, NULL },
	{ "intune", "tenant", p_ident, CF(cf_intune_tenant), 0, IDENT_MAX,
	    NULL },
	{ "intune", "client_id", p_ident, CF(cf_intune_client_id), 0, 64,
	    NULL },
	{ "intune", "auth", p_enum, CF(cf_intune_auth), 0, 0, intune_auths },
	{ "intune", "secret_file", p_path, CF(cf_intune_secret_file), 0, 0,
	    NULL },
	{ "intune", "certificate_file", p_path, CF(cf_intune_cert_file), 0, 0,
	    NULL },
	{ "intune", "key_file", p_path, CF(cf_intune_key_file), 0, 0, NULL },
	{ "intune", "assertion_alg", p_enum, CF(cf_intune_alg), 0, 0,
	    intune_algs },
	{ "intune", "authority", p_https, CF(cf_intune_authority), 0, 0,
	    NULL },
	{ "intune", "graph_url", p_https, CF(cf_intune_graph_url), 0, 0,
	    NULL },
	{ "intune", "graph_scope", p_str, CF(cf_intune_graph_scope), 0,
	    SCOPE_MAX, NULL },
	{ "intune", "intune_scope", p_str, CF(cf_intune_scope), 0,
	    SCOPE_MAX, NULL },
	{ "intune", "app_id", p_ident, CF(cf_intune_app_id), 0, 64, NULL },
	{ "intune", "api_version", p_ident, CF(cf_intune_api_version), 0, 32,
	    NULL },
	{ "intune", "provider", p_str, CF(cf_intune_provider), 0,
	    PROVIDER_MAX, NULL },
	{ "intune", "proxy", p_proxy, CF(cf_intune_proxy), 0, 0, NULL },
	{ "intune", "proxy_credentials_file", p_path,
	    CF(cf_intune_proxy_credentials_file), 0, 0, NULL },
	{ "intune", "tls_ca_bundle", p_path, CF(cf_intune_ca_bundle), 0, 0,
	    NULL },
	{ "intune", "connect_timeout", p_num, CF(cf_intune_connect_timeout),
	    1, 300, NULL },
	{ "intune", "request_timeout", p_num, CF(cf_intune_request_timeout),
	    1, 600, NULL },
	{ "intune", "discovery_ttl", p_num, CF(cf_intune_discovery_ttl),
	    60, 7 * 86400, NULL },
	{ "intune", "wait_for_success_notification", p_enum,
	    CF(cf_intune_wait_success), 0, 0, bools },
	{ "intune", "notification_deadline", p_num,
	    CF(cf_intune_notify_deadline), 10, 7 * 86400, NULL },
	{ "intune", "sync_interval", p_num, CF(cf_intune_sync_interval),
	    0, 7 * 86400, NULL },
	{ "intune", "cn_binding", p_enum, CF(cf_intune_cn_binding), 0, 0,
	    intune_cns },
	{ PROFILE_PREFIX, "validity_days", p_num,
	    PR(pr_validity_days), 1, VALIDITY_MAX, NULL },
	{ PROFILE_PREFIX, "key_usage", p_flags,
	    PR(pr_key_usage), 1, 0, key_usages },
	{ PROFILE_PREFIX, "extended_key_usage", p_flags,
	    PR(pr_ext_key_usage), 1, 0, ext_key_usages },
	{ PROFILE_PREFIX, "san_types", p_flags,
	    PR(pr_san_types), 0, 0, san_types },
	{ PROFILE_PREFIX, "subject_from_csr", p_enum,
	    PR(pr_subject_from_csr), 0, 0, bools },
};
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define NKWS		nitems(conf_kws)

/* Every string member, for conf_free. */
static const size_t conf_strs[] = {
	CF(cf_path), CF(cf_state_dir), CF(cf_run_dir), CF(cf_chroot),
	CF(cf_user_signer), CF(cf_user_frontend), CF(cf_user_validator),
	CF(cf_admin_group), CF(cf_module), CF(cf_token_label),
	CF(cf_pin_file), CF(cf_so_pin_file), CF(cf_softhsm2_conf),
	CF(cf_ledger), CF(cf_ca_name), CF(cf_ca_subject), CF(cf_ra_subject),
	CF(cf_ocsp_subject), CF(cf_ocsp_url), CF(cf_ca_issuers_url),
	CF(cf_crl_url), CF(cf_listen), CF(cf_challenge_file), CF(cf_ocsp_path),
	CF(cf_scep_profile[SCEP_EP_SCEP]), CF(cf_scep_profile[SCEP_EP_NDES]),
	CF(cf_intune_tenant), CF(cf_intune_client_id),
	CF(cf_intune_secret_file), CF(cf_intune_cert_file),
	CF(cf_intune_key_file), CF(cf_intune_authority),
	CF(cf_intune_graph_url), CF(cf_intune_graph_scope),
	CF(cf_intune_scope), CF(cf_intune_app_id), CF(cf_intune_api_version),
	CF(cf_intune_provider), CF(cf_intune_proxy),
	CF(cf_intune_proxy_credentials_file), CF(cf_intune_ca_bundle),
};

/* String defaults that do not depend on other keys. */
static const struct {
	size_t		 sd_off;
	const char	*sd_val;
} str_defaults[] = {
	{ CF(cf_state_dir),		"/var/lib/keyward" },
	{ CF(cf_user_signer),		"keyward-signer" },
	{ CF(cf_user_frontend),		"keyward-frontend" },
	{ CF(cf_user_validator),	"keyward-validator" },
	{ CF(cf_admin_group),		"keyward-admin" },
	{ CF(cf_module),		"/usr/lib/softhsm/libsofthsm2.so" },
	{ CF(cf_token_label),		"keyward" },
	{ CF(cf_ca_name),		"keyward" },
	{ CF(cf_listen),		"127.0.0.1:8080" },
	{ CF(cf_ocsp_path),		"/ocsp" },
	{ CF(cf_scep_profile[SCEP_EP_SCEP]), "auto" },
	{ CF(cf_scep_profile[SCEP_EP_NDES]), "auto" },
	/* Microsoft's public cloud; the scopes stay Microsoft's even when
	 * the URLs point elsewhere (a national cloud, a test server). */
	{ CF(cf_intune_authority),	"https://login.microsoftonline.com/" },
	{ CF(cf_intune_graph_url),	"https://graph.microsoft.com/" },
	{ CF(cf_intune_graph_scope),	"https://graph.microsoft.com/.default" },
	{ CF(cf_intune_scope),	"https://api.manage.microsoft.com//.default" },
	{ CF(cf_intune_app_id),	"0000000a-0000-0000-c000-000000000000" },
	{ CF(cf_intune_api_version),	"2018-02-20" },
	{ CF(cf_intune_provider),	"keyward/" KW_VERSION },
};

/* Parser state shared by the reader, the handler and the final checks. */
struct cparse {
	struct conf	*cp_cf;
	const char	*cp_path;
	FILE		*cp_fp;
	int		 cp_line;	/* line the reader returned last */
	const char	*cp_sec;	/* key being parsed, for messages */
	const char	*cp_key;
	int		 cp_failed;
	int		 cp_errline;	/* 0: no line (checks after parsing) */
	char		 cp_err[1024];
	/* Line on which each key was set; row 0 global, row n profile n-1. */
	int		 cp_seen[CONF_PROFILES_MAX + 1][NKWS];
};

static int	cp_fail(struct cparse *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	cp_post(struct cparse *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Records the first error only: "FILE:LINE: " ("FILE: " for line 0), then
 * "[section] key: " when a key is being parsed, then the message.
 */
static void
cp_verr(struct cparse *cp, int line, int withkey, const char *fmt,
    va_list ap)
{
	size_t	 size = sizeof(cp->cp_err);
	int	 n;

	if (cp->cp_failed)
		return;
	cp->cp_failed = 1;
	cp->cp_errline = line;
	if (line > 0)
		n = snprintf(cp->cp_err, size, "%s:%d: ", cp->cp_path, line);
	else
		n = snprintf(cp->cp_err, size, "%s: ", cp->cp_path);
	if (withkey && cp->cp_key != NULL && n >= 0 && (size_t)n < size)
		n += snprintf(cp->cp_err + n, size - n, "[%s] %s: ",
		    cp->cp_sec, cp->cp_key);
	if (n >= 0 && (size_t)n < size)
		vsnprintf(cp->cp_err + n, size - n, fmt, ap);
}

/* An error on the line being parsed; returns 0 for parsers to return. */
static int
cp_fail(struct cparse *cp, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cp_verr(cp, cp->cp_line, 1, fmt, ap);
	va_end(ap);
	return 0;
}

/* An error found after parsing; line 0 when no line applies. */
static void
cp_post(struct cparse *cp, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cp_verr(cp, line, 0, fmt, ap);
	va_end(ap);
}

/* Index of a name in a NULL-terminated table, or -1. */
static int
name_find(const struct conf_name *names, const char *name)
{
	int	 i;

	for (i = 0; names[i].cn_name != NULL; i++)
		if (strcmp(names[i].cn_name, name) == 0)
			return i;
	return -1;
}

/* Writes "a, b or c" for error messages. */
static const char *
name_list(const struct conf_name *names, char *buf, size_t bufsz)
{
	size_t	 len = 0;
	int	 i, n;

	buf[0] = '\0';
	for (i = 0; names[i].cn_name != NULL && len < bufsz; i++) {
		n = snprintf(buf + len, bufsz - len, "%s%s", i == 0 ? "" :
		    names[i + 1].cn_name == NULL ? " or " : ", ",
		    names[i].cn_name);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	return buf;
}

/* Replaces the string at dst with a copy of val. */
static int
set_str(struct cparse *cp, void *dst, const char *val)
{
	char	**sp = dst, *s;

	if ((s = strdup(val)) == NULL)
		return cp_fail(cp, "out of memory");
	free(*sp);
	*sp = s;
	return 1;
}

/* True if s has no control characters (UTF-8 bytes are allowed). */
static int
is_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* True if s is 1..max characters, each from set. */
static int
is_word(const char *s, size_t max, const char *set)
{
	size_t	 len = strlen(s);

	return len > 0 && len <= max && strspn(s, set) == len;
}

static int
p_path(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	if (val[0] != '/')
		return cp_fail(cp, "\"%.64s\" must be an absolute path "
		    "(expected a path starting with /)", val);
	if (!is_text(val))
		return cp_fail(cp, "control character in path");
	return set_str(cp, dst, val);
}

static int
p_str(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	if (val[0] == '\0' || !is_text(val) ||
	    (kw->kw_max > 0 && strlen(val) > (size_t)kw->kw_max))
		return cp_fail(cp, "bad value (expected 1 to %ld printable "
		    "characters)", kw->kw_max);
	return set_str(cp, dst, val);
}

/* User and group names as Debian's adduser accepts them by default. */
static int
p_user(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	if (!is_word(val, USER_MAX, LOWER_NAME) || val[0] == '-' ||
	    (val[0] >= '0' && val[0] <= '9'))
		return cp_fail(cp, "bad name \"%.64s\" (expected 1 to %d of "
		    "a-z, 0-9, _ and -, not starting with a digit or -)",
		    val, USER_MAX);
	return set_str(cp, dst, val);
}

/* The CA name appears in URLs and file names: keep it to a safe set. */
static int
p_caname(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	if (!is_word(val, CONF_NAME_MAX - 1, ALNUM "._-") ||
	    strchr("._-", val[0]) != NULL)
		return cp_fail(cp, "bad name \"%.64s\" (expected 1 to %d of "
		    "A-Z, a-z, 0-9, ., _ and -, starting with a letter or "
		    "digit)", val, CONF_NAME_MAX - 1);
	return set_str(cp, dst, val);
}

/* Only the shape is checked here; the signer parses the DN itself. */
static int
p_subject(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	size_t	 attr = strspn(val, ALNUM ".");

	if (attr == 0 || val[attr] != '=' || val[attr + 1] == '\0' ||
	    !is_text(val) || strlen(val) > SUBJECT_MAX)
		return cp_fail(cp, "bad subject \"%.64s\" (expected a DN of "
		    "at most %d characters such as CN=keyward Root CA,"
		    "O=keyward)", val, SUBJECT_MAX);
	return set_str(cp, dst, val);
}

/* A URL with the given scheme and a host; form is for the message. */
static int
url_set(struct cparse *cp, const char *val, void *dst, const char *scheme,
    const char *form)
{
	size_t	 pfx = strlen(scheme);

	if (strncmp(val, scheme, pfx) != 0 || val[pfx] == '\0' ||
	    val[pfx] == '/')
		return cp_fail(cp, "bad URL \"%.64s\" (expected %s)", val,
		    form);
	if (strlen(val) > URL_MAX || strpbrk(val, " \"<>\\^`{|}") != NULL ||
	    !is_text(val))
		return cp_fail(cp, "bad URL (expected at most %d characters, "
		    "no spaces, quotes or control characters)", URL_MAX);
	return set_str(cp, dst, val);
}

/* AIA and CRL distribution points are fetched over plain HTTP (RFC 5280). */
static int
p_url(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	return url_set(cp, val, dst, "http://", "http://HOST[:PORT]/PATH");
}

/* Entra ID and Graph bases: paths are appended, so they end in /. */
static int
p_https(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	if (val[0] != '\0' && val[strlen(val) - 1] != '/')
		return cp_fail(cp, "bad URL \"%.64s\" (expected https://HOST"
		    "[:PORT]/[PATH/], ending in /)", val);
	return url_set(cp, val, dst, "https://", "https://HOST[:PORT]/");
}

/* Proxy credentials live in their own file, never in the URL. */
static int
p_proxy(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	if (strchr(val, '@') != NULL)
		return cp_fail(cp, "credentials in the URL (expected "
		    "http://HOST:PORT and [intune] proxy_credentials_file)");
	return url_set(cp, val, dst, "http://", "http://HOST:PORT");
}

/* Names that go into URLs: tenant (GUID or domain), ids, versions. */
static int
p_ident(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	if (!is_word(val, (size_t)kw->kw_max, ALNUM ".-"))
		return cp_fail(cp, "bad value \"%.64s\" (expected 1 to %ld of "
		    "A-Z, a-z, 0-9, . and -)", val, kw->kw_max);
	return set_str(cp, dst, val);
}

/* The OCSP path: POST goes to it, GET appends "/" and the request. */
static int
p_urlpath(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	size_t	 len = strlen(val);

	if (val[0] != '/' || len > (size_t)kw->kw_max ||
	    strspn(val, ALNUM "/._~-") != len ||
	    (len > 1 && val[len - 1] == '/') || strstr(val, "//") != NULL)
		return cp_fail(cp, "bad path \"%.64s\" (expected / or /NAME"
		    "[/NAME...], at most %ld of A-Z, a-z, 0-9, ., _, ~ and -)",
		    val, kw->kw_max);
	return set_str(cp, dst, val);
}

static int
p_listen(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	struct sockaddr_storage	 ss;
	const char		*why;

	if (conf_listen_parse(val, &ss, &why) == -1)
		return cp_fail(cp, "\"%.64s\": %s (expected " LISTEN_HELP ")",
		    val, why);
	return set_str(cp, dst, val);
}

/* Parses a whole decimal string; out of range values saturate. */
static int
parse_long(const char *s, long *n)
{
	char	*end;

	if ((s[0] < '0' || s[0] > '9') && s[0] != '-')
		return -1;
	errno = 0;
	*n = strtol(s, &end, 10);
	if (end == s || *end != '\0')
		return -1;
	return 0;
}

/* Number members are int or uint32_t: one width, so one store serves. */
_Static_assert(sizeof(int) == sizeof(uint32_t), "number member width");

/* A number in the key's range; uint32_t rows have kw_min >= 0. */
static int
p_num(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	long	 n;
	int	 v;

	if (parse_long(val, &n) == -1)
		return cp_fail(cp, "\"%.64s\" is not a number (expected an "
		    "integer in %ld..%ld)", val, kw->kw_min, kw->kw_max);
	if (n < kw->kw_min || n > kw->kw_max)
		return cp_fail(cp, "%.64s is out of range (expected %ld..%ld)",
		    val, kw->kw_min, kw->kw_max);
	v = (int)n;
	memcpy(dst, &v, sizeof(v));
	return 1;
}

static int
p_enum(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	char	 list[256];
	int	 i;

	if ((i = name_find(kw->kw_names, val)) == -1)
		return cp_fail(cp, "unknown value \"%.64s\" (expected %s)", val,
		    name_list(kw->kw_names, list, sizeof(list)));
	*(int *)dst = kw->kw_names[i].cn_val;
	return 1;
}

/* SCEP clients encrypt their request to the RA key, so it must be RSA. */
static int
p_rsa(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	int	 type;

	if (!p_enum(cp, kw, val, &type))
		return 0;
	if (type != KEY_RSA2048 && type != KEY_RSA3072 && type != KEY_RSA4096)
		return cp_fail(cp, "the RA key must be RSA for SCEP key "
		    "transport (expected rsa:2048, rsa:3072 or rsa:4096)");
	*(int *)dst = type;
	return 1;
}

/* A comma-separated list of names from kw_names, ORed into a mask. */
static int
p_flags(struct cparse *cp, const struct conf_kw *kw, const char *val,
    void *dst)
{
	char		 buf[512], list[256], *item, *next;
	unsigned	 mask = 0;
	size_t		 len;
	int		 i;

	name_list(kw->kw_names, list, sizeof(list));
	if (kw->kw_min == 0 && strcmp(val, "none") == 0) {
		*(unsigned *)dst = 0;
		return 1;
	}
	if (strlen(val) >= sizeof(buf))
		return cp_fail(cp, "list too long");
	memcpy(buf, val, strlen(val) + 1);
	if (buf[0] == '\0')
		return cp_fail(cp, "empty list (expected a comma-separated "
		    "list of %s%s)", list, kw->kw_min == 0 ? ", or none" : "");
	for (next = buf; (item = strsep(&next, ",")) != NULL; ) {
		item += strspn(item, " \t");
		len = strcspn(item, " \t");
		if (item[len + strspn(item + len, " \t")] != '\0')
			return cp_fail(cp, "missing comma after \"%.*s\"",
			    (int)len, item);
		item[len] = '\0';
		if (len == 0)
			return cp_fail(cp, "empty item in list");
		if ((i = name_find(kw->kw_names, item)) == -1)
			return cp_fail(cp, "unknown item \"%.64s\" (expected "
			    "a comma-separated list of %s)", item, list);
		mask |= (unsigned)kw->kw_names[i].cn_val;
	}
	*(unsigned *)dst = mask;
	return 1;
}

/* Finds or adds the profile of [profile.NAME]; row gets its index + 1. */
static struct conf_profile *
profile_get(struct cparse *cp, const char *name, int *row)
{
	struct conf			*cf = cp->cp_cf;
	struct conf_profile		*pr;
	const struct conf_profile	*old;
	int				 i;

	if (!is_word(name, CONF_NAME_MAX - 1, LOWER_NAME)) {
		cp_fail(cp, "bad profile name \"%.64s\" (expected 1 to %d of "
		    "a-z, 0-9, _ and -)", name, CONF_NAME_MAX - 1);
		return NULL;
	}
	old = conf_profile(cf, name);
	i = old != NULL ? (int)(old - cf->cf_profiles) : cf->cf_nprofiles;
	if (i == CONF_PROFILES_MAX) {
		cp_fail(cp, "too many profiles (expected at most %d)",
		    CONF_PROFILES_MAX);
		return NULL;
	}
	if (i == cf->cf_nprofiles) {
		/* Defaults grant the least; validity is resolved at the end. */
		pr = &cf->cf_profiles[cf->cf_nprofiles++];
		memset(pr, 0, sizeof(*pr));
		snprintf(pr->pr_name, sizeof(pr->pr_name), "%s", name);
		pr->pr_key_usage = CF_KU_DIGITAL_SIGNATURE;
		pr->pr_ext_key_usage = EKU_CLIENT_AUTH;
	}
	*row = i + 1;
	return &cf->cf_profiles[i];
}

/* Index of the row for sec and key, or -1. */
static int
kw_index(const char *sec, const char *key)
{
	size_t	 i;

	for (i = 0; i < NKWS; i++)
		if (strcmp(conf_kws[i].kw_sec, sec) == 0 &&
		    strcmp(conf_kws[i].kw_key, key) == 0)
			return (int)i;
	return -1;
}

/* Index of the row for sec and key; else fails naming what is expected. */
static int
kw_lookup(struct cparse *cp, const char *sec, const char *key)
{
	char	 keys[512];
	size_t	 i, len = 0;
	int	 n;

	if ((n = kw_index(sec, key)) != -1)
		return n;
	keys[0] = '\0';
	for (i = 0; i < NKWS; i++) {
		if (strcmp(conf_kws[i].kw_sec, sec) != 0)
			continue;
		n = snprintf(keys + len, sizeof(keys) - len, "%s%s",
		    len == 0 ? "" : ", ", conf_kws[i].kw_key);
		if (n > 0 && (size_t)n < sizeof(keys) - len)
			len += (size_t)n;
	}
	if (len == 0)
		cp_fail(cp, "unknown section (expected keyward, token, ledger, "
		    "ca, http, ocsp, crl, scep, intune or profile.NAME)");
	else
		cp_fail(cp, "unknown key (expected one of %s)", keys);
	return -1;
}

/* inih's callback: one key = value line. */
static int
conf_handler(void *arg, const char *sec, const char *key, const char *val)
{
	struct cparse		*cp = arg;
	struct conf_profile	*pr;
	const struct conf_kw	*kw;
	void			*base = cp->cp_cf;
	const char		*kwsec = sec;
	int			 i, row = 0;

	/* Only the first error is reported; skip the rest. */
	if (cp->cp_failed)
		return 1;
	cp->cp_sec = sec;
	cp->cp_key = key;
	if (sec[0] == '\0')
		return cp_fail(cp, "key outside any section (expected a "
		    "[section] line before it)");
	if (strncmp(sec, PROFILE_PREFIX, strlen(PROFILE_PREFIX)) == 0) {
		pr = profile_get(cp, sec + strlen(PROFILE_PREFIX), &row);
		if (pr == NULL)
			return 0;
		base = pr;
		kwsec = PROFILE_PREFIX;
	}
	if ((i = kw_lookup(cp, kwsec, key)) == -1)
		return 0;
	if (cp->cp_seen[row][i] != 0)
		return cp_fail(cp, "given twice (first on line %d)",
		    cp->cp_seen[row][i]);
	kw = &conf_kws[i];
	if (val[0] == '"' || val[0] == '\'')
		return cp_fail(cp, "quoted value (expected the value without "
		    "quotes)");
	if (!kw->kw_parse(cp, kw, val, (char *)base + kw->kw_off))
		return 0;
	cp->cp_seen[row][i] = cp->cp_line;
	return 1;
}

/*
 * fgets for inih that counts lines (inih does not pass them to the handler)
 * and refuses lines longer than inih's buffer instead of splitting them.
 */
static char *
conf_reader(char *buf, int size, void *arg)
{
	struct cparse	*cp = arg;
	size_t		 len, skip;
	int		 c;

	if (fgets(buf, size, cp->cp_fp) == NULL)
		return NULL;
	cp->cp_line++;
	cp->cp_sec = cp->cp_key = NULL;
	len = strlen(buf);
	if ((len == 0 || buf[len - 1] != '\n') && !feof(cp->cp_fp)) {
		while ((c = getc(cp->cp_fp)) != EOF && c != '\n')
			;
		cp_fail(cp, "line too long or has a NUL byte (expected at "
		    "most %d characters)", size - 3);
		buf[0] = '\0';
		return buf;
	}
	/* inih reads an indented line as the continuation of the previous
	 * value; we make it an ordinary line, which is what people expect. */
	skip = strspn(buf, " \t");
	memmove(buf, buf + skip, len - skip + 1);
	return buf;
}

static char **
str_at(struct conf *cf, size_t off)
{
	return (char **)(void *)((char *)cf + off);
}

/* Sets every default that does not depend on another key. */
static int
conf_defaults(struct conf *cf, const char *path)
{
	size_t	 i;

	memset(cf, 0, sizeof(*cf));
	if ((cf->cf_path = strdup(path)) == NULL)
		return -1;
	for (i = 0; i < nitems(str_defaults); i++)
		if ((*str_at(cf, str_defaults[i].sd_off) =
		    strdup(str_defaults[i].sd_val)) == NULL)
			return -1;
	cf->cf_signer_workers = 0;
	cf->cf_frontends = 1;
	cf->cf_log_level = LOG_LVL_INFO;
	cf->cf_checkpoint_interval = 3600;
	cf->cf_ca_id = 1;
	cf->cf_ca_key_type = KEY_RSA3072;
	cf->cf_ca_validity_days = 3650;
	cf->cf_ra_key_type = KEY_RSA2048;
	cf->cf_ocsp_key_type = KEY_RSA2048;
	cf->cf_ocsp_validity_days = 30;
	cf->cf_ocsp_validity = 86400;
	cf->cf_ocsp_presign_rate = 20;
	cf->cf_crl_update = 3600;
	cf->cf_crl_validity = 86400;
	cf->cf_max_validity_days = 730;
	cf->cf_scep_mode[SCEP_EP_SCEP] = -1;	/* static with a secret file */
	cf->cf_scep_mode[SCEP_EP_NDES] = -1;	/* intune with a tenant */
	cf->cf_clock_skew_min = 5;
	cf->cf_http_max_conns = 256;
	cf->cf_http_max_inflight = 32;
	cf->cf_http_read_timeout = 20;
	cf->cf_http_write_timeout = 20;
	cf->cf_http_idle_timeout = 10;
	cf->cf_http_max_body = 64 * 1024;
	cf->cf_http_max_headers = 32 * 1024;
	cf->cf_intune_auth = INTUNE_AUTH_SECRET;
	cf->cf_intune_alg = INTUNE_ALG_PS256;
	cf->cf_intune_connect_timeout = 10;
	cf->cf_intune_request_timeout = 60;
	cf->cf_intune_discovery_ttl = 86400;
	cf->cf_intune_wait_success = 1;
	cf->cf_intune_notify_deadline = 3600;
	cf->cf_intune_sync_interval = 3600;
	return 0;
}

/* Sets a default built from another key, unless the file set it. */
static void
derive(struct cparse *cp, char **sp, const char *a, const char *b,
    const char *c)
{
	if (*sp == NULL && asprintf(sp, "%s%s%s", a, b, c) == -1) {
		*sp = NULL;
		cp_post(cp, 0, "out of memory");
	}
}

/* Line on which a key was set in row (0: global), 0 if it was not. */
static int
kw_line(struct cparse *cp, int row, const char *sec, const char *key)
{
	int	 i = kw_index(sec, key);

	return i == -1 ? 0 : cp->cp_seen[row][i];
}

/* The later of the lines on which two keys of one section were set. */
static int
later_line(struct cparse *cp, const char *sec, const char *k1,
    const char *k2)
{
	int	 l1 = kw_line(cp, 0, sec, k1), l2 = kw_line(cp, 0, sec, k2);

	return l1 > l2 ? l1 : l2;
}

/* Each SCEP endpoint's profile must exist (auto needs device and user),
 * and a static challenge needs its secret file. */
static void
scep_check(struct cparse *cp)
{
	static const char *const keys[SCEP_EP__MAX][2] = {
		{ "scep_challenge", "scep_profile" },
		{ "ndes_challenge", "ndes_profile" },
	};
	struct conf	*cf = cp->cp_cf;
	const char	*pr;
	int		 ep;

	if (cf->cf_scep_mode[SCEP_EP_SCEP] == -1)
		cf->cf_scep_mode[SCEP_EP_SCEP] = cf->cf_challenge_file != NULL ?
		    CHALLENGE_STATIC : CHALLENGE_OFF;
	if (cf->cf_scep_mode[SCEP_EP_NDES] == -1)
		cf->cf_scep_mode[SCEP_EP_NDES] = cf->cf_intune_tenant != NULL ?
		    CHALLENGE_INTUNE : CHALLENGE_OFF;
	for (ep = 0; ep < SCEP_EP__MAX; ep++) {
		if (cf->cf_scep_mode[ep] == CHALLENGE_OFF)
			continue;
		pr = cf->cf_scep_profile[ep];
		if (strcmp(pr, "auto") == 0 ? conf_profile(cf, "device") ==
		    NULL || conf_profile(cf, "user") == NULL :
		    conf_profile(cf, pr) == NULL)
			cp_post(cp, kw_line(cp, 0, "scep", keys[ep][1]),
			    "[scep] %s: no profile '%s'%s", keys[ep][1],
			    strcmp(pr, "auto") == 0 ? "device' or 'user" : pr,
			    strcmp(pr, "auto") == 0 ? " (auto needs both)" : "");
		if (cf->cf_scep_mode[ep] == CHALLENGE_STATIC &&
		    cf->cf_challenge_file == NULL)
			cp_post(cp, kw_line(cp, 0, "scep", keys[ep][0]),
			    "[scep] %s = static needs [scep] challenge_file",
			    keys[ep][0]);
		if (cf->cf_scep_mode[ep] == CHALLENGE_INTUNE &&
		    cf->cf_intune_tenant == NULL)
			cp_post(cp, kw_line(cp, 0, "scep", keys[ep][0]),
			    "[scep] %s = intune needs an [intune] section with "
			    "tenant and client_id", keys[ep][0]);
	}
}

/* Any [intune] key makes the section live: then it must be complete. */
static void
intune_check(struct cparse *cp)
{
	struct conf	*cf = cp->cp_cf;
	size_t		 i;
	int		 line = 0;

	for (i = 0; i < NKWS; i++)
		if (strcmp(conf_kws[i].kw_sec, "intune") == 0 &&
		    cp->cp_seen[0][i] > line)
			line = cp->cp_seen[0][i];
	if (line == 0)
		return;
	if (cf->cf_intune_tenant == NULL)
		cp_post(cp, line, "[intune] tenant is required when [intune] "
		    "is used");
	else if (cf->cf_intune_client_id == NULL)
		cp_post(cp, line, "[intune] client_id is required");
	else if (cf->cf_intune_auth == INTUNE_AUTH_SECRET &&
	    cf->cf_intune_secret_file == NULL)
		cp_post(cp, kw_line(cp, 0, "intune", "auth"), "[intune] auth = "
		    "secret needs [intune] secret_file");
	else if (cf->cf_intune_auth == INTUNE_AUTH_CERTIFICATE &&
	    (cf->cf_intune_cert_file == NULL || cf->cf_intune_key_file == NULL))
		cp_post(cp, kw_line(cp, 0, "intune", "auth"), "[intune] auth = "
		    "certificate needs [intune] certificate_file and key_file");
	else if (cf->cf_intune_proxy_credentials_file != NULL &&
	    cf->cf_intune_proxy == NULL)
		cp_post(cp, kw_line(cp, 0, "intune", "proxy_credentials_file"),
		    "[intune] proxy_credentials_file needs [intune] proxy");
}

/* The responder is renewed before it expires; CRLs overlap. */
static void
revocation_check(struct cparse *cp)
{
	struct conf	*cf = cp->cp_cf;

	if (cf->cf_ocsp_renew_days == 0)
		cf->cf_ocsp_renew_days = cf->cf_ocsp_validity_days / 3;
	else if (cf->cf_ocsp_renew_days >= cf->cf_ocsp_validity_days)
		cp_post(cp, later_line(cp, "ca",
		    "ocsp_renew_days", "ocsp_validity_days"), "[ca] ocsp_renew_days: %d is not "
		    "below [ca] ocsp_validity_days %d (the new certificate "
		    "would be renewed at once)", cf->cf_ocsp_renew_days,
		    cf->cf_ocsp_validity_days);
	if (cf->cf_crl_validity <= cf->cf_crl_update)
		cp_post(cp, kw_line(cp, 0, "crl", "validity_seconds"),
		    "[crl] validity_seconds: %d is not above [crl] "
		    "update_seconds %d (relying parties would hold an expired "
		    "CRL)", cf->cf_crl_validity, cf->cf_crl_update);
}

/* Checks what needs the whole file: required keys and ranges across keys. */
static void
conf_check(struct cparse *cp)
{
	struct conf		*cf = cp->cp_cf;
	struct conf_profile	*pr;
	int			 i, max = cf->cf_max_validity_days;

	if (cf->cf_pin_file == NULL)
		cp_post(cp, 0, "[token] pin_file is required");
	if (cf->cf_ca_subject == NULL)
		cp_post(cp, 0, "[ca] subject is required");
	if (max > cf->cf_ca_validity_days)
		cp_post(cp, later_line(cp, "ca", "max_validity_days",
		    "validity_days"), "[ca] max_validity_days: %d exceeds "
		    "[ca] validity_days %d (a certificate must not outlive its "
		    "CA)", max, cf->cf_ca_validity_days);
	if (cf->cf_ocsp_validity_days > cf->cf_ca_validity_days)
		cp_post(cp, later_line(cp, "ca", "ocsp_validity_days",
		    "validity_days"), "[ca] ocsp_validity_days: %d exceeds "
		    "[ca] validity_days %d (a certificate must not outlive its "
		    "CA)", cf->cf_ocsp_validity_days, cf->cf_ca_validity_days);
	/* A silent connection is dropped at read_timeout in any case. */
	if (cf->cf_http_idle_timeout > cf->cf_http_read_timeout)
		cp_post(cp, later_line(cp, "http", "idle_timeout",
		    "read_timeout"), "[http] idle_timeout: %d exceeds [http] "
		    "read_timeout %d", cf->cf_http_idle_timeout,
		    cf->cf_http_read_timeout);
	intune_check(cp);	/* first: scep_check builds on it */
	revocation_check(cp);
	scep_check(cp);
	for (i = 0; i < cf->cf_nprofiles; i++) {
		pr = &cf->cf_profiles[i];
		if (pr->pr_validity_days == 0)
			pr->pr_validity_days = max < 365 ? max : 365;
		else if (pr->pr_validity_days > max)
			cp_post(cp, kw_line(cp, i + 1, PROFILE_PREFIX,
			    "validity_days"), "[profile.%s] validity_days: %d "
			    "exceeds [ca] max_validity_days %d", pr->pr_name,
			    pr->pr_validity_days, max);
	}
}

/* Fills the defaults that are built from other keys. */
static void
conf_derive(struct cparse *cp)
{
	struct conf	*cf = cp->cp_cf;

	derive(cp, &cf->cf_run_dir, cf->cf_state_dir, "/run", "");
	derive(cp, &cf->cf_chroot, cf->cf_state_dir, "/empty", "");
	derive(cp, &cf->cf_ledger, cf->cf_state_dir, "/ledger/ledger.sqlite",
	    "");
	derive(cp, &cf->cf_ra_subject, "CN=", cf->cf_ca_name, " SCEP RA");
	derive(cp, &cf->cf_ocsp_subject, "CN=", cf->cf_ca_name,
	    " OCSP Responder");
}

int
conf_load(const char *path, struct conf *cf)
{
	struct cparse	*cp;
	int		 r;

	memset(cf, 0, sizeof(*cf));
	if ((cp = calloc(1, sizeof(*cp))) == NULL ||
	    conf_defaults(cf, path) == -1) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto fail;
	}
	cp->cp_cf = cf;
	cp->cp_path = path;
	if ((cp->cp_fp = fopen(path, "re")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		goto fail;
	}
	r = ini_parse_stream(conf_reader, cp, conf_handler, cp);
	if (ferror(cp->cp_fp))
		cp_post(cp, 0, "read error");
	fclose(cp->cp_fp);
	/* inih's own syntax errors never reach the handler. */
	if (r > 0 && (!cp->cp_failed || r < cp->cp_errline)) {
		cp->cp_failed = 0;
		cp_post(cp, r, "syntax error (expected [section], key = value "
		    "or a comment)");
	} else if (r < 0)
		cp_post(cp, 0, "out of memory");
	conf_derive(cp);
	conf_check(cp);
	if (cp->cp_failed) {
		fprintf(stderr, "%s\n", cp->cp_err);
		goto fail;
	}
	free(cp);
	return 0;
 fail:
	free(cp);
	conf_free(cf);
	return -1;
}

void
conf_free(struct conf *cf)
{
	size_t	 i;

	for (i = 0; i < nitems(conf_strs); i++)
		free(*str_at(cf, conf_strs[i]));
	memset(cf, 0, sizeof(*cf));
}

const struct conf_profile *
conf_profile(const struct conf *cf, const char *name)
{
	int	 i;

	for (i = 0; i < cf->cf_nprofiles; i++)
		if (strcmp(cf->cf_profiles[i].pr_name, name) == 0)
			return &cf->cf_profiles[i];
	return NULL;
}

int
conf_key_type(const char *name)
{
	int	 i;

	if ((i = name_find(key_types, name)) == -1)
		return -1;
	return key_types[i].cn_val;
}

const char *
conf_key_type_name(int type)
{
	int	 i;

	for (i = 0; key_types[i].cn_name != NULL; i++)
		if (key_types[i].cn_val == type)
			return key_types[i].cn_name;
	return NULL;
}

int
conf_signer_workers(const struct conf *cf)
{
	long	 n;

	if (cf->cf_signer_workers > 0)
		return cf->cf_signer_workers;
	if ((n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		return 1;
	return n > WORKERS_MAX ? WORKERS_MAX : (int)n;
}

/* Splits ADDR:PORT or [ADDR6]:PORT; addr gets the bare literal. */
static int
listen_split(const char *s, char *addr, size_t addrsz, const char **port,
    int *af, const char **why)
{
	const char	*a = s, *colon, *end;
	size_t		 alen;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':') {
			*why = "bad [IPv6]:PORT form";
			return -1;
		}
		a = s + 1;
		colon = end + 1;
		*af = AF_INET6;
	} else {
		if ((colon = strchr(s, ':')) == NULL) {
			*why = "no port";
			return -1;
		}
		if (strchr(colon + 1, ':') != NULL) {
			*why = "an IPv6 literal needs brackets";
			return -1;
		}
		end = colon;
		*af = AF_INET;
	}
	if ((alen = (size_t)(end - a)) == 0 || alen >= addrsz) {
		*why = "bad address";
		return -1;
	}
	memcpy(addr, a, alen);
	addr[alen] = '\0';
	*port = colon + 1;
	return 0;
}

int
conf_listen_parse(const char *s, struct sockaddr_storage *ss,
    const char **why)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 addr[INET6_ADDRSTRLEN];
	const char		*portstr;
	long			 port;
	int			 af;

	memset(ss, 0, sizeof(*ss));
	if (listen_split(s, addr, sizeof(addr), &portstr, &af, why) == -1)
		return -1;
	if (parse_long(portstr, &port) == -1 || port < 1 || port > 65535) {
		*why = "bad port (expected 1..65535)";
		return -1;
	}
	if (af == AF_INET6) {
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1) {
			*why = "not an IPv6 literal";
			return -1;
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
	} else {
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
			*why = "not an IPv4 literal";
			return -1;
		}
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
	}
	return 0;
}
