/*
 * test_evclient.c: an ipc_pool matches answers to calls by reqid in any
 * order, and every call it cannot complete ends with a NULL answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "ipcev.h"

#define CA_ID	7
#define ROUNDS	1000	/* loop passes before giving up on a callback */

/* What a call's callback saw: -1 not yet, 0 a NULL answer, else a type. */
struct seen {
	int		 s_type;
	uint32_t	 s_reqid;
};

static int	 empties;

static void
on_empty(const char *name)
{
	empties++;
}

static void
answered(void *arg, struct ipc_msg *ans)
{
	struct seen	*s = arg;

	s->s_type = ans == NULL ? 0 : ans->m_hdr.h_type;
	s->s_reqid = ans == NULL ? 0 : ans->m_hdr.h_reqid;
}

/* Runs base until s has been answered, or ROUNDS passes. */
static void
run_until(struct event_base *base, const struct seen *s)
{
	int	 i;

	for (i = 0; i < ROUNDS && s->s_type == -1; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void
ping(struct ipc_pool *p, struct seen *s)
{
	struct ipc_msg	 req;

	s->s_type = -1;
	ipc_msg_init(&req, IPC_REQ_PING, 0, 0);
	assert_int_equal(ipc_pool_send(p, &req, answered, s), 0);
}

/* The peer's end: reads one request, checks its CA id. */
static struct ipc_hdr
peer_read(int fd)
{
	struct ipc_msg	 m;
	const char	*why = NULL;
	struct ipc_hdr	 h;

	assert_int_equal(ipc_read(fd, &m, &why), 0);
	assert_int_equal(m.m_hdr.h_ca_id, CA_ID);
	h = m.m_hdr;
	ipc_msg_free(&m);
	return h;
}

static void
peer_answer(int fd, uint32_t reqid)
{
	struct ipc_msg	 m;

	ipc_msg_init(&m, IPC_ANS_PING, reqid, CA_ID);
	assert_int_equal(ipc_write(fd, &m), 0);
	ipc_msg_free(&m);
}

static struct ipc_pool *
pool_with_peer(struct event_base *base, int *peer)
{
	struct ipc_pool	*p;
	int		 sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_non_null(p = ipc_pool_new("peer", CA_ID, on_empty));
	assert_int_equal(ipc_pool_add(p, base, sv[0]), 0);
	assert_int_equal(ipc_pool_size(p), 1);
	*peer = sv[1];
	empties = 0;
	return p;
}

static void
test_out_of_order(void **state)
{
	struct event_base	*base = event_base_new();
	struct ipc_pool		*p;
	struct seen		 a, b;
	struct ipc_hdr		 ha, hb;
	int			 peer;

	p = pool_with_peer(base, &peer);
	ping(p, &a);
	ping(p, &b);
	event_base_loop(base, EVLOOP_NONBLOCK);	/* flushes both */
	ha = peer_read(peer);
	hb = peer_read(peer);
	assert_int_not_equal(ha.h_reqid, hb.h_reqid);
	peer_answer(peer, hb.h_reqid);
	run_until(base, &b);
	assert_int_equal(b.s_type, IPC_ANS_PING);
	assert_int_equal(b.s_reqid, hb.h_reqid);
	assert_int_equal(a.s_type, -1);
	peer_answer(peer, ha.h_reqid);
	run_until(base, &a);
	assert_int_equal(a.s_type, IPC_ANS_PING);
	assert_int_equal(a.s_reqid, ha.h_reqid);
	assert_int_equal(empties, 0);
	ipc_pool_free(p);
	close(peer);
	event_base_free(base);
}

static void
test_unknown_reqid_drops(void **state)
{
	struct event_base	*base = event_base_new();
	struct ipc_pool		*p;
	struct seen		 a;
	struct ipc_hdr		 ha;
	struct ipc_msg		 req;
	int			 peer;

	p = pool_with_peer(base, &peer);
	ping(p, &a);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ha = peer_read(peer);
	peer_answer(peer, ha.h_reqid + 1000);
	run_until(base, &a);
	assert_int_equal(a.s_type, 0);
	assert_int_equal(ipc_pool_size(p), 0);
	assert_int_equal(empties, 1);
	/* Nothing left to send on: refused, and the callback never runs. */
	a.s_type = -1;
	ipc_msg_init(&req, IPC_REQ_PING, 0, 0);
	assert_int_equal(ipc_pool_send(p, &req, answered, &a), -1);
	assert_int_equal(a.s_type, -1);
	ipc_pool_free(p);
	close(peer);
	event_base_free(base);
}

static void
test_peer_gone(void **state)
{
	struct event_base	*base = event_base_new();
	struct ipc_pool		*p;
	struct seen		 a;
	int			 peer;

	p = pool_with_peer(base, &peer);
	close(peer);
	ping(p, &a);
	run_until(base, &a);
	assert_int_equal(a.s_type, 0);
	assert_int_equal(empties, 1);
	ipc_pool_free(p);
	event_base_free(base);
}

static void
test_free_fails_calls(void **state)
{
	struct event_base	*base = event_base_new();
	struct ipc_pool		*p;
	struct seen		 a;
	int			 peer;

	p = pool_with_peer(base, &peer);
	ping(p, &a);
	ipc_pool_free(p);
	assert_int_equal(a.s_type, 0);
	assert_int_equal(empties, 0);
	close(peer);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_unknown_reqid_drops),
		cmocka_unit_test(test_peer_gone),
		cmocka_unit_test(test_free_fails_calls),
	};

	signal(SIGPIPE, SIG_IGN);	/* as every keyward process does */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
