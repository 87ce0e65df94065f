/*
 * test_config.c: conf_load applies the documented defaults, loads the
 * packaged example, and refuses bad input with one line that names the
 * file, the line and the key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config.h"

#define MINIMAL	"[token]\npin_file = /etc/keyward/token.pin\n" \
		"[ca]\nsubject = CN=Test CA,O=keyward\n"

static char	 tmpdir[] = "/tmp/test_config.XXXXXX";
static char	 errbuf[4096];

/* Writes text to a file in tmpdir; returns its path (static buffer). */
static const char *
write_conf(const char *name, const char *text)
{
	static char	 path[256];
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return path;
}

/* Runs conf_load with stderr redirected into errbuf. */
static int
load(const char *path, struct conf *cf)
{
	char	 errpath[256];
	ssize_t	 n;
	int	 fd, saved, r;

	snprintf(errpath, sizeof(errpath), "%s/stderr", tmpdir);
	fd = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	fflush(stderr);
	assert_true((saved = dup(2)) != -1);
	assert_int_equal(dup2(fd, 2), 2);
	r = conf_load(path, cf);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	n = pread(fd, errbuf, sizeof(errbuf) - 1, 0);
	assert_true(n >= 0);
	errbuf[n] = '\0';
	close(fd);
	unlink(errpath);
	return r;
}

/* Asserts that stderr got exactly one line. */
static void
assert_one_line(void)
{
	size_t	 len = strlen(errbuf);

	assert_true(len > 0);
	assert_int_equal(errbuf[len - 1], '\n');
	assert_ptr_equal(strchr(errbuf, '\n'), errbuf + len - 1);
}

