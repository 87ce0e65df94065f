/*
 * log.c: one line per event on stderr, prefixed with the process name, so
 * that journald (or a test log) attributes every line.  errno is preserved.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const char	*log_procname = "keyward";
static int		 log_level = LOG_LVL_INFO;

static void	vlog(int, const char *, const char *, va_list);

void
log_init(const char *procname, int level)
{
	log_procname = procname;
	log_level = level;
	setvbuf(stderr, NULL, _IOLBF, 0);
}

void
log_setlevel(int level)
{
	log_level = level;
}

/* Formats one line; suffix is strerror text or NULL. */
static void
vlog(int level, const char *suffix, const char *fmt, va_list ap)
{
	char	 msg[2048];
	int	 saved = errno;

	if (level > log_level) {
		errno = saved;
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (suffix != NULL)
		fprintf(stderr, "%s: %s: %s\n", log_procname, msg, suffix);
	else
		fprintf(stderr, "%s: %s\n", log_procname, msg);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	*err = strerror(errno);

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, err, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	*err = strerror(errno);

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, err, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
