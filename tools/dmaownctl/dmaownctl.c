// SPDX-License-Identifier: GPL-2.0
/*
 * dmaownctl: list, inspect and claim IOMMU groups through /dev/dmaown.
 *
 * Uses only the public uapi header <linux/dmaown.h>. Exit codes and the
 * JSON schema are documented in docs/dmaownctl.md and dmaownctl(8); keep
 * them stable.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dmaown.h>

#ifndef DMAOWNCTL_VERSION
#define DMAOWNCTL_VERSION "unknown"
#endif

#define DMAOWN_NODE "/dev/dmaown"
#define SYS_GROUPS "/sys/kernel/iommu_groups"
#define SYS_BUS "/sys/bus"
#define SYS_MODULE "/sys/module/dmaown"
#define JSON_SCHEMA 1
#define FD_ENV "DMAOWN_FD"
#define GROUPS_ENV "DMAOWN_GROUPS"

/* Exit codes: documented in dmaownctl(8) and docs/dmaownctl.md. */
enum {
	XC_OK = 0,
	XC_FAIL = 1,		/* unexpected error */
	XC_USAGE = 2,		/* bad command line */
	XC_NOMODULE = 3,	/* /dev/dmaown missing: module not loaded */
	XC_PERM = 4,		/* permission denied */
	XC_BUSY = 5,		/* group owned by someone else */
	XC_NOTVIABLE = 6,	/* group not viable: a device has an unsafe driver */
	XC_NOENT = 7,		/* no such group or device */
	XC_NOGROUP = 8,		/* device has no IOMMU group */
	XC_EXEC_FAIL = 126,	/* COMMAND found but could not be run */
	XC_EXEC_NOENT = 127,	/* COMMAND not found */
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DMAOWNCTL_ATTR(x) __attribute__(x)
#define __printf(a, b) DMAOWNCTL_ATTR((format(printf, a, b)))

static const char *prog = "dmaownctl";

static void __printf(1, 2) err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void __printf(1, 2) note(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		err("out of memory");
		exit(XC_FAIL);
	}
	return p;
}

/* Copy @s into a fixed-size field, NUL-terminated; false when it does not fit. */
static bool copy_name(char *dst, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (n >= len)
		return false;
	memcpy(dst, s, n + 1);
	return true;
}

/* Copy a fixed-size kernel string field, which may lack a NUL, into @dst. */
static void field_copy(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t n = strnlen(src, slen);

	if (n >= dlen)
		n = dlen - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* ------------------------------------------------------------------------ */
/* Text output helpers                                                      */

/* Print a string that came from the kernel or sysfs, with non-printables as '?'. */
static void put_safe(FILE *f, const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = s[i];

		fputc(c >= 0x20 && c != 0x7f ? c : '?', f);
	}
}

/* ------------------------------------------------------------------------ */
/* JSON writer: pretty-printed, with RFC 8259 string escaping                */

struct json {
	FILE *f;
	int depth;
	bool need_comma[64];
};

static void json_indent(struct json *j)
{
	int i;

	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Length of the valid UTF-8 sequence at @s (of at most @n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Write @s (at most @max bytes) as a JSON string; invalid UTF-8 becomes U+FFFD. */
static void json_string(FILE *f, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max), i = 0, l;

	fputc('"', f);
	while (i < n) {
		unsigned char c = p[i];

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				fprintf(f, "\\u%04x", c);
			} else if (c < 0x80) {
				fputc(c, f);
			} else {
				l = utf8_len(p + i, n - i);
				if (!l) {
					fputs("\\ufffd", f);
					break;
				}
				fwrite(p + i, 1, l, f);
				i += l;
				continue;
			}
		}
		i++;
	}
	fputc('"', f);
}

static void json_key(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (j->depth)
		json_indent(j);
	if (key) {
		json_string(j->f, key, SIZE_MAX);
		fputs(": ", j->f);
	}
}

static void json_open(struct json *j, const char *key, char c)
{
	json_key(j, key);
	fputc(c, j->f);
	j->depth++;
	j->need_comma[j->depth] = false;
}

static void json_close(struct json *j, char c)
{
	bool empty = !j->need_comma[j->depth];

	j->depth--;
	if (!empty)
		json_indent(j);
	fputc(c, j->f);
	if (!j->depth)
		fputc('\n', j->f);
}

static void json_str(struct json *j, const char *key, const char *s, size_t max)
{
	json_key(j, key);
	json_string(j->f, s, max);
}

/* A string, or null when it is empty or NULL. */
static void json_str_or_null(struct json *j, const char *key, const char *s, size_t max)
{
	json_key(j, key);
	if (s && s[0])
		json_string(j->f, s, max);
	else
		fputs("null", j->f);
}

static void json_uint(struct json *j, const char *key, unsigned long long v)
{
	json_key(j, key);
	fprintf(j->f, "%llu", v);
}

static void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

static void json_null(struct json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->f);
}

/* ------------------------------------------------------------------------ */
/* /dev/dmaown                                                              */

/* Open the node; on failure print why and exit with the documented code. */
static int open_node(void)
{
	struct stat st;
	int fd, e;

	fd = open(DMAOWN_NODE, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	e = errno;
	switch (e) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		if (stat(SYS_MODULE, &st) == 0 && e == ENOENT) {
			err("the dmaown module is loaded but %s is missing: %s",
			    DMAOWN_NODE, "check devtmpfs and udev");
		} else {
			err("%s not found: the dmaown module is not loaded (try: modprobe dmaown)",
			    DMAOWN_NODE);
		}
		exit(XC_NOMODULE);
	case EACCES:
	case EPERM:
		err("cannot open %s: permission denied (%s)", DMAOWN_NODE,
		    "needs root or CAP_SYS_ADMIN; see dmaownctl(8) for a udev rule");
		exit(XC_PERM);
	default:
		err("cannot open %s: %s", DMAOWN_NODE, strerror(e));
		exit(XC_FAIL);
	}
}

static int get_info(int fd, struct dmaown_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, DMAOWN_GET_INFO, info) ? -errno : 0;
}

/* One group as GROUP_STATUS reports it. */
struct gstat {
	unsigned int id;
	struct dmaown_group_status st;
	struct dmaown_device_info *dev;
	unsigned int n;			/* entries of @dev filled */
};

static void gstat_free(struct gstat *g)
{
	free(g->dev);
	g->dev = NULL;
	g->n = 0;
}

/*
 * GROUP_STATUS for group @id, growing the device array until it holds every
 * device (the kernel always reports the true count). Returns 0 or -errno.
 */
static int group_status(int fd, unsigned int id, struct gstat *g)
{
	/* Most groups have one or two devices; bigger ones take a second call. */
	unsigned int len = 2;
	int tries, intr = 0;

	memset(g, 0, sizeof(*g));
	g->id = id;
	for (tries = 0; tries < 8; tries++) {
		free(g->dev);
		g->dev = xcalloc(len, sizeof(*g->dev));
		memset(&g->st, 0, sizeof(g->st));
		g->st.size = sizeof(g->st);
		g->st.group_id = id;
		g->st.devices_len = len;
		g->st.devices_uptr = (uintptr_t)g->dev;
		if (ioctl(fd, DMAOWN_GROUP_STATUS, &g->st)) {
			int e = errno;

			if (e == EINTR && intr++ < 100) {
				tries--;	/* a signal: nothing was done, ask again */
				continue;
			}
			gstat_free(g);
			return -e;
		}
		if (g->st.out_nr_devices <= len) {
			g->n = g->st.out_nr_devices;
			return 0;
		}
		len = g->st.out_nr_devices;
	}
	/* The group keeps growing: report what the last call filled. */
	g->n = g->st.devices_len;
	return 0;
}

static const char *state_name(__u32 s)
{
	switch (s) {
	case DMAOWN_STATE_FREE:
		return "free";
	case DMAOWN_STATE_OWNED:
		return "owned";
	case DMAOWN_STATE_BUSY:
		return "busy";
	}
	return "unknown";
}

static const char *domain_name(__u32 d)
{
	switch (d) {
	case DMAOWN_DOMAIN_DEFAULT:
		return "default";
	case DMAOWN_DOMAIN_BLOCKING:
		return "blocking";
	case DMAOWN_DOMAIN_OTHER:
		return "other";
	}
	return "unknown";
}