static int
setup(void **state)
{
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	 cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_minimal_defaults(void **state)
{
	struct conf	 cf;

	assert_int_equal(load(write_conf("min.conf", MINIMAL), &cf), 0);
	assert_string_equal(errbuf, "");
	assert_string_equal(cf.cf_state_dir, "/var/lib/keyward");
	assert_string_equal(cf.cf_run_dir, "/var/lib/keyward/run");
	assert_string_equal(cf.cf_chroot, "/var/lib/keyward/empty");
	assert_string_equal(cf.cf_user_signer, "keyward-signer");
	assert_string_equal(cf.cf_user_frontend, "keyward-frontend");
	assert_string_equal(cf.cf_user_validator, "keyward-validator");
	assert_string_equal(cf.cf_admin_group, "keyward-admin");
	assert_int_equal(cf.cf_signer_workers, 0);
	assert_int_equal(cf.cf_frontends, 1);
	assert_int_equal(cf.cf_log_level, LOG_LVL_INFO);
	assert_string_equal(cf.cf_module, "/usr/lib/softhsm/libsofthsm2.so");
	assert_string_equal(cf.cf_token_label, "keyward");
	assert_string_equal(cf.cf_pin_file, "/etc/keyward/token.pin");
	assert_null(cf.cf_so_pin_file);
	assert_null(cf.cf_softhsm2_conf);
	assert_string_equal(cf.cf_ledger,
	    "/var/lib/keyward/ledger/ledger.sqlite");
	assert_int_equal(cf.cf_checkpoint_interval, 3600);
	assert_int_equal(cf.cf_ca_id, 1);
	assert_string_equal(cf.cf_ca_name, "keyward");
	assert_string_equal(cf.cf_ca_subject, "CN=Test CA,O=keyward");
	assert_int_equal(cf.cf_ca_key_type, KEY_RSA3072);
	assert_int_equal(cf.cf_ca_validity_days, 3650);
	assert_string_equal(cf.cf_ra_subject, "CN=keyward SCEP RA");
	assert_int_equal(cf.cf_ra_key_type, KEY_RSA2048);
	assert_string_equal(cf.cf_ocsp_subject, "CN=keyward OCSP Responder");
	assert_int_equal(cf.cf_ocsp_key_type, KEY_RSA2048);
	assert_int_equal(cf.cf_ocsp_validity_days, 30);
	assert_int_equal(cf.cf_max_validity_days, 730);
	assert_int_equal(cf.cf_clock_skew_min, 5);
	assert_null(cf.cf_ocsp_url);
	assert_null(cf.cf_ca_issuers_url);
	assert_null(cf.cf_crl_url);
	assert_string_equal(cf.cf_listen, "127.0.0.1:8080");
	assert_int_equal(cf.cf_http_max_conns, 256);
	assert_int_equal(cf.cf_http_max_inflight, 32);
	assert_int_equal(cf.cf_http_read_timeout, 20);
	assert_int_equal(cf.cf_http_write_timeout, 20);
	assert_int_equal(cf.cf_http_idle_timeout, 10);
	assert_int_equal(cf.cf_http_max_body, 64 * 1024);
	assert_int_equal(cf.cf_http_max_headers, 32 * 1024);
	assert_null(cf.cf_challenge_file);
	assert_int_equal(cf.cf_nprofiles, 0);
	assert_null(cf.cf_intune_tenant);
	assert_true(conf_signer_workers(&cf) >= 1);
	assert_true(conf_signer_workers(&cf) <= 64);
	conf_free(&cf);
	assert_null(cf.cf_state_dir);
}

/* Defaults built from other keys follow those keys. */
static void
test_derived_defaults(void **state)
{
	struct conf	 cf;

	assert_int_equal(load(write_conf("derived.conf",
	    "[keyward]\nstate_dir = /srv/kw\nsigner_workers = 3\n" MINIMAL
	    "name = edge-1\n"), &cf), 0);
	assert_string_equal(cf.cf_run_dir, "/srv/kw/run");
	assert_string_equal(cf.cf_chroot, "/srv/kw/empty");
	assert_string_equal(cf.cf_ledger, "/srv/kw/ledger/ledger.sqlite");
	assert_string_equal(cf.cf_ra_subject, "CN=edge-1 SCEP RA");
	assert_string_equal(cf.cf_ocsp_subject, "CN=edge-1 OCSP Responder");
	assert_int_equal(conf_signer_workers(&cf), 3);
	conf_free(&cf);
}

static void
test_example_loads(void **state)
{
	const struct conf_profile	*pr;
	const char			*top = getenv("top_srcdir");
	char				 path[1024];
	struct conf			 cf;

	snprintf(path, sizeof(path), "%s/packaging/keyward.conf.example",
	    top != NULL ? top : ".");
	if (load(path, &cf) != 0)
		fail_msg("%s", errbuf);
	assert_string_equal(cf.cf_state_dir, "/var/lib/keyward");
	assert_non_null(pr = conf_profile(&cf, "device"));
	assert_non_null(conf_profile(&cf, "user"));
	assert_int_equal(pr->pr_ext_key_usage, EKU_CLIENT_AUTH);
	assert_string_equal(cf.cf_ocsp_path, "/ocsp");
	assert_int_equal(cf.cf_ocsp_renew_days, 10);
	assert_true(cf.cf_crl_validity > cf.cf_crl_update);
	conf_free(&cf);
}

/* [intune]: Microsoft's public cloud unless told otherwise. */
static void
test_intune(void **state)
{
	struct conf	 cf;

	assert_int_equal(load(write_conf("intune.conf", MINIMAL "[intune]\n"
	    "tenant = contoso.onmicrosoft.com\nclient_id = 1234-abcd\n"
	    "secret_file = /etc/keyward/intune.secret\n"
	    "[profile.device]\nvalidity_days = 30\n"
	    "[profile.user]\nvalidity_days = 30\n"), &cf), 0);
	assert_string_equal(cf.cf_intune_tenant, "contoso.onmicrosoft.com");
	/* The NDES path is Intune's unless configured otherwise. */
	assert_int_equal(cf.cf_scep_mode[SCEP_EP_NDES], CHALLENGE_INTUNE);
	assert_int_equal(cf.cf_intune_auth, INTUNE_AUTH_SECRET);
	assert_int_equal(cf.cf_intune_alg, INTUNE_ALG_PS256);
	assert_string_equal(cf.cf_intune_authority,
	    "https://login.microsoftonline.com/");
	assert_string_equal(cf.cf_intune_graph_url,
	    "https://graph.microsoft.com/");
	assert_string_equal(cf.cf_intune_graph_scope,
	    "https://graph.microsoft.com/.default");
	assert_string_equal(cf.cf_intune_scope,
	    "https://api.manage.microsoft.com//.default");
	assert_string_equal(cf.cf_intune_app_id,
	    "0000000a-0000-0000-c000-000000000000");
	assert_string_equal(cf.cf_intune_api_version, "2018-02-20");
	assert_string_equal(cf.cf_intune_provider, "keyward/" KW_VERSION);
	assert_null(cf.cf_intune_proxy);
	assert_null(cf.cf_intune_ca_bundle);
	assert_int_equal(cf.cf_intune_connect_timeout, 10);
	assert_int_equal(cf.cf_intune_request_timeout, 60);
	assert_int_equal(cf.cf_intune_discovery_ttl, 86400);
	assert_int_equal(cf.cf_intune_wait_success, 1);
	assert_int_equal(cf.cf_intune_notify_deadline, 3600);
	conf_free(&cf);
}

struct bad_case {
	const char	*bc_name;
	const char	*bc_text;
	int		 bc_line;
	const char	*bc_want;	/* section and key as printed */
};

static const struct bad_case bad_cases[] = {
	{ "bad challenge mode", MINIMAL "[scep]\nscep_challenge = maybe\n",
	    6, "[scep] scep_challenge: " },
	{ "static challenge without a secret", MINIMAL
	    "[profile.device]\nvalidity_days = 30\n[profile.user]\n"
	    "validity_days = 30\n[scep]\nscep_challenge = static\n", 10,
	    "[scep] scep_challenge = static needs [scep] challenge_file" },
	{ "endpoint profile missing", MINIMAL "[scep]\n"
	    "challenge_file = /etc/keyward/challenge\nscep_profile = nosuch\n",
	    7, "[scep] scep_profile: no profile 'nosuch'" },
	{ "unknown key", MINIMAL "[keyward]\nbogus = 1\n", 6,
	    "[keyward] bogus: unknown key" },
	{ "unknown section", MINIMAL "[bogus]\nfoo = 1\n", 6,
	    "[bogus] foo: unknown section" },
	{ "bare profile section", MINIMAL "[profile]\nkey_usage = x\n", 6,
	    "[profile] key_usage: unknown section" },
	{ "bad number", "[keyward]\nfrontends = two\n" MINIMAL, 2,
	    "[keyward] frontends: \"two\" is not a number" },
	{ "trailing junk", "[keyward]\nfrontends = 2x\n" MINIMAL, 2,
	    "[keyward] frontends:" },
	{ "out of range", "[keyward]\nfrontends = 17\n" MINIMAL, 2,
	    "[keyward] frontends: 17 is out of range (expected 1..16)" },
	{ "huge number", MINIMAL "id = 99999999999999999999999\n", 5,
	    "[ca] id: 99999999999999999999999 is out of range" },
	{ "bad key_type", MINIMAL "key_type = rsa:1024\n", 5,
	    "[ca] key_type: unknown value \"rsa:1024\"" },
	{ "ec RA key", MINIMAL "ra_key_type = ec:p256\n", 5,
	    "[ca] ra_key_type: the RA key must be RSA" },
	{ "relative path", "[token]\npin_file = token.pin\n[ca]\n"
	    "subject = CN=x\n", 2,
	    "[token] pin_file: \"token.pin\" must be an absolute path" },
	{ "bad listen host", MINIMAL "[http]\nlisten = localhost:8080\n", 6,
	    "[http] listen: \"localhost:8080\": not an IPv4 literal" },
	{ "bad listen port", MINIMAL "[http]\nlisten = 127.0.0.1:65536\n", 6,
	    "[http] listen: \"127.0.0.1:65536\": bad port" },
	{ "bare IPv6 listen", MINIMAL "[http]\nlisten = ::1:8080\n", 6,
	    "[http] listen: \"::1:8080\": an IPv6 literal needs brackets" },
	{ "bad key usage", MINIMAL "[profile.device]\nvalidity_days = 30\n"
	    "key_usage = digitalSignature, keyCertSign\n", 7,
	    "[profile.device] key_usage: unknown item \"keyCertSign\"" },
	{ "missing comma", MINIMAL "[profile.device]\n"
	    "san_types = dns uri\n", 6,
	    "[profile.device] san_types: missing comma" },
	{ "bad profile name", MINIMAL "[profile.Device]\nvalidity_days = 1\n",
	    6, "[profile.Device] validity_days: bad profile name" },
	{ "bad bool", MINIMAL "[profile.d]\nsubject_from_csr = maybe\n", 6,
	    "[profile.d] subject_from_csr: unknown value" },
	{ "https URL", MINIMAL "crl_url = https://ca.example.org/x.crl\n", 5,
	    "[ca] crl_url: bad URL" },
	{ "bad log level", "[keyward]\nlog_level = verbose\n" MINIMAL, 2,
	    "[keyward] log_level: unknown value \"verbose\" (expected error, "
	    "warn, info or debug)" },
	{ "key given twice", MINIMAL "subject = CN=Other\n", 5,
	    "[ca] subject: given twice (first on line 4)" },
	{ "syntax error", MINIMAL "[ca]\nthis line has no equals sign\n", 6,
	    "syntax error" },
	{ "key before section", "pin_file = /x\n" MINIMAL, 1,
	    "pin_file: key outside any section" },
	{ "bad user", "[keyward]\nuser_signer = Root\n" MINIMAL, 2,
	    "[keyward] user_signer: bad name" },
	{ "bad CA name", MINIMAL "name = my ca\n", 5, "[ca] name: bad name" },
	{ "bad subject", MINIMAL "ra_subject = keyward RA\n", 5,
	    "[ca] ra_subject: bad subject" },
	{ "profile over cap", MINIMAL "max_validity_days = 400\n"
	    "[profile.device]\nvalidity_days = 500\n", 7,
	    "[profile.device] validity_days: 500 exceeds [ca] "
	    "max_validity_days 400" },
	{ "cap over CA", MINIMAL "validity_days = 365\n", 5,
	    "[ca] max_validity_days: 730 exceeds [ca] validity_days 365" },
	{ "headers below 16 KiB", MINIMAL "[http]\nmax_headers = 8192\n", 6,
	    "[http] max_headers: 8192 is out of range (expected "
	    "16384..1048576)" },
	{ "no connection", MINIMAL "[http]\nmax_connections = 0\n", 6,
	    "[http] max_connections: 0 is out of range" },
	{ "idle over read", MINIMAL "[http]\nidle_timeout = 30\n", 6,
	    "[http] idle_timeout: 30 exceeds [http] read_timeout 20" },
	{ "read under idle", MINIMAL "[http]\nread_timeout = 5\n", 6,
	    "[http] idle_timeout: 10 exceeds [http] read_timeout 5" },
	{ "intune without tenant", MINIMAL "[intune]\nclient_id = x\n", 6,
	    "[intune] tenant is required when [intune] is used" },
	{ "intune without client id", MINIMAL "[intune]\ntenant = t\n", 6,
	    "[intune] client_id is required" },
	{ "intune secret missing", MINIMAL "[intune]\ntenant = t\n"
	    "client_id = c\nauth = secret\n", 8,
	    "[intune] auth = secret needs [intune] secret_file" },
	{ "intune key missing", MINIMAL "[intune]\ntenant = t\n"
	    "client_id = c\nauth = certificate\n"
	    "certificate_file = /etc/keyward/app.pem\n", 8,
	    "[intune] auth = certificate needs [intune] certificate_file and "
	    "key_file" },
	{ "tenant with a slash", MINIMAL "[intune]\ntenant = a/b\n", 6,
	    "[intune] tenant: bad value \"a/b\"" },
	{ "authority over http", MINIMAL "[intune]\n"
	    "authority = http://login.example/\n", 6,
	    "[intune] authority: bad URL" },
	{ "graph URL without a slash", MINIMAL "[intune]\n"
	    "graph_url = https://graph.example\n", 6,
	    "[intune] graph_url: bad URL \"https://graph.example\" (expected "
	    "https://HOST[:PORT]/[PATH/], ending in /)" },
	{ "proxy with credentials", MINIMAL "[intune]\n"
	    "proxy = http://u:p@proxy:3128\n", 6,
	    "[intune] proxy: credentials in the URL" },
	{ "bad assertion alg", MINIMAL "[intune]\nassertion_alg = HS256\n", 6,
	    "[intune] assertion_alg: unknown value \"HS256\" (expected PS256 "
	    "or RS256)" },
	{ "OCSP path without /", MINIMAL "[ocsp]\npath = ocsp\n", 6,
	    "[ocsp] path: bad path \"ocsp\"" },
	{ "OCSP path with a query", MINIMAL "[ocsp]\npath = /ocsp?x\n", 6,
	    "[ocsp] path: bad path" },
	{ "OCSP path ending in /", MINIMAL "[ocsp]\npath = /ocsp/\n", 6,
	    "[ocsp] path: bad path" },
	{ "renewal margin over the lifetime", MINIMAL
	    "ocsp_validity_days = 7\nocsp_renew_days = 7\n", 6,
	    "[ca] ocsp_renew_days: 7 is not below [ca] ocsp_validity_days 7" },
	{ "CRL validity not above its interval", MINIMAL
	    "[crl]\nupdate_seconds = 600\nvalidity_seconds = 600\n", 7,
	    "[crl] validity_seconds: 600 is not above [crl] update_seconds" },
	{ "presign rate out of range", MINIMAL "[ocsp]\npresign_rate = -1\n",
	    6, "[ocsp] presign_rate: -1 is out of range" },
};

/* Each bad file fails with one line: FILE:LINE: and the expected text. */
static void
test_bad_values(void **state)
{
	const struct bad_case	*bc;
	const char		*path;
	struct conf		 cf;
	char			 want[512];
	size_t			 i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		bc = &bad_cases[i];
		path = write_conf("bad.conf", bc->bc_text);
		if (load(path, &cf) != -1)
			fail_msg("%s: loaded", bc->bc_name);
		snprintf(want, sizeof(want), "%s:%d: ", path, bc->bc_line);
		if (strncmp(errbuf, want, strlen(want)) != 0 ||
		    strstr(errbuf, bc->bc_want) == NULL)
			fail_msg("%s: got \"%s\", want \"%s...%s\"",
			    bc->bc_name, errbuf, want, bc->bc_want);
		assert_one_line();
		assert_null(cf.cf_path);	/* freed on failure */
	}
}

