/*
 * frame.c: the 16-byte header, rule-table checks, answer matching and
 * blocking transport.  Every length is checked before anything is
 * allocated.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"

static int	read_full(int, void *, size_t);

void
ipc_hdr_pack(const struct ipc_hdr *h, uint8_t out[IPC_HDR_LEN])
{
	uint16_t	 v16;
	uint32_t	 v32;

	v16 = htons(h->h_version);
	memcpy(out, &v16, 2);
	v16 = htons(h->h_type);
	memcpy(out + 2, &v16, 2);
	v32 = htonl(h->h_reqid);
	memcpy(out + 4, &v32, 4);
	v32 = htonl(h->h_ca_id);
	memcpy(out + 8, &v32, 4);
	v32 = htonl(h->h_bodylen);
	memcpy(out + 12, &v32, 4);
}

int
ipc_hdr_unpack(const uint8_t in[IPC_HDR_LEN], struct ipc_hdr *h,
    const char **why)
{
	uint16_t	 v16;
	uint32_t	 v32;

	memcpy(&v16, in, 2);
	h->h_version = ntohs(v16);
	memcpy(&v16, in + 2, 2);
	h->h_type = ntohs(v16);
	memcpy(&v32, in + 4, 4);
	h->h_reqid = ntohl(v32);
	memcpy(&v32, in + 8, 4);
	h->h_ca_id = ntohl(v32);
	memcpy(&v32, in + 12, 4);
	h->h_bodylen = ntohl(v32);
	if (h->h_version != IPC_VERSION) {
		*why = "wrong protocol version";
		return -1;
	}
	if (h->h_bodylen > IPC_BODY_MAX) {
		*why = "body too large";
		return -1;
	}
	return 0;
}

/* Finds the rule for a received header; NULL with why when refused. */
const struct ipc_rule *
ipc_rule_check(const struct ipc_rule *rules, size_t n,
    const struct ipc_hdr *h, unsigned peer, const char **why)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (rules[i].r_type != h->h_type)
			continue;
		if ((rules[i].r_peers & peer) == 0) {
			*why = "message not allowed from this peer";
			return NULL;
		}
		if (h->h_bodylen < rules[i].r_min ||
		    h->h_bodylen > rules[i].r_max) {
			*why = "body length out of range for its type";
			return NULL;
		}
		return &rules[i];
	}
	*why = "unknown message type";
	return NULL;
}

/* The header that frames m, with its body length; -1 if m did not encode. */
int
ipc_frame_hdr(const struct ipc_msg *m, uint8_t out[IPC_HDR_LEN])
{
	struct ipc_hdr	 h = m->m_hdr;

	if (m->m_err)
		return -1;
	h.h_bodylen = (uint32_t)m->m_len;
	ipc_hdr_pack(&h, out);
	return 0;
}

int
ipc_write(int fd, const struct ipc_msg *m)
{
	uint8_t		 hdr[IPC_HDR_LEN];
	const uint8_t	*p;
	size_t		 left, off = 0;
	ssize_t		 n;

	if (ipc_frame_hdr(m, hdr) == -1)
		return -1;
	left = IPC_HDR_LEN + m->m_len;
	while (left > 0) {
		p = off < IPC_HDR_LEN ? hdr + off : m->m_body +
		    (off - IPC_HDR_LEN);
		n = write(fd, p, off < IPC_HDR_LEN ? IPC_HDR_LEN - off : left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
		left -= (size_t)n;
	}
	return 0;
}

/* Reads exactly len bytes: 0 done, 1 EOF before the first byte, -1. */
static int
read_full(int fd, void *buf, size_t len)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < len) {
		n = read(fd, (uint8_t *)buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 && off == 0)
			return 1;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* Sizes m's body for the length its header announced (checked). */
int
ipc_body_alloc(struct ipc_msg *m, const char **why)
{
	m->m_len = m->m_cap = m->m_hdr.h_bodylen;
	if (m->m_len > 0 && (m->m_body = malloc(m->m_len)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

/* Reads one message: 0 ok, 1 clean end of stream, -1 with why. */
int
ipc_read(int fd, struct ipc_msg *m, const char **why)
{
	uint8_t	 hdr[IPC_HDR_LEN];
	int	 r;

	memset(m, 0, sizeof(*m));
	if ((r = read_full(fd, hdr, sizeof(hdr))) != 0) {
		*why = r == 1 ? "end of stream" : "truncated header";
		return r;
	}
	if (ipc_hdr_unpack(hdr, &m->m_hdr, why) == -1 ||
	    ipc_body_alloc(m, why) == -1)
		return -1;
	if (m->m_len > 0 && read_full(fd, m->m_body, m->m_len) != 0) {
		ipc_msg_free(m);
		*why = "truncated body";
		return -1;
	}
	return 0;
}

/* Sends req and reads its answer, which must echo reqid and match type. */
int
ipc_call(int fd, struct ipc_msg *req, struct ipc_msg *ans, const char **why)
{
	if (ipc_write(fd, req) == -1) {
		*why = "cannot send request";
		return -1;
	}
	if (ipc_read(fd, ans, why) != 0) {
		if (*why == NULL || strcmp(*why, "end of stream") == 0)
			*why = "connection closed by the signer";
		return -1;
	}
	if (ipc_answer_check(&req->m_hdr, &ans->m_hdr, why) == -1) {
		ipc_msg_free(ans);
		return -1;
	}
	return 0;
}

/* An answer must echo the request's reqid and be its type + 1 or ERROR. */
int
ipc_answer_check(const struct ipc_hdr *req, const struct ipc_hdr *ans,
    const char **why)
{
	if (ans->h_reqid != req->h_reqid || (ans->h_type != req->h_type + 1 &&
	    ans->h_type != IPC_ANS_ERROR)) {
		*why = "answer does not match the request";
		return -1;
	}
	return 0;
}
