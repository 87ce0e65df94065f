/*
 * common.h: what every keyward process needs: logging, configuration,
 * secrets from files, serial numbers and revocation reason names.
 */
#ifndef KEYWARD_COMMON_H
#define KEYWARD_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define KW_VERSION	"0.1.0"

/* log.c */
enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
void	log_init(const char *procname, int level);
void	log_setlevel(int level);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/* secret.c */
/* Reads a one-line secret (PIN, challenge) into buf, without the newline. */
int	secret_read(const char *path, char *buf, size_t bufsz);
/* Writes a secret to a new 0600 file; fails if the file exists. */
int	secret_write(const char *path, const char *secret);
/* Fills buf with a random printable secret of len characters. */
int	secret_random(char *buf, size_t len);

/* clock.c: monotonic milliseconds. */
int64_t	mono_ms(void);

/* binpath.c: path of a sibling program of the running binary. */
int	bin_path(const char *name, char *out, size_t outsz);

/* scepalg.c: algorithms and text SCEP accepts. */
int	scep_digest_ok(int nid, int legacy);
int	scep_cipher_ok(int nid, int legacy);
int	scep_printable(const uint8_t *s, size_t len);
/* OpenSSL's legacy provider (DES-CBC), loaded before any jail; 0 or -1. */
int	scep_legacy_load(void);

/* serial.c: serials print as upper-case hex without separators. */
#define SERIAL_MAX	20		/* RFC 5280 octets */
#define SERIAL_HEX_MAX	(SERIAL_MAX * 2 + 1)
/* Normalises "0a:1B:..." or "0a1b..." into upper-case hex; -1 if not hex. */
int	serial_normalize(const char *in, char *out, size_t outsz);
void	serial_hex(const uint8_t *bin, size_t len, char *out, size_t outsz);
/* A certificate's serial that way; -1 if negative or over SERIAL_MAX. */
struct x509_st;
struct asn1_string_st;
int	serial_of_cert(const struct x509_st *, char out[SERIAL_HEX_MAX]);
int	serial_of_asn1(const struct asn1_string_st *, char out[SERIAL_HEX_MAX]);

/* ocspid.c: CertID digests and our issuer's hashes. */
struct evp_md_st;
const struct evp_md_st *ocsp_digest(int nid);
int	ocsp_issuer_hashes(struct x509_st *ca, int nid, uint8_t *name,
	    size_t *nlen, uint8_t *key, size_t *klen);

/* reason.c: RFC 5280 CRLReason names and numbers. */
#define REASON_MAX	10
#define REASON_AFFILIATION	3	/* affiliationChanged */
#define REASON_CESSATION	5	/* cessationOfOperation */
#define REASON_HOLD		6	/* certificateHold */
int		 reason_parse(const char *name);	/* -1 if unknown */
const char	*reason_name(int reason);		/* NULL if invalid */

#endif