static void
test_long_line(void **state)
{
	char		 text[1024];
	struct conf	 cf;
	const char	*path;

	snprintf(text, sizeof(text), MINIMAL "ocsp_url = http://%0300d/\n"
	    "bogus = 1\n", 0);
	path = write_conf("long.conf", text);
	assert_int_equal(load(path, &cf), -1);
	assert_non_null(strstr(errbuf, ":5: line too long"));
	assert_one_line();
}

/* Loading text as file name fails with exactly "PATH: msg". */
static void
assert_refused(const char *name, const char *text, const char *msg)
{
	char		 want[512];
	const char	*path = write_conf(name, text);
	struct conf	 cf;

	assert_int_equal(load(path, &cf), -1);
	snprintf(want, sizeof(want), "%s: %s\n", path, msg);
	assert_string_equal(errbuf, want);
}

static void
test_missing_required(void **state)
{
	struct conf	 cf;

	assert_refused("nosubject.conf", "[token]\npin_file = /x/pin\n",
	    "[ca] subject is required");
	assert_refused("nopin.conf", "[ca]\nsubject = CN=x\n",
	    "[token] pin_file is required");
	assert_int_equal(load("/nonexistent/keyward.conf", &cf), -1);
	assert_non_null(strstr(errbuf, "/nonexistent/keyward.conf: "));
	assert_one_line();
}

