/*
 * msg.c: building and reading message bodies through a bounded cursor.
 * Errors are sticky so that a handler reads every field, then checks once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ipc.h"

static void	*msg_reserve(struct ipc_msg *, size_t);
static const uint8_t *msg_take(struct ipc_msg *, size_t);

void
ipc_msg_init(struct ipc_msg *m, uint16_t type, uint32_t reqid, uint32_t ca_id)
{
	memset(m, 0, sizeof(*m));
	m->m_hdr.h_version = IPC_VERSION;
	m->m_hdr.h_type = type;
	m->m_hdr.h_reqid = reqid;
	m->m_hdr.h_ca_id = ca_id;
}

void
ipc_msg_free(struct ipc_msg *m)
{
	free(m->m_body);
	m->m_body = NULL;
	m->m_len = m->m_cap = m->m_off = 0;
}

int
ipc_msg_ok(const struct ipc_msg *m)
{
	return m->m_err == 0;
}

/* Grows the body by n bytes, refusing to exceed IPC_BODY_MAX. */
static void *
msg_reserve(struct ipc_msg *m, size_t n)
{
	uint8_t	*p;
	size_t	 cap;

	if (m->m_err || n > IPC_BODY_MAX - m->m_len) {
		m->m_err = 1;
		return NULL;
	}
	if (m->m_len + n > m->m_cap) {
		cap = m->m_cap ? m->m_cap : 256;
		while (cap < m->m_len + n)
			cap *= 2;
		if ((p = realloc(m->m_body, cap)) == NULL) {
			m->m_err = 1;
			return NULL;
		}
		m->m_body = p;
		m->m_cap = cap;
	}
	p = m->m_body + m->m_len;
	m->m_len += n;
	m->m_hdr.h_bodylen = (uint32_t)m->m_len;
	return p;
}

