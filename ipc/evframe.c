/*
 * evframe.c: IPC messages in and out of libevent buffers, with the header
 * checks of frame.c.
 */
#include <string.h>

#include <event2/buffer.h>

#include "ipc.h"
#include "ipcev.h"

int
ipc_evread(struct evbuffer *in, struct ipc_msg *m, const char **why)
{
	uint8_t	 hdr[IPC_HDR_LEN];

	memset(m, 0, sizeof(*m));
	if (evbuffer_copyout(in, hdr, sizeof(hdr)) != (ev_ssize_t)sizeof(hdr))
		return 0;
	if (ipc_hdr_unpack(hdr, &m->m_hdr, why) == -1)
		return -1;
	if (evbuffer_get_length(in) < IPC_HDR_LEN + m->m_hdr.h_bodylen)
		return 0;
	if (ipc_body_alloc(m, why) == -1)
		return -1;
	evbuffer_drain(in, IPC_HDR_LEN);
	if (m->m_len > 0 &&
	    evbuffer_remove(in, m->m_body, m->m_len) != (int)m->m_len) {
		ipc_msg_free(m);
		*why = "short read from buffer";
		return -1;
	}
	return 1;
}

/* Room first, so that a message is queued whole or not at all. */
int
ipc_evwrite(struct evbuffer *out, const struct ipc_msg *m)
{
	uint8_t	 hdr[IPC_HDR_LEN];

	if (ipc_frame_hdr(m, hdr) == -1 ||
	    evbuffer_expand(out, IPC_HDR_LEN + m->m_len) == -1 ||
	    evbuffer_add(out, hdr, sizeof(hdr)) == -1 || (m->m_len > 0 &&
	    evbuffer_add(out, m->m_body, m->m_len) == -1))
		return -1;
	return 0;
}