/*
 * dmaown_group_status.out_group_flags: the JSON "reasons" strings (stable,
 * in bit order) and one text line per reason. The causes of a revoked claim
 * (member lost, driver slipped, guard disarmed) are told in its line.
 */
static const struct {
	__u32 bit;
	const char *key;
	const char *text;	/* NULL: part of the "Claim revoked" line */
} group_reasons[] = {
	{ DMAOWN_GROUP_REVOKED, "revoked", NULL },
	{ DMAOWN_GROUP_MEMBER_LOST, "member_lost",
	  "A member left the group while it was owned" },
	{ DMAOWN_GROUP_DRIVER_SLIPPED, "driver_slipped",
	  "Driver slipped past the guard: a driver that is not DMA-safe got bound (its DMA is blocked)",
	},
	{ DMAOWN_GROUP_GUARD_DISARMED, "guard_disarmed",
	  "Guard disarmed: kprobes were disabled while the group was owned" },
	{ DMAOWN_GROUP_WOUNDED, "wounded",
	  "Wounded: a member was removed; this kernel cannot move the others to a new domain until a device joins again (claims are refused)",
	},
	{ DMAOWN_GROUP_HELD, "held",
	  "Held by dmaown: blocked until a device rejoins the group or it empties" },
	{ DMAOWN_GROUP_RESV_DIRECT, "resv_direct",
	  "Firmware direct-mapped region (RMRR): claims are refused" },
	{ DMAOWN_GROUP_MEMBER_LEAVING, "member_leaving", "A member is being removed" },
};

#define REVOKE_CAUSES (DMAOWN_GROUP_MEMBER_LOST | DMAOWN_GROUP_DRIVER_SLIPPED | \
		       DMAOWN_GROUP_GUARD_DISARMED)
/* Reasons the kernel refuses a claim of a group that may look viable. */
#define REFUSING_FLAGS (DMAOWN_GROUP_WOUNDED | DMAOWN_GROUP_HELD | DMAOWN_GROUP_RESV_DIRECT | \
			DMAOWN_GROUP_MEMBER_LEAVING)

/*
 * Print one line per reason of @flags to @f, the first after @first, the
 * others after @prefix; nothing when @flags is 0.
 */
static void print_reasons(FILE *f, __u32 flags, const char *first, const char *prefix)
{
	static const struct {
		__u32 bit;
		const char *text;
	} causes[] = {
		{ DMAOWN_GROUP_MEMBER_LOST, "a member left the group" },
		{ DMAOWN_GROUP_DRIVER_SLIPPED, "a driver slipped past the guard" },
		{ DMAOWN_GROUP_GUARD_DISARMED, "the guard was disarmed" },
	};
	/* Text order: what happened to a claim, then why claims are refused. */
	static const __u32 order[] = {
		DMAOWN_GROUP_REVOKED, DMAOWN_GROUP_HELD, DMAOWN_GROUP_WOUNDED,
		DMAOWN_GROUP_RESV_DIRECT, DMAOWN_GROUP_MEMBER_LEAVING, DMAOWN_GROUP_MEMBER_LOST,
		DMAOWN_GROUP_GUARD_DISARMED, DMAOWN_GROUP_DRIVER_SLIPPED,
	};
	__u32 known = 0, bit;
	size_t i, k, nc;
	bool line = false;

	for (i = 0; i < ARRAY_SIZE(group_reasons); i++)
		known |= group_reasons[i].bit;
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		bit = order[i];
		if (!(flags & bit))
			continue;
		if ((bit & REVOKE_CAUSES) && (flags & DMAOWN_GROUP_REVOKED))
			continue;	/* told in the revoked line */
		fputs(line ? prefix : first, f);
		line = true;
		if (bit == DMAOWN_GROUP_REVOKED) {
			fputs("Claim revoked", f);
			for (k = 0, nc = 0; k < ARRAY_SIZE(causes); k++) {
				if (!(flags & causes[k].bit))
					continue;
				fputs(nc++ ? " and " : ": ", f);
				fputs(causes[k].text, f);
			}
			fputs(" (the group stays blocked until released)\n", f);
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(group_reasons); k++)
			if (group_reasons[k].bit == bit)
				fprintf(f, "%s\n", group_reasons[k].text);
	}
	if (flags & ~known)
		fprintf(f, "%sOther reasons: 0x%x\n", line ? prefix : first, flags & ~known);
}

/*
 * "held by qemu[1234] through /dev/dmaown", "held by dmaown" (a group dmaown
 * holds itself, DMAOWN_GROUP_HELD, has no owner pid) or the kernel-owner
 * wording.
 */
static void holder_text(const struct gstat *g, char *buf, size_t len)
{
	char comm[DMAOWN_COMM_LEN + 1];
	size_t i;

	if (g->st.out_owner_pid) {
		memcpy(comm, g->st.out_owner_comm, DMAOWN_COMM_LEN);
		comm[DMAOWN_COMM_LEN] = 0;
		for (i = 0; comm[i]; i++)
			if ((unsigned char)comm[i] < 0x20 || comm[i] == 0x7f)
				comm[i] = '?';
		snprintf(buf, len, "held by %s[%u] through %s", comm[0] ? comm : "?",
			 g->st.out_owner_pid, DMAOWN_NODE);
	} else if (g->st.out_group_flags & DMAOWN_GROUP_HELD) {
		snprintf(buf, len, "held by dmaown");
	} else {
		snprintf(buf, len, "held by another kernel owner (VFIO/iommufd)");
	}
}

/*
 * Is @d a reason the group is not viable? The module flags such devices with
 * DMAOWN_DEVICE_BLOCKS_CLAIM; if it flags none, a bound driver that is not
 * DMA-safe is.
 */
static bool dev_blocks(const struct gstat *g, const struct dmaown_device_info *d)
{
	unsigned int i;

	if (g->st.out_viable)
		return false;
	for (i = 0; i < g->n; i++)
		if (g->dev[i].flags & DMAOWN_DEVICE_BLOCKS_CLAIM)
			return !!(d->flags & DMAOWN_DEVICE_BLOCKS_CLAIM);
	return d->driver[0] && !(d->flags & DMAOWN_DEVICE_DMA_SAFE);
}

/*
 * One line saying why a group is not viable, e.g.
 * "0000:00:1f.2 is bound to ahci, which is not DMA-safe". Caller frees.
 */
static char *viability_reason(const struct gstat *g)
{
	unsigned int i, nb = 0, k = 0, nodrv = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	for (i = 0; i < g->n; i++) {
		if (!dev_blocks(g, &g->dev[i]))
			continue;
		if (g->dev[i].driver[0])
			nb++;
		else
			nodrv++;
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		err("out of memory");
		exit(XC_FAIL);
	}
	/* "A is bound to a, B to b and C to c, which are not DMA-safe" */
	for (i = 0; i < g->n; i++) {
		const struct dmaown_device_info *d = &g->dev[i];

		if (!dev_blocks(g, d) || !d->driver[0])
			continue;
		if (k)
			fputs(k == nb - 1 ? " and " : ", ", f);
		put_safe(f, d->name, sizeof(d->name));
		fputs(k ? " to " : " is bound to ", f);
		put_safe(f, d->driver, sizeof(d->driver));
		k++;
	}
	if (nb)
		fputs(nb == 1 ? ", which is not DMA-safe" : ", which are not DMA-safe", f);
	/* Driver-less devices the module names (not expected, but say so). */
	k = 0;
	for (i = 0; i < g->n; i++) {
		const struct dmaown_device_info *d = &g->dev[i];

		if (!dev_blocks(g, d) || d->driver[0])
			continue;
		fputs(nb || k ? "; " : "", f);
		put_safe(f, d->name, sizeof(d->name));
		fputs(" blocks the claim", f);
		k++;
	}
	if (!nb && !nodrv)
		fputs("the module reports the group not viable without naming a device", f);
	fclose(f);
	return buf;
}

/* ------------------------------------------------------------------------ */
/* sysfs                                                                    */

/* Read a one-line sysfs attribute into @buf, trimmed; false if unreadable. */
static bool read_line(const char *path, char *buf, size_t len)
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

