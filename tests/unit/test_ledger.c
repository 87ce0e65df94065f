/*
 * test_ledger.c: the ledger with real certificates in a temporary
 * directory: schema, writers and their return codes, orphan sweep,
 * checkpoints, and verify catching what an attacker with the sqlite3
 * CLI would change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sqlite3.h>

#include "common.h"
#include "ledger.h"
#include "ledger_int.h"

#define SER_A	"0A1B2C3D4E5F6071"
#define SER_B	"7F00112233445566"
#define SER_C	"1234567890ABCDEF"
#define NB	1700000000	/* notBefore of every test certificate */

struct keys {
	EVP_PKEY	*k_ca;		/* RSA-2048, the CA key */
	EVP_PKEY	*k_ee;		/* P-256, every end entity */
	X509		*k_cacert;
	uint8_t		*k_cader;
	size_t		 k_cadelen;
};

struct fixture {
	char		 f_dir[64];
	char		 f_path[128];
	struct ledger	*f_l;
};

static struct keys	 keys;

/* Sets the parts every test certificate shares. */
static X509 *
cert_new(const char *serial_hex, const char *cn, EVP_PKEY *pub,
    X509 *issuer)
{
	X509		*x;
	X509_NAME	*n;
	BIGNUM		*bn = NULL;

	assert_non_null(x = X509_new());
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_true(BN_hex2bn(&bn, serial_hex) > 0);
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	assert_non_null(n = X509_NAME_new());
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	    (const unsigned char *)"Example", -1, -1, 0), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(x, n), 1);
	assert_int_equal(X509_set_issuer_name(x, issuer == NULL ? n :
	    X509_get_subject_name(issuer)), 1);
	X509_NAME_free(n);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), NB));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), NB + 86400));
	assert_int_equal(X509_set_pubkey(x, pub), 1);
	return x;
}

static void
cert_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	assert_non_null(ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value));
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* An extension from a config section, for values holding commas. */
static void
cert_ext_section(X509 *x, X509 *issuer, int nid, const char *section)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	CONF		*conf;
	BIO		*b;
	long		 line;

	assert_non_null(conf = NCONF_new(NULL));
	assert_non_null(b = BIO_new_mem_buf(section, -1));
	assert_int_equal(NCONF_load_bio(conf, b, &line), 1);
	BIO_free(b);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509V3_set_nconf(&ctx, conf);
	assert_non_null(ext = X509V3_EXT_nconf_nid(conf, &ctx, nid, "@s"));
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	NCONF_free(conf);
}

static uint8_t *
cert_der(X509 *x, size_t *len)
{
	uint8_t	*der = NULL;
	int	 n;

	assert_true((n = i2d_X509(x, &der)) > 0);
	*len = (size_t)n;
	return der;
}

/* An end-entity certificate from the test CA. */
static uint8_t *
ee_der(const char *serial_hex, const char *cn, const char *sans,
    size_t *len)
{
	X509	*x;
	uint8_t	*der;

	x = cert_new(serial_hex, cn, keys.k_ee, keys.k_cacert);
	if (sans != NULL && sans[0] == '[')
		cert_ext_section(x, keys.k_cacert, NID_subject_alt_name, sans);
	else if (sans != NULL)
		cert_ext(x, keys.k_cacert, NID_subject_alt_name, sans);
	assert_true(X509_sign(x, keys.k_ca, EVP_sha256()) > 0);
	der = cert_der(x, len);
	X509_free(x);
	return der;
}

static int
group_setup(void **state)
{
	EVP_PKEY_CTX	*pc;

	log_init("test_ledger", LOG_LVL_WARN);
	keys.k_ca = EVP_RSA_gen(2048);
	assert_non_null(keys.k_ca);
	assert_non_null(pc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL));
	assert_int_equal(EVP_PKEY_keygen_init(pc), 1);
	assert_int_equal(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(pc,
	    NID_X9_62_prime256v1), 1);
	assert_int_equal(EVP_PKEY_keygen(pc, &keys.k_ee), 1);
	EVP_PKEY_CTX_free(pc);
	keys.k_cacert = cert_new("01", "Test CA", keys.k_ca, NULL);
	cert_ext(keys.k_cacert, keys.k_cacert, NID_basic_constraints,
	    "critical,CA:TRUE");
	assert_true(X509_sign(keys.k_cacert, keys.k_ca, EVP_sha256()) > 0);
	keys.k_cader = cert_der(keys.k_cacert, &keys.k_cadelen);
	return 0;
}

static int
group_teardown(void **state)
{
	OPENSSL_free(keys.k_cader);
	X509_free(keys.k_cacert);
	EVP_PKEY_free(keys.k_ca);
	EVP_PKEY_free(keys.k_ee);
	return 0;
}

static int
setup(void **state)
{
	struct fixture	*f;

	assert_non_null(f = calloc(1, sizeof(*f)));
	snprintf(f->f_dir, sizeof(f->f_dir), "/tmp/test_ledger.XXXXXX");
	assert_non_null(mkdtemp(f->f_dir));
	snprintf(f->f_path, sizeof(f->f_path), "%s/ledger.db", f->f_dir);
	assert_int_equal(ledger_open(f->f_path, 0, &f->f_l), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	const char	*sfx[] = { "", "-wal", "-shm", "-journal" };
	char		 p[160];
	size_t		 i;

	ledger_close(f->f_l);
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->f_path, sfx[i]);
		unlink(p);
	}
	rmdir(f->f_dir);
	free(f);
	return 0;
}

