/*
 * scepmsg.h: the client side of SCEP (RFC 8894) for keyward's test tool
 * and benchmark: pkiMessages as a device builds them, CertReps as a
 * device reads them, and the HTTP exchange with libevent.
 */
#ifndef KEYWARD_SCEPMSG_H
#define KEYWARD_SCEPMSG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct event_base;
struct evhttp_connection;

#define SCEPMSG_TXID_LEN	64	/* hex SHA-256 of the public key */
#define SCEPMSG_NONCE_LEN	16
#define SCEPMSG_HOST_MAX	256
#define SCEPMSG_PATH_MAX	1024

/* One requester: its key, self-signed certificate and message ids. */
struct scepmsg {
	EVP_PKEY	*sm_key;	/* own reference */
	X509		*sm_cert;	/* self-signed for sm_key */
	char		 sm_txid[SCEPMSG_TXID_LEN + 1];
	uint8_t		 sm_nonce[SCEPMSG_NONCE_LEN];
};

/* What a CertRep said. */
struct scepmsg_rep {
	int		 rp_status;	/* SCEP_SUCCESS, _FAILURE, _PENDING */
	int		 rp_failinfo;	/* SCEP_BAD_*, FAILURE only */
	X509		*rp_cert;	/* SUCCESS: the issued certificate */
};

/* scepmsg.c */
/* Fills m for key: certificate, transactionID, fresh senderNonce. */
int	 scepmsg_init(struct scepmsg *m, EVP_PKEY *key);
void	 scepmsg_free(struct scepmsg *m);
/*
 * The pkiMessage: SignedData over the EnvelopedData env, signed with md,
 * messageType type (decimal text); badsig flips a bit of the signature.
 * *der is freed with OPENSSL_free.
 */
int	 scepmsg_sign(const struct scepmsg *m, const char *type,
	    const EVP_MD *md, int badsig, const uint8_t *env, size_t envlen,
	    uint8_t **der, size_t *len);
/* Verifies a CertRep against ra and m, decrypts it; fills rep. */
int	 scepmsg_reply(const struct scepmsg *m, X509 *ra, const uint8_t *der,
	    size_t len, struct scepmsg_rep *rep);
void	 scepmsg_rep_free(struct scepmsg_rep *rep);
const char *scepmsg_failname(int failinfo);
/* The RA certificate (not a CA, keyEncipherment) from GetCACert. */
X509	*scepmsg_ra(const uint8_t *der, size_t len);

/* scephttp.c */
/* One HTTP connection to a SCEP URL. */
struct scephttp {
	struct evhttp_connection *sh_conn;
	char		 sh_host[SCEPMSG_HOST_MAX];
	char		 sh_path[SCEPMSG_PATH_MAX];
};

/* Called with the HTTP status (0: no answer) and the body. */
typedef void	(*scephttp_fn)(int code, const uint8_t *body, size_t len,
		    void *arg);

int	 scephttp_open(struct scephttp *, struct event_base *,
	    const char *url);
void	 scephttp_close(struct scephttp *);
/* operation=op: a GET when body is NULL, else a POST of body. */
int	 scephttp_send(struct scephttp *, const char *op, const uint8_t *body,
	    size_t len, scephttp_fn done, void *arg);
/* The same, waited for: *out (free) and *code. */
int	 scephttp_fetch(const char *url, const char *op, const uint8_t *body,
	    size_t len, uint8_t **out, size_t *outlen, int *code);

#endif