void
ipc_put_u32(struct ipc_msg *m, uint32_t v)
{
	uint8_t	*p;

	if ((p = msg_reserve(m, 4)) == NULL)
		return;
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

void
ipc_put_u64(struct ipc_msg *m, uint64_t v)
{
	ipc_put_u32(m, (uint32_t)(v >> 32));
	ipc_put_u32(m, (uint32_t)v);
}

void
ipc_put_bytes(struct ipc_msg *m, const void *data, size_t len)
{
	if (len > IPC_BODY_MAX) {
		m->m_err = 1;
		return;
	}
	ipc_put_u32(m, (uint32_t)len);
	ipc_put_raw(m, data, len);
}

/* Appends bytes already encoded as fields (no length prefix). */
void
ipc_put_raw(struct ipc_msg *m, const void *data, size_t len)
{
	uint8_t	*p;

	if (len > 0 && (p = msg_reserve(m, len)) != NULL)
		memcpy(p, data, len);
}

void
ipc_put_str(struct ipc_msg *m, const char *s)
{
	ipc_put_bytes(m, s, s == NULL ? 0 : strlen(s));
}

/* Consumes n bytes from the read cursor, or fails the message. */
static const uint8_t *
msg_take(struct ipc_msg *m, size_t n)
{
	const uint8_t	*p;

	if (m->m_err || n > m->m_len - m->m_off) {
		m->m_err = 1;
		return NULL;
	}
	p = m->m_body + m->m_off;
	m->m_off += n;
	return p;
}

void
ipc_put_rows(struct ipc_msg *m, uint32_t n, struct ipc_msg *rows)
{
	ipc_put_u32(m, n);
	ipc_put_raw(m, rows->m_body, rows->m_len);
	ipc_msg_free(rows);
}

void
ipc_get_u32(struct ipc_msg *m, uint32_t *v)
{
	const uint8_t	*p;

	*v = 0;
	if ((p = msg_take(m, 4)) == NULL)
		return;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
ipc_get_u64(struct ipc_msg *m, uint64_t *v)
{
	uint32_t	 hi, lo;

	ipc_get_u32(m, &hi);
	ipc_get_u32(m, &lo);
	*v = (uint64_t)hi << 32 | lo;
}

void
ipc_get_bytes(struct ipc_msg *m, const uint8_t **p, size_t *len, size_t max)
{
	uint32_t	 n;

	*p = NULL;
	*len = 0;
	ipc_get_u32(m, &n);
	if (m->m_err)
		return;
	if (n > max) {
		m->m_err = 1;
		return;
	}
	if ((*p = msg_take(m, n)) != NULL)
		*len = n;
}

/* A string must fit the buffer with its NUL and contain no NUL itself. */
void
ipc_get_str(struct ipc_msg *m, char *buf, size_t bufsz)
{
	const uint8_t	*p;
	size_t		 len;

	buf[0] = '\0';
	ipc_get_bytes(m, &p, &len, bufsz - 1);
	if (m->m_err)
		return;
	if (len > 0 && memchr(p, '\0', len) != NULL) {
		m->m_err = 1;
		return;
	}
	if (len > 0)
		memcpy(buf, p, len);
	buf[len] = '\0';
}

int
ipc_get_end(struct ipc_msg *m)
{
	if (m->m_err || m->m_off != m->m_len)
		return -1;
	return 0;
}

void
ipc_put_issue(struct ipc_msg *m, const struct ipc_issue *is)
{
	ipc_put_str(m, is->is_profile);
	ipc_put_bytes(m, is->is_csr, is->is_csrlen);
	ipc_put_str(m, is->is_txid);
	ipc_put_str(m, is->is_requester);
	ipc_put_str(m, is->is_dir_ids);
	ipc_put_u32(m, is->is_flags);
}

void
ipc_put_cert(struct ipc_msg *m, const struct ipc_cert *c)
{
	ipc_put_str(m, c->c_serial);
	ipc_put_str(m, c->c_subject);
	ipc_put_str(m, c->c_sans);
	ipc_put_str(m, c->c_profile);
	ipc_put_str(m, c->c_status);
	ipc_put_u64(m, c->c_not_before);
	ipc_put_u64(m, c->c_not_after);
	ipc_put_u64(m, c->c_rev_time);
	ipc_put_u32(m, c->c_reason);
	ipc_put_bytes(m, c->c_der, c->c_derlen);
}

void
ipc_get_cert(struct ipc_msg *m, struct ipc_cert *c)
{
	ipc_get_str(m, c->c_serial, sizeof(c->c_serial));
	ipc_get_str(m, c->c_subject, sizeof(c->c_subject));
	ipc_get_str(m, c->c_sans, sizeof(c->c_sans));
	ipc_get_str(m, c->c_profile, sizeof(c->c_profile));
	ipc_get_str(m, c->c_status, sizeof(c->c_status));
	ipc_get_u64(m, &c->c_not_before);
	ipc_get_u64(m, &c->c_not_after);
	ipc_get_u64(m, &c->c_rev_time);
	ipc_get_u32(m, &c->c_reason);
	ipc_get_bytes(m, &c->c_der, &c->c_derlen, IPC_CERT_MAX);
}

void
ipc_put_ocsp_row(struct ipc_msg *m, const struct ipc_ocsp_row *o)
{
	ipc_put_u32(m, o->or_md);
	ipc_put_str(m, o->or_serial);
	ipc_put_u64(m, o->or_seq);
	ipc_put_u64(m, o->or_this_update);
	ipc_put_u64(m, o->or_next_update);
	ipc_put_bytes(m, o->or_der, o->or_derlen);
}

void
ipc_get_ocsp_row(struct ipc_msg *m, struct ipc_ocsp_row *o)
{
	ipc_get_u32(m, &o->or_md);
	ipc_get_str(m, o->or_serial, sizeof(o->or_serial));
	ipc_get_u64(m, &o->or_seq);
	ipc_get_u64(m, &o->or_this_update);
	ipc_get_u64(m, &o->or_next_update);
	ipc_get_bytes(m, &o->or_der, &o->or_derlen, OCSP_RESP_MAX);
}

/* Turns ans into an IPC_ANS_ERROR for req with a one-line message. */
void
ipc_error(struct ipc_msg *ans, const struct ipc_msg *req, uint32_t code,
    const char *fmt, ...)
{
	char	 msg[IPC_STR_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ipc_msg_free(ans);
	ipc_msg_init(ans, IPC_ANS_ERROR, req->m_hdr.h_reqid,
	    req->m_hdr.h_ca_id);
	ipc_put_u32(ans, code);
	ipc_put_str(ans, msg);
}

const char *
ipc_type_name(uint16_t type)
{
	switch (type) {
	case IPC_ANS_ERROR:	return "ANS_ERROR";
	case IPC_REQ_PING:	return "REQ_PING";
	case IPC_ANS_PING:	return "ANS_PING";
	case IPC_REQ_ISSUE:	return "REQ_ISSUE";
	case IPC_ANS_ISSUE:	return "ANS_ISSUE";
	case IPC_REQ_REVOKE:	return "REQ_REVOKE";
	case IPC_ANS_REVOKE:	return "ANS_REVOKE";
	case IPC_REQ_UNHOLD:	return "REQ_UNHOLD";
	case IPC_ANS_UNHOLD:	return "ANS_UNHOLD";
	case IPC_REQ_SHOW:	return "REQ_SHOW";
	case IPC_ANS_SHOW:	return "ANS_SHOW";
	case IPC_REQ_LIST:	return "REQ_LIST";
	case IPC_ANS_LIST:	return "ANS_LIST";
	case IPC_REQ_STATUS:	return "REQ_STATUS";
	case IPC_ANS_STATUS:	return "ANS_STATUS";
	case IPC_REQ_CACERT:	return "REQ_CACERT";
	case IPC_ANS_CACERT:	return "ANS_CACERT";
	case IPC_REQ_CHECKPOINT: return "REQ_CHECKPOINT";
	case IPC_ANS_CHECKPOINT: return "ANS_CHECKPOINT";
	case IPC_REQ_UNWRAP:	return "REQ_UNWRAP";
	case IPC_ANS_UNWRAP:	return "ANS_UNWRAP";
	case IPC_REQ_CERTREP:	return "REQ_CERTREP";
	case IPC_ANS_CERTREP:	return "ANS_CERTREP";
	case IPC_REQ_RACERTS:	return "REQ_RACERTS";
	case IPC_ANS_RACERTS:	return "ANS_RACERTS";
	case IPC_REQ_RELEASE:	return "REQ_RELEASE";
	case IPC_ANS_RELEASE:	return "ANS_RELEASE";
	case IPC_REQ_PEND:	return "REQ_PEND";
	case IPC_ANS_PEND:	return "ANS_PEND";
	case IPC_REQ_TXID:	return "REQ_TXID";
	case IPC_ANS_TXID:	return "ANS_TXID";
	case IPC_REQ_PENDING:	return "REQ_PENDING";
	case IPC_ANS_PENDING:	return "ANS_PENDING";
	case IPC_REQ_APPROVE:	return "REQ_APPROVE";
	case IPC_ANS_APPROVE:	return "ANS_APPROVE";
	case IPC_REQ_DENY:	return "REQ_DENY";
	case IPC_ANS_DENY:	return "ANS_DENY";
	case IPC_REQ_DIRLIST:	return "REQ_DIRLIST";
	case IPC_ANS_DIRLIST:	return "ANS_DIRLIST";
	case IPC_REQ_SYNC:	return "REQ_SYNC";
	case IPC_ANS_SYNC:	return "ANS_SYNC";
	case IPC_REQ_DECIDE:	return "REQ_DECIDE";
	case IPC_ANS_DECIDE:	return "ANS_DECIDE";
	case IPC_REQ_OCSP:	return "REQ_OCSP";
	case IPC_ANS_OCSP:	return "ANS_OCSP";
	case IPC_REQ_OCSP_PULL:	return "REQ_OCSP_PULL";
	case IPC_ANS_OCSP_PULL:	return "ANS_OCSP_PULL";
	case IPC_REQ_CRL:	return "REQ_CRL";
	case IPC_ANS_CRL:	return "ANS_CRL";
	case IPC_REQ_CRLREP:	return "REQ_CRLREP";
	case IPC_ANS_CRLREP:	return "ANS_CRLREP";
	case IPC_REQ_ASSERTION:	return "REQ_ASSERTION";
	case IPC_ANS_ASSERTION:	return "ANS_ASSERTION";
	default:		return "unknown";
	}
}

X509 *
ipc_get_cacert(struct ipc_msg *ans)
{
	const uint8_t	*pem;
	size_t		 len;
	BIO		*bio;
	X509		*x = NULL;

	if (ans->m_hdr.h_type != IPC_ANS_CACERT)
		return NULL;
	ipc_get_bytes(ans, &pem, &len, IPC_BODY_MAX);
	if (ipc_get_end(ans) == -1 ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return x;
}