static void
test_profiles(void **state)
{
	const struct conf_profile	*pr;
	struct conf			 cf;

	assert_int_equal(load(write_conf("prof.conf", MINIMAL
	    "[profile.device]\n"
	    "validity_days = 365\n"
	    "key_usage = digitalSignature, keyEncipherment\n"
	    "extended_key_usage = clientAuth\n"
	    "san_types = uri,dns\n"
	    "[profile.user]\n"
	    "key_usage = digitalSignature,nonRepudiation,keyEncipherment,"
	    "dataEncipherment,keyAgreement\n"
	    "extended_key_usage = serverAuth,clientAuth,emailProtection,"
	    "codeSigning,ipsecIKE\n"
	    "san_types = dns,email,uri,ip,upn\n"
	    "subject_from_csr = yes\n"
	    "[profile.bare]\n"
	    "san_types = none\n"
	    "  subject_from_csr = false\n"), &cf), 0);
	assert_int_equal(cf.cf_nprofiles, 3);

	assert_non_null(pr = conf_profile(&cf, "device"));
	assert_int_equal(pr->pr_validity_days, 365);
	assert_int_equal(pr->pr_key_usage,
	    CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_ENCIPHERMENT);
	assert_int_equal(pr->pr_ext_key_usage, EKU_CLIENT_AUTH);
	assert_int_equal(pr->pr_san_types, SAN_URI | SAN_DNS);
	assert_int_equal(pr->pr_subject_from_csr, 0);

	assert_non_null(pr = conf_profile(&cf, "user"));
	assert_int_equal(pr->pr_key_usage, 0x1f);
	assert_int_equal(pr->pr_ext_key_usage, 0x1f);
	assert_int_equal(pr->pr_san_types, 0x1f);
	assert_int_equal(pr->pr_subject_from_csr, 1);

	/* Unset keys take the profile defaults. */
	assert_non_null(pr = conf_profile(&cf, "bare"));
	assert_int_equal(pr->pr_validity_days, 365);
	assert_int_equal(pr->pr_key_usage, CF_KU_DIGITAL_SIGNATURE);
	assert_int_equal(pr->pr_ext_key_usage, EKU_CLIENT_AUTH);
	assert_int_equal(pr->pr_san_types, 0);
	assert_int_equal(pr->pr_subject_from_csr, 0);

	assert_null(conf_profile(&cf, "subca"));
	conf_free(&cf);
}

