/*
 * test_ipc.c: the IPC codec refuses every malformed frame and body.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <string.h>
#include <unistd.h>

#include "ipc.h"

static int	dummy(void *, struct ipc_msg *, struct ipc_msg *);

static const struct ipc_rule rules[] = {
	{ IPC_REQ_ISSUE, PEER_VALIDATOR | PEER_ADMIN, 20, 1000, dummy },
	{ IPC_REQ_PING, PEER_FRONTEND, 0, 0, dummy },
};

static int
dummy(void *arg, struct ipc_msg *req, struct ipc_msg *ans)
{
	return 0;
}

/* Writes raw bytes into one end of a socketpair and reads a message. */
static int
read_raw(const uint8_t *raw, size_t len, struct ipc_msg *m, const char **why)
{
	int	 sv[2], r;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], raw, len), (ssize_t)len);
	close(sv[0]);
	r = ipc_read(sv[1], m, why);
	close(sv[1]);
	return r;
}

static void
build_hdr(uint8_t *out, uint16_t version, uint16_t type, uint32_t len)
{
	struct ipc_hdr	 h = { version, type, 7, 1, len };

	ipc_hdr_pack(&h, out);
}

static void
test_roundtrip(void **state)
{
	struct ipc_msg	 m, r;
	uint8_t		 buf[IPC_HDR_LEN + 4096];
	char		 s[32];
	uint32_t	 v32;
	uint64_t	 v64;
	const char	*why = NULL;

	ipc_msg_init(&m, IPC_REQ_ISSUE, 7, 1);
	ipc_put_u32(&m, 0xdeadbeef);
	ipc_put_u64(&m, 0x0102030405060708ULL);
	ipc_put_str(&m, "device");
	assert_true(ipc_msg_ok(&m));
	ipc_hdr_pack(&m.m_hdr, buf);
	memcpy(buf + IPC_HDR_LEN, m.m_body, m.m_len);
	assert_int_equal(read_raw(buf, IPC_HDR_LEN + m.m_len, &r, &why), 0);
	assert_int_equal(r.m_hdr.h_type, IPC_REQ_ISSUE);
	assert_int_equal(r.m_hdr.h_reqid, 7);
	ipc_get_u32(&r, &v32);
	ipc_get_u64(&r, &v64);
	ipc_get_str(&r, s, sizeof(s));
	assert_int_equal(ipc_get_end(&r), 0);
	assert_int_equal(v32, 0xdeadbeef);
	assert_true(v64 == 0x0102030405060708ULL);
	assert_string_equal(s, "device");
	ipc_msg_free(&m);
	ipc_msg_free(&r);
}

static void
test_truncated_header(void **state)
{
	uint8_t		 buf[IPC_HDR_LEN];
	struct ipc_msg	 m;
	const char	*why = NULL;

	build_hdr(buf, IPC_VERSION, IPC_REQ_PING, 0);
	assert_int_equal(read_raw(buf, 9, &m, &why), -1);
	assert_string_equal(why, "truncated header");
}

static void
test_truncated_body(void **state)
{
	uint8_t		 buf[IPC_HDR_LEN + 10];
	struct ipc_msg	 m;
	const char	*why = NULL;

	build_hdr(buf, IPC_VERSION, IPC_REQ_ISSUE, 100);
	memset(buf + IPC_HDR_LEN, 'x', 10);
	assert_int_equal(read_raw(buf, sizeof(buf), &m, &why), -1);
	assert_string_equal(why, "truncated body");
}

static void
test_oversized(void **state)
{
	uint8_t		 buf[IPC_HDR_LEN];
	struct ipc_msg	 m;
	const char	*why = NULL;

	build_hdr(buf, IPC_VERSION, IPC_REQ_ISSUE, IPC_BODY_MAX + 1);
	assert_int_equal(read_raw(buf, sizeof(buf), &m, &why), -1);
	assert_string_equal(why, "body too large");
	assert_null(m.m_body);
}

static void
test_wrong_version(void **state)
{
	uint8_t		 buf[IPC_HDR_LEN];
	struct ipc_msg	 m;
	const char	*why = NULL;

	build_hdr(buf, IPC_VERSION + 1, IPC_REQ_PING, 0);
	assert_int_equal(read_raw(buf, sizeof(buf), &m, &why), -1);
	assert_string_equal(why, "wrong protocol version");
}