/* Group id of a device from its iommu_group link: 0 ok, -ENOENT, -ENODEV. */
static int sysfs_device_group(const char *bus, const char *name, unsigned int *group)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	struct stat st;
	ssize_t n;
	char *end;
	unsigned long v;

	snprintf(path, sizeof(path), SYS_BUS "/%s/devices/%s", bus, name);
	if (stat(path, &st))
		return -ENOENT;
	snprintf(path, sizeof(path), SYS_BUS "/%s/devices/%s/iommu_group", bus, name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -ENODEV;
	link[n] = 0;
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	errno = 0;
	v = strtoul(base, &end, 10);
	if (errno || *end || end == base || v > UINT_MAX)
		return -ENODEV;
	*group = (unsigned int)v;
	return 0;
}

struct pci_attrs {
	bool ok;
	unsigned int class;		/* 0xCCSSPP */
	unsigned int vendor, device;
};

static bool read_hex(const char *dir, const char *attr, unsigned int *v)
{
	char path[PATH_MAX], buf[32], *end;
	unsigned long x;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	if (!read_line(path, buf, sizeof(buf)))
		return false;
	errno = 0;
	x = strtoul(buf, &end, 16);
	if (errno || *end || end == buf)
		return false;
	*v = (unsigned int)x;
	return true;
}

static void pci_read(const char *bus, const char *name, struct pci_attrs *p)
{
	char dir[PATH_MAX];

	memset(p, 0, sizeof(*p));
	if (strcmp(bus, "pci"))
		return;
	snprintf(dir, sizeof(dir), SYS_BUS "/pci/devices/%s", name);
	p->ok = read_hex(dir, "class", &p->class) && read_hex(dir, "vendor", &p->vendor) &&
		read_hex(dir, "device", &p->device);
}

/* PCI class names as pci.ids and lspci spell them. */
static const struct {
	unsigned short code;	/* 0xCCSS; 0xCCff matches any subclass */
	const char *name;
} pci_classes[] = {
	{ 0x0000, "Non-VGA unclassified device" },
	{ 0x0001, "VGA compatible unclassified device" },
	{ 0x0005, "Image coprocessor" },
	{ 0x00ff, "Unclassified device" },
	{ 0x0100, "SCSI storage controller" },
	{ 0x0101, "IDE interface" },
	{ 0x0102, "Floppy disk controller" },
	{ 0x0104, "RAID bus controller" },
	{ 0x0105, "ATA controller" },
	{ 0x0106, "SATA controller" },
	{ 0x0107, "Serial Attached SCSI controller" },
	{ 0x0108, "Non-Volatile memory controller" },
	{ 0x01ff, "Mass storage controller" },
	{ 0x0200, "Ethernet controller" },
	{ 0x0207, "Infiniband controller" },
	{ 0x02ff, "Network controller" },
	{ 0x0300, "VGA compatible controller" },
	{ 0x0302, "3D controller" },
	{ 0x03ff, "Display controller" },
	{ 0x0400, "Multimedia video controller" },
	{ 0x0401, "Multimedia audio controller" },
	{ 0x0403, "Audio device" },
	{ 0x04ff, "Multimedia controller" },
	{ 0x0500, "RAM memory" },
	{ 0x0501, "FLASH memory" },
	{ 0x05ff, "Memory controller" },
	{ 0x0600, "Host bridge" },
	{ 0x0601, "ISA bridge" },
	{ 0x0604, "PCI bridge" },
	{ 0x0609, "PCI bridge" },
	{ 0x06ff, "Bridge" },
	{ 0x0700, "Serial controller" },
	{ 0x07ff, "Communication controller" },
	{ 0x0805, "SD Host controller" },
	{ 0x0806, "IOMMU" },
	{ 0x08ff, "Generic system peripheral" },
	{ 0x09ff, "Input device controller" },
	{ 0x0aff, "Docking station" },
	{ 0x0bff, "Processor" },
	{ 0x0c03, "USB controller" },
	{ 0x0c04, "Fibre Channel" },
	{ 0x0c05, "SMBus" },
	{ 0x0cff, "Serial bus controller" },
	{ 0x0dff, "Wireless controller" },
	{ 0x0eff, "Intelligent controller" },
	{ 0x0fff, "Satellite communications controller" },
	{ 0x10ff, "Encryption controller" },
	{ 0x11ff, "Signal processing controller" },
	{ 0x12ff, "Processing accelerators" },
	{ 0x13ff, "Non-Essential Instrumentation" },
	{ 0x40ff, "Coprocessor" },
	{ 0xffff, "Unassigned class" },
};

static const char *pci_class_name(unsigned int class)
{
	unsigned int cs = class >> 8, base = cs >> 8;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pci_classes); i++)
		if (pci_classes[i].code == cs)
			return pci_classes[i].name;
	for (i = 0; i < ARRAY_SIZE(pci_classes); i++)
		if (pci_classes[i].code == ((base << 8) | 0xff))
			return pci_classes[i].name;
	return "Class";
}

/*
 * Vendor and device names from pci.ids, when the system has it (the pci.ids
 * package). Loaded once; names are pointers into the loaded file.
 */
static char *pci_ids;
static bool pci_ids_tried;