static void
test_too_many_profiles(void **state)
{
	char		 text[4096];
	size_t		 len;
	struct conf	 cf;
	int		 i;

	len = (size_t)snprintf(text, sizeof(text), "%s", MINIMAL);
	for (i = 0; i <= CONF_PROFILES_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "[profile.p%d]\nvalidity_days = 10\n", i);
	assert_int_equal(load(write_conf("many.conf", text), &cf), -1);
	assert_non_null(strstr(errbuf, ":38: [profile.p16] validity_days: "
	    "too many profiles"));
}

static void
test_listen_and_key_types(void **state)
{
	struct sockaddr_storage	 ss;
	const char		*why;
	struct conf		 cf;
	int			 t;

	assert_int_equal(load(write_conf("v6.conf", MINIMAL
	    "[http]\nlisten = [::1]:8443\n"), &cf), 0);
	assert_string_equal(cf.cf_listen, "[::1]:8443");
	conf_free(&cf);
	assert_int_equal(conf_listen_parse("[::1]:8443", &ss, &why), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(conf_listen_parse("0.0.0.0:80", &ss, &why), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(conf_listen_parse("[::1]", &ss, &why), -1);
	assert_int_equal(conf_listen_parse("127.0.0.1:0", &ss, &why), -1);
	assert_int_equal(conf_listen_parse(":80", &ss, &why), -1);

	for (t = 0; t < KEY__MAX; t++)
		assert_int_equal(conf_key_type(conf_key_type_name(t)), t);
	assert_int_equal(conf_key_type("rsa:1024"), -1);
	assert_null(conf_key_type_name(KEY__MAX));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_derived_defaults),
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_intune),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_too_many_profiles),
		cmocka_unit_test(test_listen_and_key_types),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