static void
test_rules(void **state)
{
	struct ipc_hdr	 h = { IPC_VERSION, IPC_REQ_ISSUE, 1, 1, 50 };
	const char	*why = NULL;
	size_t		 n = sizeof(rules) / sizeof(rules[0]);

	assert_non_null(ipc_rule_check(rules, n, &h, PEER_ADMIN, &why));
	assert_null(ipc_rule_check(rules, n, &h, PEER_FRONTEND, &why));
	assert_string_equal(why, "message not allowed from this peer");
	h.h_bodylen = 10;
	assert_null(ipc_rule_check(rules, n, &h, PEER_ADMIN, &why));
	assert_string_equal(why, "body length out of range for its type");
	h.h_bodylen = 1001;
	assert_null(ipc_rule_check(rules, n, &h, PEER_ADMIN, &why));
	h.h_type = 4242;
	assert_null(ipc_rule_check(rules, n, &h, PEER_ADMIN, &why));
	assert_string_equal(why, "unknown message type");
}

static void
test_trailing_bytes(void **state)
{
	struct ipc_msg	 m;
	uint32_t	 v;

	ipc_msg_init(&m, IPC_REQ_REVOKE, 1, 1);
	ipc_put_u32(&m, 1);
	ipc_put_u32(&m, 2);
	ipc_get_u32(&m, &v);
	assert_int_equal(ipc_get_end(&m), -1);
	ipc_msg_free(&m);
}

static void
test_short_field(void **state)
{
	struct ipc_msg	 m;
	uint64_t	 v;

	ipc_msg_init(&m, IPC_REQ_REVOKE, 1, 1);
	ipc_put_u32(&m, 1);
	ipc_get_u64(&m, &v);
	assert_false(ipc_msg_ok(&m));
	assert_int_equal(ipc_get_end(&m), -1);
	ipc_msg_free(&m);
}

static void
test_string_with_nul(void **state)
{
	struct ipc_msg	 m;
	char		 s[16];

	ipc_msg_init(&m, IPC_REQ_SHOW, 1, 1);
	ipc_put_bytes(&m, "ab\0cd", 5);
	ipc_get_str(&m, s, sizeof(s));
	assert_false(ipc_msg_ok(&m));
	ipc_msg_free(&m);
}

static void
test_string_too_long(void **state)
{
	struct ipc_msg	 m;
	char		 s[4];

	ipc_msg_init(&m, IPC_REQ_SHOW, 1, 1);
	ipc_put_str(&m, "abcd");
	ipc_get_str(&m, s, sizeof(s));
	assert_false(ipc_msg_ok(&m));
	ipc_msg_free(&m);
}

static void
test_length_prefix_lies(void **state)
{
	struct ipc_msg	 m;
	const uint8_t	*p;
	size_t		 len;

	ipc_msg_init(&m, IPC_REQ_ISSUE, 1, 1);
	ipc_put_u32(&m, 1000);		/* claims 1000 bytes, has 3 */
	ipc_put_u32(&m, 0);
	ipc_get_bytes(&m, &p, &len, IPC_CSR_MAX);
	assert_false(ipc_msg_ok(&m));
	assert_null(p);
	ipc_msg_free(&m);
}

static void
test_bytes_over_max(void **state)
{
	struct ipc_msg	 m;
	uint8_t		 big[64] = { 0 };
	const uint8_t	*p;
	size_t		 len;

	ipc_msg_init(&m, IPC_REQ_ISSUE, 1, 1);
	ipc_put_bytes(&m, big, sizeof(big));
	ipc_get_bytes(&m, &p, &len, 32);
	assert_false(ipc_msg_ok(&m));
	ipc_msg_free(&m);
}

static void
test_call_mismatch(void **state)
{
	struct ipc_msg	 req, ans, got, wrong;
	const char	*why = NULL;
	int		 sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ipc_msg_init(&req, IPC_REQ_PING, 5, 1);
	ipc_msg_init(&wrong, IPC_ANS_PING, 6, 1);	/* wrong reqid */
	assert_int_equal(ipc_write(sv[1], &wrong), 0);
	assert_int_equal(ipc_call(sv[0], &req, &ans, &why), -1);
	assert_string_equal(why, "answer does not match the request");
	assert_int_equal(ipc_read(sv[1], &got, &why), 0);
	assert_int_equal(got.m_hdr.h_type, IPC_REQ_PING);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_truncated_body),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_wrong_version),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_short_field),
		cmocka_unit_test(test_string_with_nul),
		cmocka_unit_test(test_string_too_long),
		cmocka_unit_test(test_length_prefix_lies),
		cmocka_unit_test(test_bytes_over_max),
		cmocka_unit_test(test_call_mismatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
