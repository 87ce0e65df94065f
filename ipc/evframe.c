/*
 * evframe.c: IPC messages in and out of libevent buffers, with the header
 * checks of frame.c.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "ipc.h"
#include "ipcev.h"

int
ipc_evread(struct evbuffer *in, struct ipc_msg *m, const char **why)
{
	uint8_t	 hdr[IPC_HDR_LEN];

	memset(m, 0, sizeof(*m));
	if (evbuffer_copyout(in, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		return 0;
	if (ipc_hdr_unpack(hdr, &m->m_hdr, why) == -1)
		return -1;
	if (evbuffer_get_length(in) < IPC_HDR_LEN + m->m_hdr.h_bodylen)
		return 0;
	m->m_len = m->m_cap = m->m_hdr.h_bodylen;
	if (m->m_len > 0 && (m->m_body = malloc(m->m_len)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	evbuffer_drain(in, IPC_HDR_LEN);
	if (m->m_len > 0)
		evbuffer_remove(in, m->m_body, m->m_len);
	return 1;
}

int
ipc_evwrite(struct evbuffer *out, const struct ipc_msg *m)
{
	uint8_t		 hdr[IPC_HDR_LEN];
	struct ipc_hdr	 h = m->m_hdr;

	if (m->m_err)
		return -1;
	h.h_bodylen = (uint32_t)m->m_len;
	ipc_hdr_pack(&h, hdr);
	if (evbuffer_add(out, hdr, sizeof(hdr)) == -1 ||
	    (m->m_len > 0 && evbuffer_add(out, m->m_body, m->m_len) == -1))
		return -1;
	return 0;
}
