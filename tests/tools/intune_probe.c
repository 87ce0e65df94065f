/*
 * intune-probe: runs keyward's Intune client against a server, for the
 * end-to-end tests.  Operations in one group start together and run
 * concurrently on one event loop; "then" starts the next group when
 * every operation of the previous one has ended.  Each outcome prints as
 * "TXID RESULT MESSAGE" in the order the callbacks ran; the client logs
 * to stderr at the configured level.  Exit status: 0 if every operation
 * succeeded, 2 if Intune refused one, 3 if one got no verdict, 1 if the
 * client could not start.
 *
 * usage: intune-probe CONF OP [OP ...] [then OP ...]
 *   validate TXID CSR.der
 *   success TXID CSR.der CERT.pem
 *   failure TXID CSR.der HRESULT DESCRIPTION
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "intune.h"

#define FILE_MAX	(64 * 1024)
#define USAGE		"usage: intune-probe CONF OP [OP ...] [then OP ...]"

struct probe {
	struct event_base	*pb_base;
	struct intune		*pb_in;
	int			 pb_pending;
	int			 pb_status;	/* exit status so far */
};

struct op {
	struct probe	*op_pb;
	char		 op_txid[INTUNE_TXID_MAX + 1];
};

static void
done(void *arg, enum intune_result r, const char *msg)
{
	struct op	*op = arg;

	printf("%s %s %s\n", op->op_txid, intune_result_name(r), msg);
	fflush(stdout);
	if (r != INTUNE_SUCCESS && op->op_pb->pb_status != 3)
		op->op_pb->pb_status = intune_result_refused(r) ? 2 : 3;
	if (--op->op_pb->pb_pending == 0)
		event_base_loopbreak(op->op_pb->pb_base);
	free(op);
}

/* A whole small file; NULL on error. */
static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE	*fp;
	uint8_t	*buf;

	if ((fp = fopen(path, "rb")) == NULL || (buf = malloc(FILE_MAX)) ==
	    NULL)
		fatal("%s", path);
	*len = fread(buf, 1, FILE_MAX, fp);
	fclose(fp);
	return buf;
}

static X509 *
cert_read(const char *path)
{
	FILE	*fp;
	X509	*x;

	if ((fp = fopen(path, "r")) == NULL)
		fatal("%s", path);
	if ((x = PEM_read_X509(fp, NULL, NULL, NULL)) == NULL)
		fatalx("%s: not a PEM certificate", path);
	fclose(fp);
	return x;
}

/* Starts the operation at argv[0]; returns how many words it took. */
static int
op_start(struct probe *pb, int argc, char **argv)
{
	struct op	*op;
	uint8_t		*csr;
	size_t		 len;
	X509		*cert;
	int		 n, r;

	n = strcmp(argv[0], "validate") == 0 ? 3 :
	    strcmp(argv[0], "success") == 0 ? 4 :
	    strcmp(argv[0], "failure") == 0 ? 5 : 0;
	if (n == 0 || argc < n)
		fatalx(USAGE);
	if ((op = calloc(1, sizeof(*op))) == NULL)
		fatal("calloc");
	op->op_pb = pb;
	snprintf(op->op_txid, sizeof(op->op_txid), "%s", argv[1]);
	csr = slurp(argv[2], &len);
	if (n == 3)
		r = intune_validate(pb->pb_in, argv[1], csr, len, done, op);
	else if (n == 4) {
		cert = cert_read(argv[3]);
		r = intune_notify_success(pb->pb_in, argv[1], csr, len, cert,
		    done, op);
		X509_free(cert);
	} else
		r = intune_notify_failure(pb->pb_in, argv[1], csr, len,
		    (uint32_t)strtoul(argv[3], NULL, 0), argv[4], done, op);
	free(csr);
	if (r == -1) {
		printf("%s not-started\n", argv[1]);
		pb->pb_status = 1;
		free(op);
	} else
		pb->pb_pending++;
	return n;
}

int
main(int argc, char *argv[])
{
	struct conf	 cf;
	struct probe	 pb;
	int		 i;

	log_init("intune-probe", LOG_LVL_INFO);
	if (argc < 3)
		fatalx(USAGE);
	if (conf_load(argv[1], &cf) == -1)
		return 1;
	log_setlevel(cf.cf_log_level);
	memset(&pb, 0, sizeof(pb));
	if ((pb.pb_base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((pb.pb_in = intune_new(pb.pb_base, &cf)) == NULL) {
		event_base_free(pb.pb_base);
		conf_free(&cf);
		return 1;
	}
	for (i = 2; i < argc; ) {
		while (i < argc && strcmp(argv[i], "then") != 0)
			i += op_start(&pb, argc - i, argv + i);
		if (pb.pb_pending > 0)
			event_base_dispatch(pb.pb_base);
		i++;
	}
	intune_free(pb.pb_in);
	event_base_free(pb.pb_base);
	conf_free(&cf);
	return pb.pb_status;
}