static void pci_ids_load(void)
{
	static const char *const paths[] = {
		"/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids", "/usr/share/pci.ids",
	};
	size_t i, len, cap, n;
	FILE *f = NULL;

	pci_ids_tried = true;
	for (i = 0; i < ARRAY_SIZE(paths) && !f; i++)
		f = fopen(paths[i], "re");
	if (!f)
		return;
	cap = 1 << 21;
	len = 0;
	pci_ids = xcalloc(cap + 1, 1);
	while ((n = fread(pci_ids + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			char *p = realloc(pci_ids, 2 * cap + 1);

			if (!p)
				break;
			pci_ids = p;
			cap *= 2;
		}
	}
	pci_ids[len] = 0;
	fclose(f);
}

/* Copy the name after "XXXX  " on @line into @out. */
static void ids_name(const char *line, char *out, size_t len)
{
	const char *e = strchr(line, '\n');
	size_t n = e ? (size_t)(e - line) : strlen(line);

	if (n >= len)
		n = len - 1;
	memcpy(out, line, n);
	out[n] = 0;
}

static void pci_names(unsigned int vendor, unsigned int device, char *vname, size_t vlen,
		      char *dname, size_t dlen)
{
	char key[8];
	const char *p;

	vname[0] = 0;
	dname[0] = 0;
	if (!pci_ids_tried)
		pci_ids_load();
	if (!pci_ids)
		return;
	/* Vendor lines: "xxxx  Name" at the start of a line. */
	snprintf(key, sizeof(key), "\n%04x ", vendor);
	p = strstr(pci_ids, key);
	if (!p)
		return;
	p += 7;
	while (*p == ' ')
		p++;
	ids_name(p, vname, vlen);
	/* Device lines follow, "\txxxx  Name", until the next vendor line. */
	snprintf(key, sizeof(key), "%04x ", device);
	for (p = strchr(p, '\n'); p; p = strchr(p + 1, '\n')) {
		if (p[1] == '#' || (p[1] == '\t' && p[2] == '\t'))
			continue;	/* comment or subsystem line */
		if (p[1] != '\t')
			break;		/* next vendor */
		if (!strncmp(p + 2, key, 5)) {
			p += 7;
			while (*p == ' ')
				p++;
			ids_name(p, dname, dlen);
			return;
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Arguments: GROUP or DEVICE                                               */

struct target {
	const char *arg;
	bool is_device;
	char bus[DMAOWN_BUS_LEN];
	char name[DMAOWN_NAME_LEN];
	unsigned int group;
	bool group_known;
	bool claimed;		/* this run's claim, to release on failure */
};

static bool is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* DDDD:BB:DD.F or BB:DD.F (hex), the shape of a PCI device name. */
static bool pci_shape(const char *s)
{
	size_t n = strlen(s);

	if (n == 7)
		return is_hex(s, 2) && s[2] == ':' && is_hex(s + 3, 2) && s[5] == '.' &&
		       s[6] >= '0' && s[6] <= '7';
	if (n >= 12 && s[n - 8] == ':')
		return is_hex(s, n - 8) && pci_shape(s + n - 7);
	return false;
}

static bool bus_exists(const char *bus)
{
	char path[PATH_MAX];
	struct stat st;

	if (!bus[0] || strchr(bus, '/') || !strcmp(bus, ".") || !strcmp(bus, ".."))
		return false;
	snprintf(path, sizeof(path), SYS_BUS "/%s", bus);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Parse a GROUP (decimal id) or DEVICE (PCI name, or BUS:NAME such as
 * platform:foo) argument. Returns false, after a message, on a bad shape.
 */
static bool parse_target(const char *arg, struct target *t)
{
	const char *colon;
	char *end;
	unsigned long v;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->arg = arg;
	if (arg[0] >= '0' && arg[0] <= '9' && !strchr(arg, ':')) {
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (!errno && !*end && v <= UINT_MAX) {
			t->group = (unsigned int)v;
			t->group_known = true;
			return true;
		}
	}
	t->is_device = true;
	colon = strchr(arg, ':');
	if (pci_shape(arg)) {
		copy_name(t->bus, sizeof(t->bus), "pci");
		if (strlen(arg) == 7)
			snprintf(t->name, sizeof(t->name), "0000:%s", arg);
		else if (!copy_name(t->name, sizeof(t->name), arg))
			goto bad;
		for (i = 0; t->name[i]; i++)
			t->name[i] = (char)tolower((unsigned char)t->name[i]);
		return true;
	}
	if (colon && colon != arg && colon[1] && (size_t)(colon - arg) < sizeof(t->bus)) {
		memcpy(t->bus, arg, colon - arg);
		t->bus[colon - arg] = 0;
		if (bus_exists(t->bus) || !strcmp(t->bus, "pci") || !strcmp(t->bus, "platform")) {
			if (!copy_name(t->name, sizeof(t->name), colon + 1) || strchr(t->name, '/'))
				goto bad;
			return true;
		}
	}
bad:
	err("'%s' is neither a group id nor a device name (%s)", arg,
	    "such as 0000:00:03.0, 00:03.0 or platform:NAME");
	return false;
}

/* "group 7", "device 0000:00:03.0" or "device platform:foo". */
static const char *target_desc(const struct target *t, char *buf, size_t len)
{
	if (!t->is_device)
		snprintf(buf, len, "group %u", t->group);
	else if (!strcmp(t->bus, "pci"))
		snprintf(buf, len, "device %s", t->name);
	else
		snprintf(buf, len, "device %s:%s", t->bus, t->name);
	return buf;
}

/*
 * Resolve a device's group through sysfs. On failure prints why and returns
 * the exit code; 0 on success.
 */
static int resolve_target(struct target *t)
{
	char desc[160];
	int r;

	if (!t->is_device)
		return 0;
	target_desc(t, desc, sizeof(desc));
	r = sysfs_device_group(t->bus, t->name, &t->group);
	if (r == -ENOENT) {
		err("no such %s", desc);
		return XC_NOENT;
	}
	if (r == -ENODEV) {
		err("%s has no IOMMU group (is the IOMMU enabled, e.g. intel_iommu=on?)", desc);
		return XC_NOGROUP;
	}
	t->group_known = true;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Group output                                                             */

static void print_device_text(const struct gstat *g, const struct dmaown_device_info *d,
			      const char *mark)
{
	char vname[128], dname[160];
	struct pci_attrs p;
	char bus[DMAOWN_BUS_LEN + 1], name[DMAOWN_NAME_LEN + 1];

	field_copy(bus, sizeof(bus), d->bus, sizeof(d->bus));
	field_copy(name, sizeof(name), d->name, sizeof(d->name));
	printf("    %s", mark);
	if (strcmp(bus, "pci") && bus[0]) {
		put_safe(stdout, bus, sizeof(bus));
		putchar(':');
	}
	put_safe(stdout, name, sizeof(name));
	pci_read(bus[0] ? bus : "pci", name, &p);
	if (p.ok) {
		pci_names(p.vendor, p.device, vname, sizeof(vname), dname, sizeof(dname));
		printf(" %s [%04x]: ", pci_class_name(p.class), p.class >> 8);
		if (vname[0])
			printf("%s %s [%04x:%04x]", vname, dname[0] ? dname : "Device", p.vendor,
			       p.device);
		else
			printf("Device %04x:%04x", p.vendor, p.device);
	}
	putchar('\n');
	printf("        Kernel driver in use: ");
	if (d->driver[0]) {
		put_safe(stdout, d->driver, sizeof(d->driver));
		if (dev_blocks(g, d))
			printf(" (not DMA-safe: blocks a claim)");
		else if (!(d->flags & DMAOWN_DEVICE_DMA_SAFE))
			printf(" (not DMA-safe)");
		else
			printf(" (DMA-safe)");
	} else {
		printf("none");
		if (dev_blocks(g, d))
			printf(" (blocks a claim)");
	}
	putchar('\n');
	if (d->flags & DMAOWN_DEVICE_NEEDS_RESCAN)
		printf("        Joined its group while owned: kernel drivers are refused until it is removed and rescanned\n");
}

/* "free", "owned by this process" or "busy: held by ..." */
static void state_text(const struct gstat *g, char *buf, size_t len)
{
	char holder[128];

	if (g->st.out_state == DMAOWN_STATE_BUSY) {
		holder_text(g, holder, sizeof(holder));
		snprintf(buf, len, "busy (%s)", holder);
	} else {
		snprintf(buf, len, "%s", state_name(g->st.out_state));
	}
}

static void print_group_list_text(const struct gstat *g)
{
	char state[192];
	unsigned int i;
	char *why;

	state_text(g, state, sizeof(state));
	printf("Group %u: %s, %s, %s domain, %s\n", g->id, state,
	       g->st.out_viable ? "viable" : "not viable", domain_name(g->st.out_domain),
	       g->st.out_msi_isolated ? "MSI isolated" : "MSI not isolated");
	for (i = 0; i < g->n; i++)
		print_device_text(g, &g->dev[i], "");
	if (!g->st.out_viable) {
		why = viability_reason(g);
		printf("    Not viable: %s\n", why);
		free(why);
	}
	print_reasons(stdout, g->st.out_group_flags, "    ", "    ");
}

/* "cannot be claimed until A and B are unbound (or bound to vfio-pci)" */
static void print_unbind_hint(const struct gstat *g)
{
	unsigned int i, nb = 0, k = 0;

	for (i = 0; i < g->n; i++)
		if (dev_blocks(g, &g->dev[i]) && g->dev[i].driver[0])
			nb++;
	if (!nb) {
		printf("cannot be claimed (see Viable)\n");
		return;
	}
	printf("cannot be claimed until ");
	for (i = 0; i < g->n; i++) {
		const struct dmaown_device_info *d = &g->dev[i];

		if (!dev_blocks(g, d) || !d->driver[0])
			continue;
		if (k)
			fputs(k == nb - 1 ? " and " : ", ", stdout);
		put_safe(stdout, d->name, sizeof(d->name));
		k++;
	}
	printf(" %s unbound (or bound to vfio-pci)\n", nb == 1 ? "is" : "are");
}

static void print_group_status_text(const struct gstat *g, const struct target *t)
{
	char state[192], holder[128];
	unsigned int i;
	char *why = NULL;

	if (!g->st.out_viable)
		why = viability_reason(g);
	state_text(g, state, sizeof(state));
	printf("Group %u (%u device%s)\n", g->id, g->st.out_nr_devices,
	       g->st.out_nr_devices == 1 ? "" : "s");
	printf("  State:       %s\n", state);
	printf("  Domain:      %s\n", domain_name(g->st.out_domain));
	printf("  Interrupts:  %s\n", g->st.out_msi_isolated ?
	       "isolated (interrupt remapping)" :
	       "NOT isolated: no interrupt remapping, a device could forge MSIs");
	printf("  Viable:      %s%s\n", g->st.out_viable ? "yes" : "no: ", why ? why : "");
	print_reasons(stdout, g->st.out_group_flags, "  Reasons:     ", "               ");
	printf("  Devices:\n");
	for (i = 0; i < g->n; i++) {
		const struct dmaown_device_info *d = &g->dev[i];
		bool me = t && t->is_device && !strncmp(d->name, t->name, sizeof(d->name));

		print_device_text(g, d, me ? "* " : "");
	}
	if (g->n < g->st.out_nr_devices)
		printf("    (%u more not reported)\n", g->st.out_nr_devices - g->n);
	printf("  Verdict:     ");
	if (g->st.out_state == DMAOWN_STATE_BUSY) {
		holder_text(g, holder, sizeof(holder));
		printf("cannot be claimed now: %s\n", holder);
	} else if (g->st.out_state == DMAOWN_STATE_OWNED) {
		printf("owned by this file\n");
	} else if (g->st.out_group_flags & REFUSING_FLAGS) {
		printf("cannot be claimed now (see Reasons)\n");
	} else if (!g->st.out_viable) {
		print_unbind_hint(g);
	} else {
		printf("can be claimed%s\n", g->st.out_msi_isolated ? "" :
		       " (but interrupts are not isolated)");
	}
	free(why);
}

static void json_group(struct json *j, const char *key, const struct gstat *g)
{
	char vname[128], dname[160], buf[16];
	unsigned int i;
	struct pci_attrs p;
	char *why;

	json_open(j, key, '{');
	json_uint(j, "id", g->id);
	json_str(j, "state", state_name(g->st.out_state), SIZE_MAX);
	if (g->st.out_state == DMAOWN_STATE_BUSY) {
		json_open(j, "owner", '{');
		if (g->st.out_owner_pid) {
			json_str(j, "kind", "dmaown", SIZE_MAX);
			json_uint(j, "pid", g->st.out_owner_pid);
			json_str(j, "comm", g->st.out_owner_comm, sizeof(g->st.out_owner_comm));
		} else {
			json_str(j, "kind", "kernel", SIZE_MAX);
			json_null(j, "pid");
			json_null(j, "comm");
		}
		json_close(j, '}');
	} else {
		json_null(j, "owner");
	}
	json_str(j, "domain", domain_name(g->st.out_domain), SIZE_MAX);
	json_bool(j, "viable", g->st.out_viable);
	if (g->st.out_viable) {
		json_null(j, "reason");
	} else {
		why = viability_reason(g);
		json_str(j, "reason", why, SIZE_MAX);
		free(why);
	}
	json_open(j, "reasons", '[');
	for (i = 0; i < ARRAY_SIZE(group_reasons); i++)
		if (g->st.out_group_flags & group_reasons[i].bit)
			json_str(j, NULL, group_reasons[i].key, SIZE_MAX);
	json_close(j, ']');
	json_bool(j, "msi_isolated", g->st.out_msi_isolated);
	json_uint(j, "nr_devices", g->st.out_nr_devices);
	json_open(j, "blockers", '[');
	for (i = 0; i < g->n; i++)
		if (dev_blocks(g, &g->dev[i]))
			json_str(j, NULL, g->dev[i].name, sizeof(g->dev[i].name));
	json_close(j, ']');
	json_open(j, "devices", '[');
	for (i = 0; i < g->n; i++) {
		const struct dmaown_device_info *d = &g->dev[i];
		char bus[DMAOWN_BUS_LEN + 1], name[DMAOWN_NAME_LEN + 1];

		field_copy(bus, sizeof(bus), d->bus, sizeof(d->bus));
		field_copy(name, sizeof(name), d->name, sizeof(d->name));
		json_open(j, NULL, '{');
		json_str(j, "name", name, SIZE_MAX);
		json_str(j, "bus", bus, SIZE_MAX);
		json_str_or_null(j, "driver", d->driver, sizeof(d->driver));
		json_bool(j, "dma_safe", d->flags & DMAOWN_DEVICE_DMA_SAFE);
		json_bool(j, "blocks_claim", dev_blocks(g, d));
		json_bool(j, "needs_rescan", d->flags & DMAOWN_DEVICE_NEEDS_RESCAN);
		pci_read(bus[0] ? bus : "pci", name, &p);
		if (p.ok) {
			pci_names(p.vendor, p.device, vname, sizeof(vname), dname, sizeof(dname));
			snprintf(buf, sizeof(buf), "%06x", p.class);
			json_str(j, "class", buf, SIZE_MAX);
			json_str(j, "class_name", pci_class_name(p.class), SIZE_MAX);
			snprintf(buf, sizeof(buf), "%04x", p.vendor);
			json_str(j, "vendor_id", buf, SIZE_MAX);
			snprintf(buf, sizeof(buf), "%04x", p.device);
			json_str(j, "device_id", buf, SIZE_MAX);
			json_str_or_null(j, "vendor_name", vname, sizeof(vname));
			json_str_or_null(j, "device_name", dname, sizeof(dname));
		} else {
			json_null(j, "class");
			json_null(j, "class_name");
			json_null(j, "vendor_id");
			json_null(j, "device_id");
			json_null(j, "vendor_name");
			json_null(j, "device_name");
		}
		json_close(j, '}');
	}
	json_close(j, ']');
	json_close(j, '}');
}

/* Report a failed GROUP_STATUS; returns the exit code. */
static int status_error(int e, const struct target *t, unsigned int id)
{
	char desc[160];

	if (t && t->is_device)
		target_desc(t, desc, sizeof(desc));
	else
		snprintf(desc, sizeof(desc), "group %u", id);
	switch (e) {
	case ENOENT:
		err("no such %s", desc);
		return XC_NOENT;
	case ENODEV:
		err("%s has no IOMMU group", desc);
		return XC_NOGROUP;
	case EPERM:
	case EACCES:
		err("status of %s: permission denied", desc);
		return XC_PERM;
	default:
		err("status of %s: %s", desc, strerror(e));
		return XC_FAIL;
	}
}

/* ------------------------------------------------------------------------ */
/* Subcommands                                                              */

static const char usage_main[] =
	"Usage: dmaownctl [-h|--help] [-V|--version] COMMAND [ARGS]\n"
	"\n"
	"Inspect and claim IOMMU groups for user DMA through " DMAOWN_NODE ".\n"
	"\n"
	"Commands:\n"
	"  list [--json]                          every IOMMU group: state, viability, devices\n"
	"  status [--json] GROUP|DEVICE           the full verdict for one group\n"
	"  claim GROUP|DEVICE... [-- COMMAND...]  claim, then hold while COMMAND runs\n"
	"                                         (or, without COMMAND, until SIGINT/SIGTERM)\n"
	"  info [--json]                          the module's version and features\n"
	"  help [COMMAND]                         this text, or a command's help\n"
	"\n"
	"GROUP is an IOMMU group id as under " SYS_GROUPS "/. DEVICE is a PCI\n"
	"name (0000:00:03.0 or 00:03.0) or BUS:NAME (platform:NAME).\n"
	"Run 'dmaownctl COMMAND --help' for a command's options; see dmaownctl(8).\n";

static const char usage_list[] =
	"Usage: dmaownctl list [--json]\n"
	"\n"
	"List every IOMMU group with its state (free, owned, busy), domain,\n"
	"viability, interrupt isolation and devices (class, ids, driver). A group\n"
	"that is not viable says why in one line.\n"
	"\n"
	"  -j, --json   machine-readable output (schema in dmaownctl(8))\n"
	"  -h, --help   this text\n";

static const char usage_status[] =
	"Usage: dmaownctl status [--json] GROUP|DEVICE\n"
	"\n"
	"Show the full verdict for one group (of DEVICE, when a device is named):\n"
	"state and holder, domain, interrupt isolation, viability and the devices\n"
	"that block a claim.\n"
	"\n"
	"  -j, --json   machine-readable output (schema in dmaownctl(8))\n"
	"  -h, --help   this text\n";

static const char usage_claim[] =
	"Usage: dmaownctl claim GROUP|DEVICE... [-- COMMAND [ARGS...]]\n"
	"\n"
	"Claim every group or device named (all or nothing), then hold the claim:\n"
	"while COMMAND runs, or, without COMMAND, until SIGINT or SIGTERM. The\n"
	"claim is released when dmaownctl exits (and COMMAND has closed its copy).\n"
	"COMMAND inherits the open " DMAOWN_NODE " descriptor; its number is in\n"
	"$" FD_ENV " and the claimed group ids in $" GROUPS_ENV ". SIGINT, SIGTERM,\n"
	"SIGHUP and SIGQUIT are forwarded to COMMAND, and dmaownctl exits with\n"
	"COMMAND's status (128+N when it was killed by signal N).\n"
	"\n"
	"  -h, --help   this text\n";

static const char usage_info[] =
	"Usage: dmaownctl info [--json]\n"
	"\n"
	"Print what DMAOWN_GET_INFO reports: the module's version, API version and\n"
	"how it provides ownership on this kernel.\n"
	"\n"
	"  -j, --json   machine-readable output (schema in dmaownctl(8))\n"
	"  -h, --help   this text\n";

/*
 * Common option parsing, GNU style: -h/--help and, where @json is non-NULL,
 * -j/--json, anywhere among argv[1..argc-1] ("status 5 --json" is "status
 * --json 5"); a "--" ends the options. The operands, in order, go to
 * *@ops (argv[0] there is unused), their number to *@nops. Returns -1 to go
 * on, else an exit code.
 *
 * The leading '-' of the short options returns each operand in place (as
 * option 1): the same behaviour whatever POSIXLY_CORRECT says. A command
 * that takes a COMMAND after "--" passes only the arguments before it.
 */
static int parse_opts(int argc, char **argv, const char *usage, bool *json, char ***ops,
		      int *nops)
{
	static const struct option opts_json[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option opts_plain[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*ops = xcalloc(argc + 1, sizeof(**ops));
	*nops = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, json ? "-hj" : "-h", json ? opts_json : opts_plain,
				NULL)) != -1) {
		switch (c) {
		case 1:
			(*ops)[(*nops)++] = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return XC_OK;
		case 'j':
			*json = true;
			break;
		default:
			/* optopt: the short option, or a long one's value; 0 when unknown. */
			if (optopt == 'h' || (json && optopt == 'j'))
				err("%s: option '%s' takes no argument", argv[0], argv[optind - 1]);
			else if (optopt)
				err("%s: unknown option '-%c'", argv[0], optopt);
			else
				err("%s: unknown option '%s'", argv[0], argv[optind - 1]);
			fputs(usage, stderr);
			return XC_USAGE;
		}
	}
	/* After "--": operands too. */
	while (optind < argc)
		(*ops)[(*nops)++] = argv[optind++];
	return -1;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* Group ids under /sys/kernel/iommu_groups, sorted; -errno on failure. */
static int list_group_ids(unsigned int **ids, size_t *n)
{
	size_t cap = 64;
	struct dirent *de;
	DIR *d;
	char *end;
	unsigned long v;

	*n = 0;
	*ids = xcalloc(cap, sizeof(**ids));
	d = opendir(SYS_GROUPS);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		errno = 0;
		v = strtoul(de->d_name, &end, 10);
		if (errno || *end || v > UINT_MAX)
			continue;
		if (*n == cap) {
			unsigned int *p = realloc(*ids, 2 * cap * sizeof(**ids));

			if (!p) {
				closedir(d);
				err("out of memory");
				exit(XC_FAIL);
			}
			*ids = p;
			cap *= 2;
		}
		(*ids)[(*n)++] = (unsigned int)v;
	}
	closedir(d);
	qsort(*ids, *n, sizeof(**ids), cmp_uint);
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	bool json = false, first = true;
	struct json j = { 0 };
	unsigned int *ids;
	char *buf = NULL;
	size_t n, i, len = 0;
	struct gstat g;
	int fd, r, nops;
	char **ops;

	r = parse_opts(argc, argv, usage_list, &json, &ops, &nops);
	if (r < 0 && nops) {
		err("list: unexpected argument '%s'", ops[0]);
		r = XC_USAGE;
	}
	free(ops);
	if (r >= 0)
		return r;
	fd = open_node();
	r = list_group_ids(&ids, &n);
	if (r) {
		err("cannot read %s: %s", SYS_GROUPS, strerror(-r));
		return XC_FAIL;
	}
	/* JSON is printed whole or not at all: built in memory first. */
	j.f = json ? open_memstream(&buf, &len) : stdout;
	if (!j.f) {
		err("out of memory");
		return XC_FAIL;
	}
	if (json) {
		json_open(&j, NULL, '{');
		json_uint(&j, "schema", JSON_SCHEMA);
		json_open(&j, "groups", '[');
	} else if (!n) {
		note("%s: no IOMMU groups: is the IOMMU enabled (intel_iommu=on, amd_iommu=on)?",
		     prog);
	}
	for (i = 0; i < n; i++) {
		r = group_status(fd, ids[i], &g);
		if (r == -ENOENT)
			continue;	/* went away since readdir */
		if (r) {
			if (json) {
				fclose(j.f);
				free(buf);
			}
			return status_error(-r, NULL, ids[i]);
		}
		if (json) {
			json_group(&j, NULL, &g);
		} else {
			if (!first)
				putchar('\n');
			print_group_list_text(&g);
		}
		first = false;
		gstat_free(&g);
	}
	if (json) {
		json_close(&j, ']');
		json_close(&j, '}');
		fclose(j.f);
		fwrite(buf, 1, len, stdout);
		free(buf);
	}
	free(ids);
	close(fd);
	return XC_OK;
}

static int cmd_status(int argc, char **argv)
{
	struct json j = { .f = stdout };
	bool json = false;
	struct target t;
	struct gstat g;
	int fd, r, nops;
	char **ops;

	r = parse_opts(argc, argv, usage_status, &json, &ops, &nops);
	if (r < 0 && nops != 1) {
		err("status: expected one GROUP or DEVICE");
		fputs(usage_status, stderr);
		r = XC_USAGE;
	}
	if (r < 0 && !parse_target(ops[0], &t))
		r = XC_USAGE;
	free(ops);
	if (r >= 0)
		return r;
	fd = open_node();
	r = resolve_target(&t);
	if (r)
		return r;
	r = group_status(fd, t.group, &g);
	if (r)
		return status_error(-r, &t, t.group);
	if (json) {
		json_open(&j, NULL, '{');
		json_uint(&j, "schema", JSON_SCHEMA);
		if (t.is_device) {
			json_open(&j, "query", '{');
			json_str(&j, "bus", t.bus, SIZE_MAX);
			json_str(&j, "device", t.name, SIZE_MAX);
			json_close(&j, '}');
		} else {
			json_null(&j, "query");
		}
		json_group(&j, "group", &g);
		json_close(&j, '}');
	} else {
		print_group_status_text(&g, &t);
	}
	gstat_free(&g);
	close(fd);
	return XC_OK;
}

static int cmd_info(int argc, char **argv)
{
	static const struct {
		__u32 bit;
		const char *key;
	} flags[] = {
		{ DMAOWN_INFO_CORE_OWNERSHIP, "core_ownership" },
		{ DMAOWN_INFO_LEGACY_OWNERSHIP, "legacy_ownership" },
		{ DMAOWN_INFO_PROBE_GUARD, "probe_guard" },
		{ DMAOWN_INFO_DRIVER_MANAGED_DMA, "driver_managed_dma" },
	};
	struct dmaown_info info;
	char safe[512], version[sizeof(info.out_version) + 1];
	bool json = false, have_safe;
	struct json j = { .f = stdout };
	size_t i;
	int fd, r, nops;
	char **ops;

	r = parse_opts(argc, argv, usage_info, &json, &ops, &nops);
	if (r < 0 && nops) {
		err("info: unexpected argument '%s'", ops[0]);
		r = XC_USAGE;
	}
	free(ops);
	if (r >= 0)
		return r;
	fd = open_node();
	r = get_info(fd, &info);
	if (r) {
		err("DMAOWN_GET_INFO: %s", strerror(-r));
		return XC_FAIL;
	}
	close(fd);
	have_safe = read_line(SYS_MODULE "/parameters/safe_drivers", safe, sizeof(safe));
	/* An unset charp parameter reads "(null)". */
	if (have_safe && !strcmp(safe, "(null)"))
		safe[0] = 0;
	if (json) {
		json_open(&j, NULL, '{');
		json_uint(&j, "schema", JSON_SCHEMA);
		json_str(&j, "node", DMAOWN_NODE, SIZE_MAX);
		json_str(&j, "version", info.out_version, sizeof(info.out_version));
		json_uint(&j, "api_version", info.out_api_version);
		json_uint(&j, "cli_api_version", DMAOWN_API_VERSION);
		json_str(&j, "cli_version", DMAOWNCTL_VERSION, SIZE_MAX);
		json_uint(&j, "flags_raw", info.out_flags);
		json_open(&j, "flags", '{');
		for (i = 0; i < ARRAY_SIZE(flags); i++)
			json_bool(&j, flags[i].key, info.out_flags & flags[i].bit);
		json_close(&j, '}');
		json_str_or_null(&j, "safe_drivers", have_safe ? safe : NULL, sizeof(safe));
		json_close(&j, '}');
		return XC_OK;
	}
	field_copy(version, sizeof(version), info.out_version, sizeof(info.out_version));
	printf("dmaown %s, API version %u (dmaownctl %s, API version %u)\n", version,
	       info.out_api_version, DMAOWNCTL_VERSION, DMAOWN_API_VERSION);
	printf("  Node:             %s\n", DMAOWN_NODE);
	printf("  Ownership:        %s\n",
	       info.out_flags & DMAOWN_INFO_CORE_OWNERSHIP ?
	       "the kernel's DMA-ownership API (shared with VFIO/iommufd)" :
	       info.out_flags & DMAOWN_INFO_LEGACY_OWNERSHIP ?
	       "provided by dmaown (this kernel has no DMA-ownership API)" : "unknown");
	/* The guard flag is clear while kprobes are disabled through debugfs. */
	printf("  Bind guard:       %s\n", info.out_flags & DMAOWN_INFO_PROBE_GUARD ?
	       "active: drivers that are not DMA-safe cannot bind to an owned group" :
	       info.out_flags & DMAOWN_INFO_CORE_OWNERSHIP ?
	       "disarmed (kprobes disabled); the kernel's DMA-ownership API still refuses drivers" :
	       "disarmed (kprobes disabled): claims fail until kprobes are enabled again");
	printf("  DMA-safe drivers: %s\n", info.out_flags & DMAOWN_INFO_DRIVER_MANAGED_DMA ?
	       "those marked driver_managed_dma by the kernel" :
	       "built-in list (vfio-pci, pci-stub, pcieport) and safe_drivers=");
	if (have_safe)
		printf("  safe_drivers=:    %s\n", safe[0] ? safe : "(none)");
	if (info.out_flags & ~(__u32)(DMAOWN_INFO_CORE_OWNERSHIP | DMAOWN_INFO_LEGACY_OWNERSHIP |
				      DMAOWN_INFO_PROBE_GUARD | DMAOWN_INFO_DRIVER_MANAGED_DMA))
		printf("  Other flags:      0x%x\n", info.out_flags);
	return XC_OK;
}

/* --- claim --------------------------------------------------------------- */

static int claim_one(int fd, struct target *t)
{
	struct dmaown_device dc;
	struct dmaown_group gc;

	if (t->is_device) {
		memset(&dc, 0, sizeof(dc));
		dc.size = sizeof(dc);
		memcpy(dc.name, t->name, sizeof(dc.name));
		memcpy(dc.bus, t->bus, sizeof(dc.bus));
		if (ioctl(fd, DMAOWN_DEVICE_CLAIM, &dc))
			return -errno;
		t->group = dc.out_group_id;
		t->group_known = true;
		return 0;
	}
	memset(&gc, 0, sizeof(gc));
	gc.size = sizeof(gc);
	gc.group_id = t->group;
	return ioctl(fd, DMAOWN_GROUP_CLAIM, &gc) ? -errno : 0;
}

static int release_one(int fd, const struct target *t)
{
	struct dmaown_device dc;
	struct dmaown_group gc;

	if (t->is_device) {
		memset(&dc, 0, sizeof(dc));
		dc.size = sizeof(dc);
		memcpy(dc.name, t->name, sizeof(dc.name));
		memcpy(dc.bus, t->bus, sizeof(dc.bus));
		return ioctl(fd, DMAOWN_DEVICE_RELEASE, &dc) ? -errno : 0;
	}
	memset(&gc, 0, sizeof(gc));
	gc.size = sizeof(gc);
	gc.group_id = t->group;
	return ioctl(fd, DMAOWN_GROUP_RELEASE, &gc) ? -errno : 0;
}

static void release_all(int fd, struct target *t, int n)
{
	char desc[160];
	int i, r;

	for (i = n - 1; i >= 0; i--) {
		if (!t[i].claimed)
			continue;
		r = release_one(fd, &t[i]);
		if (r == -ENODEV)
			err("%s: the claim had been revoked (a device left the group)",
			    target_desc(&t[i], desc, sizeof(desc)));
		else if (r)
			err("release of %s: %s (closing the descriptor releases it)",
			    target_desc(&t[i], desc, sizeof(desc)), strerror(-r));
		t[i].claimed = false;
	}
}

/* Explain a failed claim of @t; returns the exit code. */
static int claim_error(int fd, const struct target *t, int e)
{
	char desc[160], holder[128];
	struct gstat g;
	char *why;
	size_t len = 0, i;
	FILE *f;
	int code;

	target_desc(t, desc, sizeof(desc));
	switch (e) {
	case ENOENT:
		if (t->is_device)
			err("cannot claim %s: no such device", desc);
		else
			err("cannot claim %s: no such group (see 'dmaownctl list')", desc);
		return XC_NOENT;
	case ENODEV:
		err("cannot claim %s: no IOMMU group (is the IOMMU enabled?)", desc);
		return XC_NOGROUP;
	case EPERM:
	case EACCES:
		err("cannot claim %s: permission denied", desc);
		return XC_PERM;
	case EAGAIN:
		err("cannot claim %s: the bind guard is disarmed (kprobes disabled), %s", desc,
		    "the only defence on this kernel: retry once kprobes are enabled again");
		return XC_BUSY;
	case EINTR:
		err("cannot claim %s: interrupted by a signal; nothing was claimed", desc);
		return XC_FAIL;
	case EBUSY:
		break;
	default:
		err("cannot claim %s: %s", desc, strerror(e));
		return XC_FAIL;
	}
	/* EBUSY: owned elsewhere, refused by the kernel, or not viable. Status says which. */
	if (!t->group_known || group_status(fd, t->group, &g)) {
		err("cannot claim %s: busy or not viable", desc);
		return XC_BUSY;
	}
	if (g.st.out_state != DMAOWN_STATE_BUSY && (g.st.out_group_flags & REFUSING_FLAGS)) {
		why = NULL;
		f = open_memstream(&why, &len);
		if (!f) {
			err("out of memory");
			exit(XC_FAIL);
		}
		for (i = 0; i < ARRAY_SIZE(group_reasons); i++)
			if (g.st.out_group_flags & REFUSING_FLAGS & group_reasons[i].bit)
				fprintf(f, "%s%s", ftell(f) ? "; " : "", group_reasons[i].text);
		fclose(f);
		if (t->is_device)
			err("cannot claim %s: group %u: %s", desc, g.id, why);
		else
			err("cannot claim %s: %s", desc, why);
		free(why);
		code = XC_BUSY;
	} else if (g.st.out_state == DMAOWN_STATE_BUSY || g.st.out_viable) {
		holder_text(&g, holder, sizeof(holder));
		if (g.st.out_state != DMAOWN_STATE_BUSY)
			snprintf(holder, sizeof(holder), "held by another owner");
		if (t->is_device)
			err("cannot claim %s: group %u is busy: %s", desc, g.id, holder);
		else
			err("cannot claim %s: busy: %s", desc, holder);
		code = XC_BUSY;
	} else {
		why = viability_reason(&g);
		if (t->is_device)
			err("cannot claim %s: group %u is not viable: %s", desc, g.id, why);
		else
			err("cannot claim %s: not viable: %s", desc, why);
		free(why);
		code = XC_NOTVIABLE;
	}
	gstat_free(&g);
	return code;
}

/* "group 7 (0000:00:03.0), group 9 (...)" for what @t holds. */
static char *held_text(int fd, const struct target *t, int n)
{
	char *buf = NULL;
	size_t len = 0;
	struct gstat g;
	unsigned int k;
	int i, j;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f) {
		err("out of memory");
		exit(XC_FAIL);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (t[j].group == t[i].group)
				break;
		if (j < i)
			continue;
		fprintf(f, "%sgroup %u", i ? ", " : "", t[i].group);
		if (!group_status(fd, t[i].group, &g)) {
			fputs(" (", f);
			for (k = 0; k < g.n; k++) {
				fputs(k ? " " : "", f);
				put_safe(f, g.dev[k].name, sizeof(g.dev[k].name));
			}
			fputc(')', f);
			gstat_free(&g);
		}
	}
	fclose(f);
	return buf;
}

static char *groups_env(const struct target *t, int n)
{
	char *buf = NULL;
	size_t len = 0;
	bool first = true;
	int i, j;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f) {
		err("out of memory");
		exit(XC_FAIL);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (t[j].group == t[i].group)
				break;
		if (j < i)
			continue;
		fprintf(f, "%s%u", first ? "" : " ", t[i].group);
		first = false;
	}
	fclose(f);
	return buf;
}

/*
 * After our descriptor is closed: if a group is still owned through a copy
 * that COMMAND passed on, say so (the claim lives as long as the file).
 */
static void warn_if_still_held(const struct target *t, int n)
{
	struct gstat g;
	int fd, i;

	fd = open(DMAOWN_NODE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < n; i++) {
		if (group_status(fd, t[i].group, &g))
			continue;
		if (g.st.out_state == DMAOWN_STATE_BUSY &&
		    g.st.out_owner_pid == (__u32)getpid())
			err("group %u is still held: a process that inherited %s keeps it open",
			    g.id, FD_ENV);
		gstat_free(&g);
	}
	close(fd);
}

/*
 * Wait for one of the signals of @sfd (a signalfd), and watch @fd: POLLERR
 * on /dev/dmaown means one of this file's claims was revoked (a device left
 * its group, or a driver got bound). Say so once; the rest stays held.
 * Returns the signal number, or -errno.
 */
static int wait_signal(int sfd, int fd, bool *revoked, struct signalfd_siginfo *si)
{
	struct pollfd p[2];
	ssize_t r;

	for (;;) {
		p[0].fd = sfd;
		p[0].events = POLLIN;
		p[1].fd = *revoked ? -1 : fd;
		p[1].events = 0;
		p[0].revents = 0;
		p[1].revents = 0;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents & (POLLERR | POLLHUP)) {
			*revoked = true;
			err("a claim was revoked: %s",
			    "a device left its group or a driver was bound (see dmesg)");
		}
		if (!(p[0].revents & POLLIN))
			continue;
		r = read(sfd, si, sizeof(*si));
		if (r == sizeof(*si))
			return (int)si->ssi_signo;
		if (r < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

static const int fwd_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static int run_command(int fd, struct target *t, int n, char **cmd)
{
	struct signalfd_siginfo si;
	bool revoked = false;
	sigset_t set, old;
	char num[16], *groups;
	int pipefd[2], status, e = 0, sig, sfd;
	size_t i;
	ssize_t r;
	pid_t pid;

	sigemptyset(&set);
	for (i = 0; i < ARRAY_SIZE(fwd_signals); i++)
		sigaddset(&set, fwd_signals[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0 || pipe2(pipefd, O_CLOEXEC)) {
		err("signalfd/pipe: %s", strerror(errno));
		return XC_FAIL;
	}
	groups = groups_env(t, n);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err("fork: %s", strerror(errno));
		return XC_FAIL;
	}
	if (!pid) {
		close(pipefd[0]);
		/* Hand the claim's descriptor to COMMAND. */
		if (fcntl(fd, F_SETFD, 0) == 0) {
			snprintf(num, sizeof(num), "%d", fd);
			setenv(FD_ENV, num, 1);
			setenv(GROUPS_ENV, groups, 1);
			sigprocmask(SIG_SETMASK, &old, NULL);
			execvp(cmd[0], cmd);
		}
		e = errno;
		if (write(pipefd[1], &e, sizeof(e)) < 0)
			_exit(XC_EXEC_FAIL);
		_exit(e == ENOENT ? XC_EXEC_NOENT : XC_EXEC_FAIL);
	}
	close(pipefd[1]);
	free(groups);
	do {
		r = read(pipefd[0], &e, sizeof(e));
	} while (r < 0 && errno == EINTR);
	close(pipefd[0]);
	if (r == sizeof(e)) {
		waitpid(pid, &status, 0);
		release_all(fd, t, n);
		close(fd);
		err("cannot run '%s': %s; claim released", cmd[0], strerror(e));
		return e == ENOENT ? XC_EXEC_NOENT : XC_EXEC_FAIL;
	}
	for (;;) {
		sig = wait_signal(sfd, fd, &revoked, &si);
		if (sig < 0) {
			err("waiting for '%s': %s", cmd[0], strerror(-sig));
			waitpid(pid, &status, 0);
			break;
		}
		if (sig == SIGCHLD) {
			r = waitpid(pid, &status, WNOHANG);
			if (r == pid)
				break;
			continue;
		}
		/*
		 * A signal from the terminal already went to the whole
		 * foreground process group, COMMAND included.
		 */
		if (si.ssi_code == SI_KERNEL && getpgid(pid) == getpgrp())
			continue;
		kill(pid, sig);
	}
	/* Release: the claim ends when the last copy of the file is closed. */
	close(fd);
	close(sfd);
	warn_if_still_held(t, n);
	if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		err("'%s' (pid %d) was killed by signal %d (%s); claim released", cmd[0], pid, sig,
		    strsignal(sig));
		return 128 + sig;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : XC_FAIL;
}

static int hold(int fd, struct target *t, int n)
{
	struct signalfd_siginfo si;
	bool revoked = false;
	sigset_t set;
	int sig, sfd;
	char *held;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		err("signalfd: %s", strerror(errno));
		return XC_FAIL;
	}
	held = held_text(fd, t, n);
	printf("dmaownctl[%d]: holding %s; Ctrl-C or SIGTERM releases\n", (int)getpid(), held);
	fflush(stdout);
	sig = wait_signal(sfd, fd, &revoked, &si);
	release_all(fd, t, n);
	close(fd);
	close(sfd);
	printf("dmaownctl[%d]: released %s on %s\n", (int)getpid(), held,
	       sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" :
	       sig > 0 ? strsignal(sig) : strerror(-sig));
	fflush(stdout);
	free(held);
	return sig > 0 ? XC_OK : XC_FAIL;
}

static int cmd_claim(int argc, char **argv)
{
	struct target *t;
	char **cmd = NULL, **ops;
	int fd, r, i, n = 0, nops, end;

	/*
	 * Everything after the first "--" is COMMAND, never options: getopt
	 * sees only what comes before it, options and operands in any order.
	 */
	for (end = 1; end < argc && strcmp(argv[end], "--"); end++)
		;
	r = parse_opts(end, argv, usage_claim, NULL, &ops, &nops);
	if (r >= 0) {
		free(ops);
		return r;
	}
	if (!nops) {
		if (end < argc)
			err("claim: no GROUP or DEVICE before '--'");
		else
			err("claim: expected at least one GROUP or DEVICE");
		fputs(usage_claim, stderr);
		free(ops);
		return XC_USAGE;
	}
	if (end < argc) {
		if (end + 1 == argc) {
			err("claim: no COMMAND after '--'");
			free(ops);
			return XC_USAGE;
		}
		cmd = argv + end + 1;
	}
	t = xcalloc(nops, sizeof(*t));
	for (i = 0; i < nops; i++) {
		if (!parse_target(ops[i], &t[n++])) {
			free(ops);
			free(t);
			return XC_USAGE;
		}
	}
	free(ops);
	fd = open_node();
	for (i = 0; i < n; i++) {
		r = resolve_target(&t[i]);
		if (r)
			goto out;	/* nothing claimed yet */
	}
	for (i = 0; i < n; i++) {
		r = claim_one(fd, &t[i]);
		if (r == -EALREADY)
			continue;	/* an earlier argument holds that group */
		if (r) {
			r = claim_error(fd, &t[i], -r);
			release_all(fd, t, n);
			goto out;
		}
		t[i].claimed = true;
	}
	/* Both close @fd: the claim ends with it. */
	r = cmd ? run_command(fd, t, n, cmd) : hold(fd, t, n);
	free(t);
	return r;
out:
	close(fd);
	free(t);
	return r;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} commands[] = {
	{ "list", cmd_list, usage_list },
	{ "status", cmd_status, usage_status },
	{ "claim", cmd_claim, usage_claim },
	{ "info", cmd_info, usage_info },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		fputs(usage_main, stderr);
		return XC_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_main, stdout);
		return XC_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("dmaownctl %s (dmaown API %d)\n", DMAOWNCTL_VERSION, DMAOWN_API_VERSION);
		return XC_OK;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			fputs(usage_main, stdout);
			return XC_OK;
		}
		for (i = 0; i < ARRAY_SIZE(commands); i++) {
			if (!strcmp(argv[2], commands[i].name)) {
				fputs(commands[i].usage, stdout);
				return XC_OK;
			}
		}
		err("unknown command '%s'", argv[2]);
		return XC_USAGE;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	err("unknown command '%s' (try 'dmaownctl --help')", argv[1]);
	return XC_USAGE;
}
