/*
 * scep-bench: SCEP enrolments per second of a running keyward, and how
 * close that comes to what its token allows.  Not a test: bench/scep.sh
 * sets up an appliance and runs it; see bench/README.
 *
 *	scep-bench -c keyward.conf -u http://127.0.0.1:PORT/scep
 *	    [-n requests] [-j connections] [-i token iterations]
 *	    [-k keys.pem]
 *
 * It reads keyward's configuration (token module, label, PIN file, signer
 * workers, static challenge), so it runs as root or as the signer's user
 * with the challenge readable.  Phases: GetCACert; n PKCSReqs built up
 * front (one RSA-2048 key each); the token's time per operation
 * (tokentime.c); the load run (load.c); then every CertRep is verified
 * and decrypted, after the clock has stopped.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "ipc.h"
#include "bench.h"

#define CHALLENGE_MAX	256

static void	usage(void) __attribute__((noreturn));
static X509	*bench_ra(const char *);
static struct bench_req *bench_prepare(const char *, const char *,
		    const char *, int, struct conf *, X509 **);
static double	bench_bound(const struct conf *, int);
static double	cpu_now(void);
static int	bench_load(const char *, struct bench_req *, int, int, X509 *,
		    double);
static int	bench_check(struct bench_req *, int, X509 *);
static int	cmp_double(const void *, const void *);
static void	bench_latency(const struct bench_req *, int, double *,
		    double *);

double
bench_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: scep-bench -c CONF -u URL [-n REQUESTS] "
	    "[-j CONNECTIONS] [-i ITERATIONS] [-k KEYFILE]\n");
	exit(2);
}

static X509 *
bench_ra(const char *url)
{
	uint8_t	*der = NULL;
	size_t	 len = 0;
	int	 code = 0;
	X509	*ra = NULL;

	if (scephttp_fetch(url, "GetCACert", NULL, 0, &der, &len, &code) == 0 &&
	    code == 200)
		ra = scepmsg_ra(der, len);
	else
		warnx("GetCACert: HTTP %d", code);
	free(der);
	return ra;
}

/* Number of requests whose CertRep is a verified SUCCESS. */
static int
bench_check(struct bench_req *reqs, int n, X509 *ra)
{
	struct scepmsg_rep	 rep;
	int			 i, ok = 0;

	for (i = 0; i < n; i++) {
		if (reqs[i].br_code != 200) {
			warnx("request %d: HTTP %d", i, reqs[i].br_code);
			continue;
		}
		if (scepmsg_reply(&reqs[i].br_msg, ra, reqs[i].br_reply,
		    reqs[i].br_replylen, &rep) == -1)
			continue;
		if (rep.rp_status == SCEP_SUCCESS)
			ok++;
		else
			warnx("request %d: pkiStatus %d failInfo %s", i,
			    rep.rp_status, scepmsg_failname(rep.rp_failinfo));
		scepmsg_rep_free(&rep);
	}
	return ok;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median and 99th percentile of the request latencies, in seconds. */
static void
bench_latency(const struct bench_req *reqs, int n, double *p50, double *p99)
{
	double	*v;
	int	 i;

	*p50 = *p99 = 0;
	if ((v = calloc((size_t)n, sizeof(*v))) == NULL)
		return;
	for (i = 0; i < n; i++)
		v[i] = reqs[i].br_done - reqs[i].br_sent;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	*p50 = v[n / 2];
	*p99 = v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
	free(v);
}

/* Configuration, challenge and RA certificate; n requests built. */
static struct bench_req *
bench_prepare(const char *confpath, const char *url, const char *keyfile,
    int n, struct conf *cf, X509 **ra)
{
	struct bench_req	*reqs;
	char			 challenge[CHALLENGE_MAX];
	double			 t0;

	if (conf_load(confpath, cf) == -1)
		exit(1);
	if (cf->cf_challenge_file == NULL || secret_read(cf->cf_challenge_file,
	    challenge, sizeof(challenge)) == -1)
		errx(1, "no static challenge to read");
	if ((*ra = bench_ra(url)) == NULL)
		exit(1);
	if ((reqs = calloc((size_t)n, sizeof(*reqs))) == NULL)
		err(1, "calloc");
	t0 = bench_now();
	if (requests_build(reqs, n, *ra, challenge, keyfile) == -1)
		exit(1);
	printf("requests:  %d PKCSReq, one RSA-2048 key each%s, AES-128, "
	    "SHA-256; built in %.1f s\n", n, keyfile != NULL ?
	    " (cached)" : "", bench_now() - t0);
	return reqs;
}

/* The token's bound in enrolments per second. */
static double
bench_bound(const struct conf *cf, int iters)
{
	struct bench_token	 bt;
	double			 sum;

	if (tokentime_measure(cf, iters, &bt) == -1)
		errx(1, "cannot time the token");
	sum = bt.bt_unwrap + bt.bt_cert + bt.bt_reply;
	printf("token:     t_unwrap %.3f ms, t_cert %.3f ms, t_reply %.3f ms "
	    "(%d of each)\n", bt.bt_unwrap * 1e3, bt.bt_cert * 1e3,
	    bt.bt_reply * 1e3, iters);
	printf("bound:     %d workers / %.3f ms = %.1f enrolments/s\n",
	    bt.bt_workers, sum * 1e3, bt.bt_workers / sum);
	return bt.bt_workers / sum;
}

static double
cpu_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The load run and its figures; the number of verified SUCCESSes. */
static int
bench_load(const char *url, struct bench_req *reqs, int n, int conns,
    X509 *ra, double bound)
{
	double	 wall, cpu, p50, p99, rate;
	int	 ok;

	cpu = cpu_now();
	if (load_run(url, reqs, n, conns, &wall) == -1)
		errx(1, "the load run did not complete");
	cpu = cpu_now() - cpu;
	ok = bench_check(reqs, n, ra);
	rate = ok / wall;
	bench_latency(reqs, n, &p50, &p99);
	printf("load:      %d requests on %d connections in %.2f s: %d issued,"
	    " %.1f enrolments/s\n", n, conns, wall, ok, rate);
	printf("latency:   p50 %.1f ms, p99 %.1f ms\n", p50 * 1e3, p99 * 1e3);
	printf("client:    %.2f s CPU during the load (%.2f ms a request)\n",
	    cpu, cpu * 1e3 / n);
	printf("ratio:     %.2f (enrolments/s / bound)\n", rate / bound);
	return ok;
}

int
main(int argc, char *argv[])
{
	struct conf		 cf;
	struct bench_req	*reqs;
	const char		*confpath = NULL, *url = NULL, *keyfile = NULL;
	X509			*ra = NULL;
	double			 bound;
	int			 ch, n = 200, conns = 4, iters = 200, ok;

	while ((ch = getopt(argc, argv, "c:i:j:k:n:u:")) != -1) {
		switch (ch) {
		case 'c':
			confpath = optarg;
			break;
		case 'i':
			iters = atoi(optarg);
			break;
		case 'j':
			conns = atoi(optarg);
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'u':
			url = optarg;
			break;
		default:
			usage();
		}
	}
	if (confpath == NULL || url == NULL || optind != argc || n < 1 ||
	    n > 100000 || conns < 1 || conns > 1000 || iters < 1)
		usage();
	log_init("scep-bench", LOG_LVL_WARN);
	reqs = bench_prepare(confpath, url, keyfile, n, &cf, &ra);
	bound = bench_bound(&cf, iters);
	ok = bench_load(url, reqs, n, conns, ra, bound);
	requests_free(reqs, n);
	free(reqs);
	X509_free(ra);
	conf_free(&cf);
	return ok == n ? 0 : 1;
}
