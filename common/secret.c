/*
 * secret.c: PINs and challenges live in one-line files readable only by the
 * process that needs them; they are never logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "common.h"

int
secret_read(const char *path, char *buf, size_t bufsz)
{
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("open %s", path);
		return -1;
	}
	while (len < bufsz - 1 &&
	    (n = read(fd, buf + len, bufsz - 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("read %s", path);
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		log_warnx("%s: empty secret", path);
		return -1;
	}
	return 0;
}

int
secret_write(const char *path, const char *secret)
{
	size_t	 len = strlen(secret);
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn("create %s", path);
		return -1;
	}
	if (write(fd, secret, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) == -1) {
		log_warn("write %s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	return close(fd);
}

int
secret_random(char *buf, size_t len)
{
	static const char alphabet[] =
	    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	unsigned char	 rnd[256];
	size_t		 i;

	if (len == 0 || len > sizeof(rnd) ||
	    RAND_bytes(rnd, (int)len) != 1) {
		log_warnx("secret_random: no randomness");
		return -1;
	}
	/* 56 symbols: the modulo bias is below 2^-2 per symbol, well inside
	 * the entropy budget of a 32-character secret. */
	for (i = 0; i < len; i++)
		buf[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	buf[len] = '\0';
	return 0;
}
