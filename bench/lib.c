// SPDX-License-Identifier: GPL-2.0
/*
 * lib.c - helpers shared by dmaown's in-guest benchmark programs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: error: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void warnx(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		warnx("sched_setaffinity: %s", strerror(errno));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t median(uint64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	if (n % 2)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2;
}

double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

unsigned long arg_num(const char *opt, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || !v)
		die("%s: '%s' is not a positive number", opt, s);
	return v;
}

int arg_list(const char *opt, const char *s, int *out, int max)
{
	char *copy = strdup(s), *tok, *save = NULL, *p;
	int n = 0;

	if (!copy)
		die("out of memory");
	for (p = copy; (tok = strtok_r(p, ", ", &save)); p = NULL) {
		char *end;
		long v;

		if (n == max)
			die("%s: more than %d values", opt, max);
		errno = 0;
		v = strtol(tok, &end, 0);
		if (errno || end == tok || *end || v < 0)
			die("%s: '%s' is not a number", opt, tok);
		out[n++] = (int)v;
	}
	free(copy);
	if (!n)
		die("%s: empty list", opt);
	return n;
}

int file_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return (int)n;
}

int file_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(val);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

static int link_base(const char *path, char *buf, size_t len)
{
	char target[512];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	if (n < 0)
		return -errno;
	target[n] = 0;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if ((size_t)snprintf(buf, len, "%s", base) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int pci_group(const char *bdf)
{
	char path[256], name[64];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	ret = link_base(path, name, sizeof(name));
	if (ret)
		return ret;
	return atoi(name);
}

int pci_driver(const char *bdf, char *buf, size_t len)
{
	char path[256];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	ret = link_base(path, buf, len);
	if (ret == -ENOENT) {
		buf[0] = 0;
		return 0;
	}
	return ret;
}

int pci_position(const char *bdf, int *total)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int before = 0, n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		/* Same-length "dddd:bb:dd.f" names: strcmp is BDF order. */
		if (strcmp(e->d_name, bdf) < 0)
			before++;
	}
	closedir(d);
	*total = n;
	return before;
}

int dmaown_open(void)
{
	int fd = open(DMAOWN_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int dmaown_group_ioctl(int fd, unsigned long req, int group)
{
	struct dmaown_group g = {
		.size = sizeof(g),
		.group_id = (__u32)group,
	};

	return ioctl(fd, req, &g) ? -errno : 0;
}

int dmaown_claim(int fd, int group)
{
	return dmaown_group_ioctl(fd, DMAOWN_GROUP_CLAIM, group);
}

int dmaown_release(int fd, int group)
{
	return dmaown_group_ioctl(fd, DMAOWN_GROUP_RELEASE, group);
}

int dmaown_status(int fd, int group, struct dmaown_group_status *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->group_id = (__u32)group;
	return ioctl(fd, DMAOWN_GROUP_STATUS, st) ? -errno : 0;
}

int stats_reset(void)
{
	return file_write(DMAOWN_STATS, "0\n");
}

int stats_read(struct dmaown_stats *s)
{
	char buf[1024], *line, *save = NULL, *p;
	int ret = file_read(DMAOWN_STATS, buf, sizeof(buf));
	int seen = 0;

	if (ret < 0)
		return ret;
	memset(s, 0, sizeof(*s));
	for (p = buf; (line = strtok_r(p, "\n", &save)); p = NULL) {
		char name[32];
		unsigned long long count, ns;
		struct dmaown_stat_line *l;

		if (line[0] == '#' || sscanf(line, "%31s %llu %llu", name, &count, &ns) != 3)
			continue;
		if (!strcmp(name, "claim"))
			l = &s->claim;
		else if (!strcmp(name, "claim_core"))
			l = &s->claim_core;
		else if (!strcmp(name, "release"))
			l = &s->release;
		else if (!strcmp(name, "release_core"))
			l = &s->release_core;
		else
			continue;
		l->count = count;
		l->ns = ns;
		seen++;
	}
	return seen == 4 ? 0 : -EPROTO;
}

bool module_loaded(void)
{
	struct stat st;

	return !stat("/sys/module/dmaown", &st);
}

int module_load(const char *path)
{
	int fd, ret = 0;

	if (module_loaded())
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		ret = -errno;
	close(fd);
	if (ret == -EEXIST)
		ret = 0;
	/* udev-less guest: devtmpfs creates /dev/dmaown; wait for it. */
	for (int i = 0; !ret && i < 200 && access(DMAOWN_DEV, F_OK); i++)
		sleep_ms(5);
	return ret;
}

int module_unload(void)
{
	for (int i = 0; i < 100; i++) {
		if (!module_loaded())
			return 0;
		if (!syscall(SYS_delete_module, "dmaown", O_NONBLOCK))
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			return -errno;
		sleep_ms(20);
	}
	return -EBUSY;
}
