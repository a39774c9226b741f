// SPDX-License-Identifier: GPL-2.0
/*
 * Messages, allocation and small string and sysfs helpers that every part
 * of dmaownctl uses (and the host-side tests link).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dmaownctl.h"

const char *prog = "dmaownctl";

void err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void note(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		err("out of memory");
		exit(XC_FAIL);
	}
	return p;
}

FILE *xmemstream(char **buf, size_t *len)
{
	FILE *f;

	*buf = NULL;
	*len = 0;
	f = open_memstream(buf, len);
	if (!f) {
		err("out of memory");
		exit(XC_FAIL);
	}
	return f;
}

/* Copy @s into a fixed-size field, NUL-terminated; false when it does not fit. */
bool copy_name(char *dst, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (n >= len)
		return false;
	memcpy(dst, s, n + 1);
	return true;
}

/* Copy a fixed-size kernel string field, which may lack a NUL, into @dst. */
void field_copy(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t n = strnlen(src, slen);

	if (n >= dlen)
		n = dlen - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* Read a one-line sysfs attribute into @buf, trimmed; false if unreadable. */
bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;
	size_t n;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f);
	fclose(f);
	if (!ok)
		return false;
	n = strlen(buf);
	while (n && isspace((unsigned char)buf[n - 1]))
		buf[--n] = 0;
	return true;
}

/*
 * The name of errno @e ("EBUSY"), or NULL: glibc's strerrorname_np() where
 * it has one (2.32+), else the errnos that dmaown's events carry.
 */
const char *errno_name(int e)
{
#ifdef HAVE_STRERRORNAME_NP
	return strerrorname_np(e);
#else
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
		{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
		{ ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" },
		{ ENOTTY, "ENOTTY" }, { E2BIG, "E2BIG" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ EALREADY, "EALREADY" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].e == e)
			return names[i].name;
	return NULL;
#endif
}
