/*
 * binpath.c: keyward's programs find each other next to their own binary,
 * so a build tree runs as it is and an installed tree needs no paths.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

int
bin_path(const char *name, char *out, size_t outsz)
{
	char	 self[PATH_MAX];
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1) {
		log_warn("readlink /proc/self/exe");
		return -1;
	}
	self[n] = '\0';
	if ((size_t)snprintf(out, outsz, "%s/%s", dirname(self), name) >=
	    outsz)
		return -1;
	return 0;
}