/* Runs SQL on the file as the sqlite3 CLI would; returns SQLite's code. */
static int
db_exec(const char *path, const char *sql)
{
	sqlite3	*db;
	int	 rc;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static int64_t
db_int(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int64_t		 v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
drop_triggers(const char *path)
{
	assert_int_equal(db_exec(path, "DROP TRIGGER events_no_update;"
	    "DROP TRIGGER events_no_delete;"
	    "DROP TRIGGER checkpoints_no_update;"
	    "DROP TRIGGER checkpoints_no_delete;"), SQLITE_OK);
}

static uint64_t
nevents(struct ledger *l)
{
	struct ledger_counts	 lt;

	assert_int_equal(ledger_counts(l, &lt), 0);
	return lt.lt_events;
}

static void
install_ca(struct ledger *l)
{
	assert_int_equal(ledger_ca_install(l, 1, ROLE_CA, keys.k_cader,
	    keys.k_cadelen), 0);
}

/* An issued event of CA 1, profile device, for serial and der. */
static void
issue_init(struct ledger_issue *li, const char *serial, const uint8_t *der,
    size_t len)
{
	memset(li, 0, sizeof(*li));
	li->li_ca_id = 1;
	li->li_serial = serial;
	li->li_profile = "device";
	li->li_der = der;
	li->li_derlen = len;
}

/* ledger_pending_list callback: counts the rows. */
static int
count_pending(void *arg, const struct ledger_pending *lp)
{
	(void)lp;
	(*(int *)arg)++;
	return 0;
}

/* signing then issued, as the signer does; returns ledger_issued's code. */
static int
issue(struct ledger *l, const char *serial, const char *txid, int withheld)
{
	struct ledger_issue	 li;
	uint8_t			*der;
	size_t			 len;
	int			 r;

	assert_int_equal(ledger_signing(l, 1, serial, "device", "1:alive"), 0);
	der = ee_der(serial, "dev", "DNS:dev.example", &len);
	issue_init(&li, serial, der, len);
	li.li_txid = txid;
	li.li_csr_hash = "AB12";
	li.li_requester = "scep";
	li.li_dir_ids = "intune:42";
	li.li_withheld = withheld;
	r = ledger_issued(l, &li);
	OPENSSL_free(der);
	return r;
}

/*
 * The ledger the verify tests tamper with: CA installed (1), A issued
 * (2, 3), B issued (4, 5) and revoked (6), checkpoint at event 6.
 */
static void
build(struct ledger *l)
{
	int64_t	 id;

	install_ca(l);
	assert_int_equal(issue(l, SER_A, "tx-a", 0), 0);
	assert_int_equal(issue(l, SER_B, "tx-b", 0), 0);
	assert_int_equal(ledger_revoke(l, 1, SER_B, 1, NB + 10), 0);
	assert_int_equal(ledger_checkpoint(l, 1, keys.k_ca, &id), 0);
	assert_int_equal(id, 6);
}

static void
test_open_creates_schema(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(db_int(f->f_path, "PRAGMA user_version"), 4);
	assert_int_equal(db_int(f->f_path, "SELECT count(*) FROM sqlite_master"
	    " WHERE type = 'table' AND name IN ('events', 'certs',"
	    " 'checkpoints', 'pending', 'ocsp_responses')"), 5);
	assert_int_equal(db_int(f->f_path, "SELECT count(*) FROM sqlite_master"
	    " WHERE type = 'index' AND name IN ('certs_txid', 'events_txid')"),
	    2);
	assert_int_equal(db_int(f->f_path, "SELECT journal_mode = 'wal'"
	    " FROM pragma_journal_mode"), 1);
	/* Events are append-only while the triggers are in place. */
	install_ca(f->f_l);
	assert_int_not_equal(db_exec(f->f_path, "UPDATE events SET ts = 0"),
	    SQLITE_OK);
	assert_int_not_equal(db_exec(f->f_path, "DELETE FROM events"),
	    SQLITE_OK);
	/* A second open finds the schema current and keeps the data. */
	ledger_close(f->f_l);
	assert_int_equal(ledger_open(f->f_path, 0, &f->f_l), 0);
	assert_int_equal(nevents(f->f_l), 1);
}

/*
 * The issuer hands ledger_issued() the X509 it built: the row must be the
 * one the DER gives, which is what the verifier's replay checks.
 */
static void
test_issued_with_x509(void **state)
{
	struct fixture		*f = *state;
	struct ledger_issue	 li;
	struct ledger_cert	 lc, want;
	const uint8_t		*p;
	uint8_t			*der;
	size_t			 len;
	X509			*x;

	install_ca(f->f_l);
	assert_int_equal(ledger_signing(f->f_l, 1, SER_A, "device", "1:x"), 0);
	der = ee_der(SER_A, "dev", "DNS:dev.example,IP:192.0.2.1", &len);
	p = der;
	assert_non_null(x = d2i_X509(NULL, &p, (long)len));
	issue_init(&li, SER_A, der, len);
	li.li_txid = "tx-a";
	li.li_cert = x;
	assert_int_equal(ledger_issued(f->f_l, &li), 0);
	memset(&want, 0, sizeof(want));
	assert_int_equal(ledger_cert_fields(der, len, &want), 0);
	assert_int_equal(ledger_cert_get(f->f_l, SER_A, &lc), 0);
	assert_string_equal(lc.lc_serial, want.lc_serial);
	assert_string_equal(lc.lc_subject, want.lc_subject);
	assert_string_equal(lc.lc_sans, want.lc_sans);
	assert_string_equal(lc.lc_key_fp, want.lc_key_fp);
	assert_int_equal(lc.lc_not_before, want.lc_not_before);
	assert_int_equal(lc.lc_not_after, want.lc_not_after);
	assert_int_equal(lc.lc_derlen, len);
	assert_memory_equal(lc.lc_der, der, len);
	assert_int_equal(ledger_verify(f->f_l, NULL, 0), 0);
	ledger_cert_free(&lc);
	ledger_cert_free(&want);
	X509_free(x);
	OPENSSL_free(der);
}

/* Statements handed out by the cache, and none left busy. */
static size_t
stmts_busy(struct ledger *l)
{
	size_t	 i, n = 0;

	for (i = 0; i < l->l_nstmts; i++)
		n += l->l_stmts[i].ls_busy != 0;
	return n;
}

/*
 * Prepared statements are kept per connection and reused; they survive
 * a schema change by another connection, a query nested in a loop over
 * the same SQL, a buffer reused for other SQL, and a reopen that migrates.
 */
static void
test_statement_cache(void **state)
{
	struct fixture	*f = *state;
	sqlite3_stmt	*st = NULL;
	char		 buf[32];
	const char	*all = "SELECT id FROM events ORDER BY id";
	size_t		 n;
	int64_t		 v;

	install_ca(f->f_l);
	assert_int_equal(issue(f->f_l, SER_A, "tx-a", 0), 0);
	assert_int_equal(nevents(f->f_l), 3);
	n = f->f_l->l_nstmts;
	assert_int_equal(issue(f->f_l, SER_B, "tx-b", 0), 0);
	assert_int_equal(nevents(f->f_l), 5);
	assert_int_equal(f->f_l->l_nstmts, n);
	assert_int_equal(stmts_busy(f->f_l), 0);

	/* Another connection changes the schema under the cache. */
	assert_int_equal(db_exec(f->f_path, "CREATE TABLE other (x);"
	    " CREATE INDEX certs_other ON certs (subject)"), SQLITE_OK);
	assert_int_equal(issue(f->f_l, SER_C, "tx-c", 0), 0);
	assert_int_equal(nevents(f->f_l), 7);
	assert_int_equal(f->f_l->l_nstmts, n);

	/* The same SQL inside its own loop gets a statement of its own. */
	assert_int_equal(ledger_query(f->f_l, "all", all, NULL, 0, &st), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(ledger_ints(f->f_l, "all", all, NULL, 0, &v, 1), 0);
	assert_int_equal(v, 1);
	assert_int_equal(sqlite3_column_int64(st, 0), 2);
	ledger_done(f->f_l, st);
	assert_int_equal(f->f_l->l_nstmts, n + 1);
	assert_int_equal(stmts_busy(f->f_l), 0);

	/* One address, two texts. */
	snprintf(buf, sizeof(buf), "SELECT 1");
	assert_int_equal(ledger_ints(f->f_l, "one", buf, NULL, 0, &v, 1), 0);
	assert_int_equal(v, 1);
	snprintf(buf, sizeof(buf), "SELECT 2");
	assert_int_equal(ledger_ints(f->f_l, "two", buf, NULL, 0, &v, 1), 0);
	assert_int_equal(v, 2);

	/* Reopened at schema version 2: migrated, then used as before. */
	ledger_close(f->f_l);
	f->f_l = NULL;
	assert_int_equal(db_exec(f->f_path, "DROP TABLE ocsp_responses;"
	    " DROP INDEX events_txid; PRAGMA user_version = 2"), SQLITE_OK);
	assert_int_equal(ledger_open(f->f_path, 0, &f->f_l), 0);
	assert_int_equal(db_int(f->f_path, "PRAGMA user_version"), 4);
	assert_int_equal(nevents(f->f_l), 7);
	assert_int_equal(ledger_revoke(f->f_l, 1, SER_A, 1, NB + 10), 0);
	assert_int_equal(nevents(f->f_l), 8);
	assert_int_equal(stmts_busy(f->f_l), 0);
	assert_int_equal(ledger_verify(f->f_l, NULL, 0), 0);
}

static void
test_open_refuses_newer_schema(void **state)
{
	struct fixture	*f = *state;
	struct ledger	*l = NULL;

	ledger_close(f->f_l);
	f->f_l = NULL;
	assert_int_equal(db_exec(f->f_path, "PRAGMA user_version = 5"),
	    SQLITE_OK);
	assert_int_equal(ledger_open(f->f_path, 0, &l), -1);
	assert_null(l);
	assert_non_null(strstr(ledger_errmsg(NULL), "newer"));
	assert_int_equal(ledger_open(f->f_path, 1, &l), -1);
	assert_int_equal(db_int(f->f_path, "PRAGMA user_version"), 5);
}

static void
test_open_refuses_foreign_database(void **state)
{
	struct fixture	*f = *state;
	struct ledger	*l = NULL;
	char		 p[160];

	snprintf(p, sizeof(p), "%s/other.db", f->f_dir);
	assert_int_equal(db_exec(p, "CREATE TABLE t (x)"), SQLITE_OK);
	assert_int_equal(ledger_open(p, 0, &l), -1);
	assert_non_null(strstr(ledger_errmsg(NULL), "not a keyward ledger"));
	assert_int_equal(db_int(p, "SELECT count(*) FROM sqlite_master"), 1);
	unlink(p);
}

static void
test_cert_fields(void **state)
{
	struct ledger_cert	 lc;
	uint8_t			*der;
	size_t			 len;

	der = ee_der(SER_A, "dev1", "[s]\nDNS.1 = dev1.example\n"
	    "URI.1 = tag:microsoft.com,2022-09-14:sid:S-1-5-21\n"
	    "email.1 = a@example.com\nIP.1 = 10.0.0.1\nIP.2 = 2001:db8::1\n"
	    "otherName.1 = 1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com\n",
	    &len);
	memset(&lc, 0, sizeof(lc));
	assert_int_equal(ledger_cert_fields(der, len, &lc), 0);
	assert_string_equal(lc.lc_serial, SER_A);
	assert_string_equal(lc.lc_subject, "CN=dev1,O=Example");
	assert_string_equal(lc.lc_sans, "DNS:dev1.example, "
	    "URI:tag:microsoft.com,2022-09-14:sid:S-1-5-21, "
	    "email:a@example.com, IP:10.0.0.1, IP:2001:db8::1, "
	    "UPN:user@example.com");
	assert_int_equal(strlen(lc.lc_key_fp), 64);
	assert_int_equal(lc.lc_not_before, NB);
	assert_int_equal(lc.lc_not_after, NB + 86400);
	ledger_cert_free(&lc);
	/* A truncated certificate is refused and leaves nothing allocated. */
	assert_int_equal(ledger_cert_fields(der, len - 1, &lc), -1);
	assert_null(lc.lc_serial);
	OPENSSL_free(der);
}

static void
test_event_hash_encoding(void **state)
{
	struct ledger_event	 a, b;
	uint8_t			 ha[LEDGER_HASH_LEN], hb[LEDGER_HASH_LEN];

	memset(&a, 0, sizeof(a));
	a.ev_id = 1;
	a.ev_kind = EV_SIGNING;
	b = a;
	assert_int_equal(ledger_event_hash(&a, ha), 0);
	assert_int_equal(ledger_event_hash(&b, hb), 0);
	assert_memory_equal(ha, hb, sizeof(ha));
	/* NULL is not "". */
	b.ev_serial = "";
	assert_int_equal(ledger_event_hash(&b, hb), 0);
	assert_memory_not_equal(ha, hb, sizeof(ha));
	/* Bytes cannot move from one field to the next. */
	a.ev_serial = "AB";
	a.ev_profile = "C";
	b.ev_serial = "A";
	b.ev_profile = "BC";
	assert_int_equal(ledger_event_hash(&a, ha), 0);
	assert_int_equal(ledger_event_hash(&b, hb), 0);
	assert_memory_not_equal(ha, hb, sizeof(ha));
	/* A NULL reason is not reason 0, and prev is covered. */
	b = a;
	b.ev_has_reason = 1;
	assert_int_equal(ledger_event_hash(&b, hb), 0);
	assert_memory_not_equal(ha, hb, sizeof(ha));
	b = a;
	b.ev_prev[31] = 1;
	assert_int_equal(ledger_event_hash(&b, hb), 0);
	assert_memory_not_equal(ha, hb, sizeof(ha));
}

static int
count_row(void *arg, const struct ledger_cert *lc)
{
	int	*n = arg;

	(*n)++;
	return 0;
}

static void
test_issue_get_list_by_txid(void **state)
{
	struct fixture		*f = *state;
	struct ledger_cert	 lc;
	struct ledger_counts	 lt;
	int			 n;

	install_ca(f->f_l);
	assert_int_equal(ledger_serial_exists(f->f_l, SER_A), 0);
	assert_int_equal(issue(f->f_l, SER_A, "tx-a", 0), 0);
	assert_int_equal(issue(f->f_l, SER_B, "tx-b", 1), 0);
	assert_int_equal(ledger_serial_exists(f->f_l, SER_A), 1);
	assert_int_equal(ledger_cert_get(f->f_l, SER_A, &lc), 0);
	assert_string_equal(lc.lc_status, ST_VALID);
	assert_string_equal(lc.lc_subject, "CN=dev,O=Example");
	assert_string_equal(lc.lc_sans, "DNS:dev.example");
	assert_string_equal(lc.lc_txid, "tx-a");
	assert_string_equal(lc.lc_dir_ids, "intune:42");
	assert_int_equal(lc.lc_rev_reason, -1);
	assert_int_equal(lc.lc_rowid, 1);
	ledger_cert_free(&lc);
	assert_int_equal(ledger_cert_by_txid(f->f_l, 1, "tx-b", &lc), 0);
	assert_string_equal(lc.lc_serial, SER_B);
	assert_string_equal(lc.lc_status, ST_WITHHELD);
	ledger_cert_free(&lc);
	assert_int_equal(ledger_cert_by_txid(f->f_l, 2, "tx-b", &lc), 1);
	assert_int_equal(ledger_cert_by_txid(f->f_l, 1, "", &lc), 1);
	assert_int_equal(ledger_cert_get(f->f_l, SER_C, &lc), 1);
	n = 0;
	assert_int_equal(ledger_cert_list(f->f_l, "", 0, 10, count_row, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(ledger_cert_list(f->f_l, ST_WITHHELD, 0, 10,
	    count_row, &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(ledger_cert_list(f->f_l, "", 1, 10, count_row, &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(ledger_cert_list(f->f_l, "", 0, 1, count_row, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ledger_counts(f->f_l, &lt), 0);
	assert_int_equal(lt.lt_valid, 1);
	assert_int_equal(lt.lt_withheld, 1);
	assert_int_equal(lt.lt_events, 6);	/* ca, 2 x (signing, issued), withheld */
	assert_int_equal(lt.lt_checkpoint_event, 0);
}

static void
test_duplicate_serial_refused(void **state)
{
	struct fixture		*f = *state;
	struct ledger_issue	 li;
	uint8_t			*der;
	size_t			 len;
	uint64_t		 before;

	assert_int_equal(issue(f->f_l, SER_A, "tx-a", 0), 0);
	before = nevents(f->f_l);
	/* A second reservation of the serial is refused... */
	assert_int_equal(ledger_signing(f->f_l, 1, SER_A, "device", "1:x"),
	    -1);
	/* ...and so is a second issued event for it. */
	der = ee_der(SER_A, "other", NULL, &len);
	issue_init(&li, SER_A, der, len);
	assert_int_equal(ledger_issued(f->f_l, &li), -1);
	assert_non_null(strstr(ledger_errmsg(f->f_l), "already"));
	OPENSSL_free(der);
	assert_int_equal(nevents(f->f_l), before);
	assert_int_equal(db_int(f->f_path, "SELECT count(*) FROM certs"), 1);
	assert_int_equal(db_int(f->f_path, "SELECT count(*) FROM certs WHERE"
	    " subject = 'CN=dev,O=Example'"), 1);
}

static void
test_issue_needs_signing_and_matching_serial(void **state)
{
	struct fixture		*f = *state;
	struct ledger_issue	 li;
	uint8_t			*der;
	size_t			 len;

	der = ee_der(SER_A, "dev", NULL, &len);
	issue_init(&li, SER_A, der, len);
	/* No signing event: rule 3 says signing comes first. */
	assert_int_equal(ledger_issued(f->f_l, &li), -1);
	assert_int_equal(nevents(f->f_l), 0);
	/* The serial field must be the certificate's serial. */
	assert_int_equal(ledger_signing(f->f_l, 1, SER_B, "device", "1:x"), 0);
	li.li_serial = SER_B;
	assert_int_equal(ledger_issued(f->f_l, &li), -1);
	assert_non_null(strstr(ledger_errmsg(f->f_l), SER_A));
	assert_int_equal(nevents(f->f_l), 1);
	assert_int_equal(db_int(f->f_path, "SELECT count(*) FROM certs"), 0);
	OPENSSL_free(der);
}

static void
assert_status(struct ledger *l, const char *serial, const char *status,
    int64_t rev_time, int reason)
{
	struct ledger_cert	 lc;

	assert_int_equal(ledger_cert_get(l, serial, &lc), 0);
	assert_string_equal(lc.lc_status, status);
	assert_int_equal(lc.lc_rev_time, rev_time);
	assert_int_equal(lc.lc_rev_reason, reason);
	ledger_cert_free(&lc);
}

static void
test_revoke_hold_unhold(void **state)
{
	struct fixture	*f = *state;
	uint64_t	 n;

	assert_int_equal(issue(f->f_l, SER_A, "", 0), 0);
	assert_int_equal(ledger_revoke(f->f_l, 1, SER_A, 6, NB + 1), 0);
	assert_status(f->f_l, SER_A, ST_HOLD, NB + 1, 6);
	n = nevents(f->f_l);
	assert_int_equal(ledger_revoke(f->f_l, 1, SER_A, 6, NB + 2), 2);
	assert_int_equal(nevents(f->f_l), n);
	assert_int_equal(ledger_unhold(f->f_l, 1, SER_A), 0);
	assert_status(f->f_l, SER_A, ST_VALID, 0, -1);
	assert_int_equal(ledger_unhold(f->f_l, 1, SER_A), 2);
	/* From hold, a revocation for good. */
	assert_int_equal(ledger_revoke(f->f_l, 1, SER_A, 6, NB + 3), 0);
	assert_int_equal(ledger_revoke(f->f_l, 1, SER_A, 1, NB + 4), 0);
	assert_status(f->f_l, SER_A, ST_REVOKED, NB + 4, 1);
	n = nevents(f->f_l);
	assert_int_equal(ledger_revoke(f->f_l, 1, SER_A, 4, NB + 5), 2);
	assert_int_equal(ledger_revoke(f->f_l, 1, SER_A, 6, NB + 5), 2);
	assert_int_equal(ledger_unhold(f->f_l, 1, SER_A), 2);
	assert_int_equal(nevents(f->f_l), n);
	assert_status(f->f_l, SER_A, ST_REVOKED, NB + 4, 1);
	/* Absent serial, other CA, bad reason. */
	assert_int_equal(ledger_revoke(f->f_l, 1, SER_C, 1, NB), 1);
	assert_int_equal(ledger_unhold(f->f_l, 1, SER_C), 1);
	assert_int_equal(ledger_revoke(f->f_l, 2, SER_A, 1, NB), 1);
	assert_int_equal(ledger_revoke(f->f_l, 1, SER_A, 7, NB), -1);
	assert_int_equal(nevents(f->f_l), n);
}

static void
test_withheld_release(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(issue(f->f_l, SER_A, "tx", 1), 0);
	assert_status(f->f_l, SER_A, ST_WITHHELD, 0, -1);
	assert_int_equal(ledger_revoke(f->f_l, 1, SER_A, 6, NB), 2);
	assert_int_equal(ledger_release(f->f_l, 1, SER_A), 0);
	assert_status(f->f_l, SER_A, ST_VALID, 0, -1);
	assert_int_equal(ledger_release(f->f_l, 1, SER_A), 2);
	assert_int_equal(ledger_release(f->f_l, 1, SER_C), 1);
}

static int
alive(const char *owner)
{
	return strcmp(owner, "1:alive") == 0;
}

static void
test_abandon_orphans(void **state)
{
	struct fixture		*f = *state;
	struct ledger_issue	 li;
	uint8_t			*der;
	size_t			 len;
	uint64_t		 n;

	assert_int_equal(ledger_signing(f->f_l, 1, SER_A, "device", "9:dead"),
	    0);
	assert_int_equal(ledger_signing(f->f_l, 1, SER_B, "device", "1:alive"),
	    0);
	assert_int_equal(issue(f->f_l, SER_C, "", 0), 0);	/* owner alive */
	n = nevents(f->f_l);
	assert_int_equal(ledger_abandon_orphans(f->f_l, alive), 0);
	assert_int_equal(nevents(f->f_l), n + 1);
	assert_int_equal(db_int(f->f_path, "SELECT count(*) FROM events WHERE"
	    " kind = 'abandoned' AND serial = '" SER_A "'"), 1);
	/* A second sweep finds nothing new. */
	assert_int_equal(ledger_abandon_orphans(f->f_l, alive), 0);
	assert_int_equal(nevents(f->f_l), n + 1);
	/* An abandoned serial can no longer be issued. */
	der = ee_der(SER_A, "dev", NULL, &len);
	issue_init(&li, SER_A, der, len);
	assert_int_equal(ledger_issued(f->f_l, &li), -1);
	assert_non_null(strstr(ledger_errmsg(f->f_l), "abandoned"));
	OPENSSL_free(der);
	/* The signer abandons its own reservation after a failed signing. */
	assert_int_equal(ledger_abandon(f->f_l, 1, SER_B), 0);
	assert_int_equal(ledger_abandon(f->f_l, 1, SER_B), 1);
	assert_int_equal(ledger_abandon(f->f_l, 1, SER_C), 1);
	assert_int_equal(nevents(f->f_l), n + 2);
}

/* verify finds the tampering and names it as want. */
static void
assert_verify_finds(struct ledger *l, const char *want)
{
	char	 err[256];

	assert_int_equal(ledger_verify(l, err, sizeof(err)), 1);
	assert_string_equal(err, want);
}

static void
test_checkpoint_then_verify_ok(void **state)
{
	struct fixture		*f = *state;
	struct ledger_counts	 lt;
	uint8_t			 h[LEDGER_HASH_LEN];
	char			 err[256];
	int64_t			 id;

	build(f->f_l);
	assert_int_equal(ledger_head(f->f_l, &id, h), 0);
	assert_int_equal(id, 6);
	assert_int_equal(ledger_counts(f->f_l, &lt), 0);
	assert_int_equal(lt.lt_checkpoint_event, 6);
	assert_int_equal(lt.lt_revoked, 1);
	assert_int_equal(ledger_verify(f->f_l, err, sizeof(err)), 0);
	/* More events after the checkpoint, and a hold, still verify. */
	assert_int_equal(issue(f->f_l, SER_C, "tx-c", 1), 0);
	assert_int_equal(ledger_release(f->f_l, 1, SER_C), 0);
	assert_int_equal(ledger_revoke(f->f_l, 1, SER_A, 6, NB + 20), 0);
	assert_int_equal(ledger_verify(f->f_l, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void
test_checkpoint_wrong_key_refused(void **state)
{
	struct fixture	*f = *state;
	int64_t		 id = 0;

	assert_int_equal(ledger_checkpoint(f->f_l, 1, keys.k_ca, &id), -1);
	install_ca(f->f_l);
	assert_int_equal(ledger_checkpoint(f->f_l, 2, keys.k_ca, &id), -1);
	assert_int_equal(ledger_checkpoint(f->f_l, 1, keys.k_ee, &id), -1);
	assert_int_equal(db_int(f->f_path, "SELECT count(*) FROM checkpoints"),
	    0);
}

static void
test_checkpoint_ecdsa(void **state)
{
	struct fixture	*f = *state;
	X509		*x;
	uint8_t		*der;
	size_t		 len;
	char		 err[256];
	int64_t		 id;

	x = cert_new("02", "EC CA", keys.k_ee, NULL);
	assert_true(X509_sign(x, keys.k_ee, EVP_sha256()) > 0);
	der = cert_der(x, &len);
	assert_int_equal(ledger_ca_install(f->f_l, 2, ROLE_CA, der, len), 0);
	assert_int_equal(ledger_checkpoint(f->f_l, 2, keys.k_ee, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(ledger_verify(f->f_l, err, sizeof(err)), 0);
	OPENSSL_free(der);
	X509_free(x);
}

static void
test_verify_detects_changed_event(void **state)
{
	struct fixture	*f = *state;

	build(f->f_l);
	drop_triggers(f->f_path);
	assert_int_equal(db_exec(f->f_path, "UPDATE events SET requester ="
	    " 'mallory' WHERE id = 3"), SQLITE_OK);
	assert_verify_finds(f->f_l, "event 3 (issued " SER_A "): hash does "
	    "not match its contents");
}

static void
test_verify_detects_changed_cert_column(void **state)
{
	struct fixture	*f = *state;
	const char	*want = "certificate " SER_B ": column status is "
	    "'valid', events say 'revoked'";

	build(f->f_l);
	drop_triggers(f->f_path);
	assert_int_equal(db_exec(f->f_path, "UPDATE certs SET status = 'valid'"
	    " WHERE serial = '" SER_B "'"), SQLITE_OK);
	assert_verify_finds(f->f_l, want);
	assert_string_equal(ledger_errmsg(f->f_l), want);
}

static void
test_verify_detects_deleted_cert_row(void **state)
{
	struct fixture	*f = *state;

	build(f->f_l);
	drop_triggers(f->f_path);
	assert_int_equal(db_exec(f->f_path, "DELETE FROM certs"
	    " WHERE serial = '" SER_A "'"), SQLITE_OK);
	assert_verify_finds(f->f_l, "event 3 (issued " SER_A "): certificate "
	    SER_A " has no row");
}

static void
test_verify_detects_row_without_events(void **state)
{
	struct fixture	*f = *state;

	build(f->f_l);
	assert_int_equal(db_exec(f->f_path, "INSERT INTO certs (ca_id, serial,"
	    " subject, sans, key_fp, profile, requester, dir_ids, txid,"
	    " csr_hash, not_before, not_after, status, der) SELECT ca_id,"
	    " '" SER_C "', subject, sans, key_fp, profile, requester, dir_ids,"
	    " txid, csr_hash, not_before, not_after, status, der FROM certs"
	    " WHERE serial = '" SER_A "'"), SQLITE_OK);
	assert_verify_finds(f->f_l, "certificate " SER_C ": row present, but "
	    "no issued event");
}

/* Flips one bit in the middle of the first checkpoint's signature. */
static void
flip_sig_bit(const char *path)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	uint8_t		 sig[1024];
	int		 len;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT sig FROM checkpoints"
	    " WHERE id = 1", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	len = sqlite3_column_bytes(st, 0);
	assert_in_range(len, 64, sizeof(sig));
	memcpy(sig, sqlite3_column_blob(st, 0), (size_t)len);
	sqlite3_finalize(st);
	sig[len / 2] ^= 0x01;
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE checkpoints SET"
	    " sig = ?1 WHERE id = 1", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_blob(st, 1, sig, len, SQLITE_STATIC),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
test_verify_detects_forged_checkpoint(void **state)
{
	struct fixture	*f = *state;

	build(f->f_l);
	drop_triggers(f->f_path);
	flip_sig_bit(f->f_path);
	assert_verify_finds(f->f_l, "checkpoint 1 (event 6): signature does "
	    "not verify with the CA 1 certificate");
}

/* What an attacker does next: change an event and rehash the chain. */
static void
rehash_chain(const char *path)
{
	struct ledger_event	 ev;
	sqlite3			*db;
	sqlite3_stmt		*sel, *upd;
	uint8_t			 prev[LEDGER_HASH_LEN];

	memset(prev, 0, sizeof(prev));
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT " EVENT_COLUMNS
	    " FROM events ORDER BY id", -1, &sel, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE events SET prev = ?1,"
	    " hash = ?2 WHERE id = ?3", -1, &upd, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), 0);
	while (sqlite3_step(sel) == SQLITE_ROW) {
		memset(&ev, 0, sizeof(ev));
		ev.ev_id = sqlite3_column_int64(sel, 0);
		ev.ev_ts = sqlite3_column_int64(sel, 1);
		ev.ev_ca_id = sqlite3_column_int64(sel, 2);
		ev.ev_kind = (const char *)sqlite3_column_text(sel, 3);
		ev.ev_serial = (const char *)sqlite3_column_text(sel, 4);
		ev.ev_profile = (const char *)sqlite3_column_text(sel, 5);
		ev.ev_txid = (const char *)sqlite3_column_text(sel, 6);
		ev.ev_csr_hash = (const char *)sqlite3_column_text(sel, 7);
		ev.ev_requester = (const char *)sqlite3_column_text(sel, 8);
		ev.ev_dir_ids = (const char *)sqlite3_column_text(sel, 9);
		ev.ev_has_reason = sqlite3_column_type(sel, 10) != SQLITE_NULL;
		ev.ev_reason = sqlite3_column_int64(sel, 10);
		ev.ev_has_rev_time = sqlite3_column_type(sel, 11) !=
		    SQLITE_NULL;
		ev.ev_rev_time = sqlite3_column_int64(sel, 11);
		ev.ev_owner = (const char *)sqlite3_column_text(sel, 12);
		ev.ev_der = sqlite3_column_blob(sel, 13);
		ev.ev_derlen = (size_t)sqlite3_column_bytes(sel, 13);
		memcpy(ev.ev_prev, prev, sizeof(prev));
		assert_int_equal(ledger_event_hash(&ev, ev.ev_hash), 0);
		memcpy(prev, ev.ev_hash, sizeof(prev));
		sqlite3_bind_blob(upd, 1, ev.ev_prev, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(upd, 2, ev.ev_hash, 32, SQLITE_TRANSIENT);
		sqlite3_bind_int64(upd, 3, ev.ev_id);
		assert_int_equal(sqlite3_step(upd), SQLITE_DONE);
		sqlite3_reset(upd);
	}
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), 0);
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	sqlite3_close(db);
}

static void
test_verify_detects_rehashed_chain(void **state)
{
	struct fixture	*f = *state;

	build(f->f_l);
	drop_triggers(f->f_path);
	/* Unrevoke B: drop the revoked event, fix the row, rehash. */
	assert_int_equal(db_exec(f->f_path, "DELETE FROM events WHERE id = 6;"
	    "UPDATE certs SET status = 'valid', rev_time = 0,"
	    " rev_reason = -1 WHERE serial = '" SER_B "'"), SQLITE_OK);
	rehash_chain(f->f_path);
	assert_verify_finds(f->f_l, "checkpoint 1: event 6 is not in the "
	    "ledger");
	/* Same with an event appended to take the place of the old one. */
	assert_int_equal(ledger_revoke(f->f_l, 1, SER_A, 6, NB), 0);
	rehash_chain(f->f_path);
	assert_verify_finds(f->f_l, "checkpoint 1 (event 6): signed head "
	    "hash does not match the chain");
}

/* Several workers append to one ledger; the chain stays one chain. */
static void
test_concurrent_writers(void **state)
{
	struct fixture	*f = *state;
	struct ledger	*l;
	char		 serial[32], err[256];
	pid_t		 pid[4];
	int		 k, i, st, bad;

	install_ca(f->f_l);
	for (k = 0; k < 4; k++) {
		assert_true((pid[k] = fork()) != -1);
		if (pid[k] != 0)
			continue;
		bad = ledger_open(f->f_path, 0, &l) != 0;
		for (i = 0; i < 20 && !bad; i++) {
			snprintf(serial, sizeof(serial), "%02X%02X00000000AA",
			    k + 1, i + 1);
			bad = issue(l, serial, "", 0) != 0;
		}
		ledger_close(l);
		_exit(bad);
	}
	for (k = 0; k < 4; k++) {
		assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_equal(db_int(f->f_path, "SELECT count(*) FROM certs"), 80);
	assert_int_equal(nevents(f->f_l), 1 + 4 * 20 * 2);
	assert_int_equal(ledger_verify(f->f_l, err, sizeof(err)), 0);
}

static void
test_readonly_open(void **state)
{
	struct fixture		*f = *state;
	struct ledger		*ro = NULL;
	struct ledger_cert	 lc;
	struct ledger_counts	 lt;
	uint8_t			*der;
	size_t			 len;
	char			 err[256];
	int64_t			 id;

	build(f->f_l);
	ledger_close(f->f_l);
	f->f_l = NULL;
	assert_int_equal(ledger_open(f->f_path, 1, &ro), 0);
	assert_int_equal(ledger_cert_get(ro, SER_B, &lc), 0);
	assert_string_equal(lc.lc_status, ST_REVOKED);
	ledger_cert_free(&lc);
	assert_int_equal(ledger_ca_cert(ro, 1, ROLE_CA, &der, &len), 0);
	assert_int_equal(len, keys.k_cadelen);
	assert_memory_equal(der, keys.k_cader, len);
	free(der);
	assert_int_equal(ledger_ca_cert(ro, 1, ROLE_OCSP, &der, &len), 1);
	assert_int_equal(ledger_counts(ro, &lt), 0);
	assert_int_equal(lt.lt_events, 6);
	assert_int_equal(ledger_verify(ro, err, sizeof(err)), 0);
	/* Nothing can be written through it. */
	assert_int_equal(ledger_signing(ro, 1, SER_C, "device", "1:x"), -1);
	assert_int_equal(ledger_revoke(ro, 1, SER_A, 1, NB), -1);
	assert_int_equal(ledger_checkpoint(ro, 1, keys.k_ca, &id), -1);
	ledger_close(ro);
	assert_int_equal(db_int(f->f_path, "SELECT count(*) FROM events"), 6);
	/* A missing file is not created by a read-only open. */
	assert_int_equal(ledger_open("/nonexistent/ledger.db", 1, &ro), -1);
}

/* Two resends of one transactionID cannot both be signed. */
static void
test_signing_txid_once(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(ledger_signing_txid(f->f_l, 1, SER_A, "device",
	    "1:x", "tx-1", "AB12"), 0);
	/* In progress: the second reservation writes nothing. */
	assert_int_equal(ledger_signing_txid(f->f_l, 1, SER_B, "device",
	    "1:x", "tx-1", "AB12"), 1);
	assert_int_equal(nevents(f->f_l), 1);
	/* Abandoned, it may be tried again; issued, it may not. */
	assert_int_equal(ledger_abandon(f->f_l, 1, SER_A), 0);
	assert_int_equal(ledger_signing_txid(f->f_l, 1, SER_B, "device",
	    "1:x", "tx-1", "AB12"), 0);
	assert_int_equal(issue(f->f_l, SER_C, "tx-2", 0), 0);
	assert_int_equal(ledger_signing_txid(f->f_l, 1, "0C", "device",
	    "1:x", "tx-2", "AB12"), 1);
	/* Another CA's transaction of that name is another transaction. */
	assert_int_equal(ledger_signing_txid(f->f_l, 2, "0D", "device",
	    "1:x", "tx-2", "AB12"), 0);
}

/* Queue, look up, list, decide once. */
static void
test_pending_queue(void **state)
{
	struct fixture		*f = *state;
	struct ledger_pending	 lp, got;
	uint8_t			 csr[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	int64_t			 id, id2;
	int			 n = 0;

	memset(&lp, 0, sizeof(lp));
	lp.lp_ca_id = 1;
	lp.lp_txid = "tx-p";
	lp.lp_csr_hash = "AB12";
	lp.lp_csr = csr;
	lp.lp_csrlen = sizeof(csr);
	lp.lp_profile = "device";
	lp.lp_requester = "scep /CN=p";
	lp.lp_subject = "/CN=p";
	assert_int_equal(ledger_pend(f->f_l, &lp, &id), 0);
	/* The same request again is the same row... */
	assert_int_equal(ledger_pend(f->f_l, &lp, &id2), 0);
	assert_int_equal(id2, id);
	/* ...another CSR under its transactionID is refused. */
	lp.lp_csr_hash = "CD34";
	assert_int_equal(ledger_pend(f->f_l, &lp, &id2), 2);
	assert_int_equal(ledger_pending_by_txid(f->f_l, 1, "tx-p", &got), 0);
	assert_int_equal(got.lp_id, id);
	assert_string_equal(got.lp_state, PD_PENDING);
	assert_memory_equal(got.lp_csr, csr, sizeof(csr));
	ledger_pending_free(&got);
	assert_int_equal(ledger_pending_list(f->f_l, 0, 10, count_pending,
	    &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ledger_pending_decide(f->f_l, id, PD_APPROVED, SER_A,
	    "admin uid 0"), 0);
	assert_int_equal(ledger_pending_decide(f->f_l, id, PD_DENIED, NULL,
	    "admin uid 0"), 2);
	assert_int_equal(ledger_pending_decide(f->f_l, id + 1, PD_DENIED,
	    NULL, "admin uid 0"), 1);
	assert_int_equal(ledger_pending_get(f->f_l, id, &got), 0);
	assert_string_equal(got.lp_state, PD_APPROVED);
	assert_string_equal(got.lp_serial, SER_A);
	ledger_pending_free(&got);
	n = 0;
	assert_int_equal(ledger_pending_list(f->f_l, 0, 10, count_pending,
	    &n), 0);
	assert_int_equal(n, 0);
}

/* What a ledger_locked() callback stores: rows or one CRL. */
struct locked {
	struct ledger		*lk_l;
	struct ledger_ocsp	 lk_rows[2];
	size_t			 lk_n;
	const uint8_t		*lk_crl;
	size_t			 lk_crllen;
};

static int
store_locked(void *arg)
{
	struct locked	*lk = arg;
	size_t		 i;

	for (i = 0; i < lk->lk_n; i++)
		if (ledger_ocsp_put(lk->lk_l, 1, &lk->lk_rows[i]) == -1)
			return -1;
	if (lk->lk_crl != NULL)
		return ledger_crl(lk->lk_l, 1, lk->lk_crl, lk->lk_crllen);
	return 0;
}

static void
row(struct ledger_ocsp *o, const char *serial, int md, int64_t t0)
{
	memset(o, 0, sizeof(*o));
	o->lo_serial = serial;
	o->lo_md = md;
	o->lo_this_update = t0;
	o->lo_next_update = t0 + 100;
	o->lo_der = (const uint8_t *)serial;
	o->lo_derlen = strlen(serial);
}

struct keylist {
	char	 kl_serial[4][32];
	int	 kl_md[4];
	int64_t	 kl_seq[4];
	int	 kl_n;
};

static int
key_add(void *arg, const struct ledger_ocsp *o)
{
	struct keylist	*kl = arg;

	if (kl->kl_n == 4)
		return -1;
	snprintf(kl->kl_serial[kl->kl_n], 32, "%s", o->lo_serial);
	kl->kl_md[kl->kl_n] = o->lo_md;
	kl->kl_seq[kl->kl_n++] = o->lo_seq;
	return 0;
}

/* Rows take increasing sequence numbers, the pull follows them, the
 * refresh list puts what was asked for first, prune drops the expired. */
static void
test_ocsp_store(void **state)
{
	struct fixture	*f = *state;
	struct locked	 lk;
	struct keylist	 kl;
	char		 err[256];

	install_ca(f->f_l);
	assert_int_equal(issue(f->f_l, SER_A, "tx-a", 0), 0);
	assert_int_equal(issue(f->f_l, SER_B, "tx-b", 0), 0);
	memset(&lk, 0, sizeof(lk));
	lk.lk_l = f->f_l;
	row(&lk.lk_rows[0], SER_A, NID_sha1, NB);
	row(&lk.lk_rows[1], SER_B, NID_sha1, NB);
	assert_int_equal(ledger_ocsp_put(f->f_l, 1, &lk.lk_rows[0]), -1);
	lk.lk_n = 2;
	assert_int_equal(ledger_locked(f->f_l, store_locked, &lk), 0);
	assert_int_equal(lk.lk_rows[1].lo_seq, 2);
	memset(&kl, 0, sizeof(kl));
	assert_int_equal(ledger_ocsp_since(f->f_l, 1, 0, 10, key_add, &kl), 0);
	assert_int_equal(kl.kl_n, 2);
	assert_string_equal(kl.kl_serial[1], SER_B);
	lk.lk_n = 1;
	assert_int_equal(ledger_locked(f->f_l, store_locked, &lk), 0);
	memset(&kl, 0, sizeof(kl));
	assert_int_equal(ledger_ocsp_since(f->f_l, 1, 2, 10, key_add, &kl), 0);
	assert_int_equal(kl.kl_n, 1);
	assert_int_equal(kl.kl_seq[0], 3);
	/* Nothing due yet for SHA-1; both lack a SHA-256 row. */
	memset(&kl, 0, sizeof(kl));
	assert_int_equal(ledger_ocsp_due(f->f_l, 1, NID_sha1, NB + 10, 4,
	    key_add, &kl), 0);
	assert_int_equal(kl.kl_n, 0);
	assert_int_equal(ledger_ocsp_due(f->f_l, 1, NID_sha256, NB + 10, 4,
	    key_add, &kl), 0);
	assert_int_equal(kl.kl_n, 2);
	assert_int_equal(kl.kl_md[0], NID_sha256);
	/* Past half their life: the one a relying party asked for first. */
	assert_int_equal(ledger_ocsp_want(f->f_l, 1, &lk.lk_rows[1], 1), 0);
	memset(&kl, 0, sizeof(kl));
	assert_int_equal(ledger_ocsp_due(f->f_l, 1, NID_sha1, NB + 60, 4,
	    key_add, &kl), 0);
	assert_int_equal(kl.kl_n, 2);
	assert_string_equal(kl.kl_serial[0], SER_B);
	assert_int_equal(ledger_ocsp_prune(f->f_l, 1, NB + 86400 + 1), 0);
	assert_int_equal(db_int(f->f_path, "SELECT count(*) FROM"
	    " ocsp_responses"), 0);
	/* The cache is no part of the record. */
	assert_int_equal(ledger_verify(f->f_l, err, sizeof(err)), 0);
}

/* A CRL is an event like the others, recorded under the lock only. */
static void
test_crl_events(void **state)
{
	struct fixture	*f = *state;
	struct locked	 lk;
	X509_CRL	*crl;
	ASN1_TIME	*t;
	uint8_t		*der = NULL, *got = NULL;
	size_t		 gotlen;
	int64_t		 id;
	int		 len;
	char		 err[256];

	install_ca(f->f_l);
	assert_int_equal(ledger_crl_latest(f->f_l, 1, &id, NULL, NULL), 1);
	assert_non_null(crl = X509_CRL_new());
	assert_int_equal(X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(keys.k_cacert)), 1);
	assert_non_null(t = ASN1_TIME_set(NULL, NB));
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
	ASN1_TIME_free(t);
	assert_true(X509_CRL_sign(crl, keys.k_ca, EVP_sha256()) > 0);
	assert_true((len = i2d_X509_CRL(crl, &der)) > 0);
	X509_CRL_free(crl);
	assert_int_equal(ledger_crl(f->f_l, 1, der, (size_t)len), -1);
	memset(&lk, 0, sizeof(lk));
	lk.lk_l = f->f_l;
	lk.lk_crl = keys.k_cader;	/* a certificate, not a CRL */
	lk.lk_crllen = keys.k_cadelen;
	assert_int_equal(ledger_locked(f->f_l, store_locked, &lk), -1);
	lk.lk_crl = der;
	lk.lk_crllen = (size_t)len;
	assert_int_equal(ledger_locked(f->f_l, store_locked, &lk), 0);
	assert_int_equal(ledger_crl_latest(f->f_l, 1, &id, &got, &gotlen), 0);
	assert_int_equal(id, 2);
	assert_int_equal(gotlen, (size_t)len);
	assert_memory_equal(got, der, gotlen);
	assert_int_equal(ledger_crl_latest(f->f_l, 2, &id, NULL, NULL), 1);
	assert_int_equal(ledger_verify(f->f_l, err, sizeof(err)), 0);
	free(got);
	OPENSSL_free(der);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_creates_schema),
		T(test_statement_cache),
		T(test_issued_with_x509),
		T(test_open_refuses_newer_schema),
		T(test_open_refuses_foreign_database),
		cmocka_unit_test(test_cert_fields),
		cmocka_unit_test(test_event_hash_encoding),
		T(test_issue_get_list_by_txid),
		T(test_duplicate_serial_refused),
		T(test_issue_needs_signing_and_matching_serial),
		T(test_revoke_hold_unhold),
		T(test_withheld_release),
		T(test_abandon_orphans),
		T(test_checkpoint_then_verify_ok),
		T(test_checkpoint_wrong_key_refused),
		T(test_checkpoint_ecdsa),
		T(test_verify_detects_changed_event),
		T(test_verify_detects_changed_cert_column),
		T(test_verify_detects_deleted_cert_row),
		T(test_verify_detects_row_without_events),
		T(test_verify_detects_forged_checkpoint),
		T(test_verify_detects_rehashed_chain),
		T(test_concurrent_writers),
		T(test_readonly_open),
		T(test_signing_txid_once),
		T(test_pending_queue),
		T(test_ocsp_store),
		T(test_crl_events),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
