/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaownctl: what the files of tools/dmaownctl/ share.
 *
 *   main.c       main, the command table, option parsing
 *   util.c       messages, allocation, string and sysfs helpers
 *   node.c       /dev/dmaown: open and the ioctl wrappers
 *   target.c     GROUP|DEVICE arguments, resolved through sysfs
 *   names.c      device names from libpci, as lspci -nn gives them
 *   json.c       the JSON writer (json.h)
 *   output.c     a group as text and as JSON, and the verdict wording
 *   cmd_*.c      one file per command: a struct command each
 *
 * A new command is one new cmd_NAME.c with its struct command, and one row
 * in the table of main.c.
 */
#ifndef DMAOWNCTL_H
#define DMAOWNCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <linux/dmaown.h>

#ifndef DMAOWNCTL_VERSION
#define DMAOWNCTL_VERSION "unknown"
#endif

#define DMAOWN_NODE "/dev/dmaown"
#define DMAOWN_GROUP_NODES "/dev/dmaown-group"
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

/* --- main.c, util.c -------------------------------------------------------- */

/* A command: "dmaownctl NAME ARGS...". */
struct command {
	const char *name;
	const char *synopsis;	/* "NAME [OPTIONS] ARGS", in the main usage text */
	const char *summary;	/* what it does, there too ("\n" between lines) */
	const char *usage;	/* its --help text */
	int (*run)(int argc, char **argv);	/* argv[0] is NAME */
};

extern const char *prog;

const char *errno_name(int e);
void err(const char *fmt, ...) __printf(1, 2);
void note(const char *fmt, ...) __printf(1, 2);
void *xcalloc(size_t n, size_t size);
FILE *xmemstream(char **buf, size_t *len);
bool copy_name(char *dst, size_t len, const char *s);
void field_copy(char *dst, size_t dlen, const char *src, size_t slen);
bool read_line(const char *path, char *buf, size_t len);
int parse_opts(int argc, char **argv, const char *usage, bool *json, char ***ops, int *nops);

/* --- node.c ---------------------------------------------------------------- */

/* One group as GROUP_STATUS reports it. */
struct gstat {
	unsigned int id;
	struct dmaown_group_status st;
	struct dmaown_device_info *dev;
	unsigned int n;			/* entries of @dev filled */
};

int open_node(long group);
int get_info(int fd, struct dmaown_info *info);
int group_status(int fd, unsigned int id, struct gstat *g);
void gstat_free(struct gstat *g);
int list_group_ids(unsigned int **ids, size_t *n);
const char *state_name(__u32 s);
const char *domain_name(__u32 d);

/* --- target.c -------------------------------------------------------------- */

/* A GROUP or DEVICE argument. */
struct target {
	const char *arg;
	bool is_device;
	char bus[DMAOWN_BUS_LEN];
	char name[DMAOWN_NAME_LEN];
	unsigned int group;
	bool group_known;
	bool claimed;		/* this run's claim, to release on failure */
};

bool parse_target(const char *arg, struct target *t);
long targets_one_group(const struct target *t, int n);
const char *target_desc(const struct target *t, char *buf, size_t len);
int resolve_target(struct target *t);
int node_claim(int fd, struct target *t);
int node_release(int fd, const struct target *t);
int status_error(int e, const struct target *t, unsigned int id);

/* --- names.c --------------------------------------------------------------- */

/* What sysfs says of a PCI device, and what libpci names it. */
struct pci_names {
	bool ok;			/* a PCI device whose ids could be read */
	unsigned int class;		/* 0xCCSSPP */
	unsigned int vendor, device;
	char terse[512];		/* "Class name [ccss]: Vendor Device [vvvv:dddd]" */
	const char *class_name;		/* these three: NULL when pci.ids lacks them */
	const char *vendor_name;
	const char *device_name;
	char buf[3][256];
};

bool pci_names_read(const char *bus, const char *name, struct pci_names *p);
void pci_names_from_ids(unsigned int class, unsigned int vendor, unsigned int device,
			struct pci_names *p);

/* --- output.c -------------------------------------------------------------- */

struct json;

void put_safe(FILE *f, const char *s, size_t max);
bool dev_blocks(const struct gstat *g, const struct dmaown_device_info *d);
char *viability_reason(const struct gstat *g);
void holder_text(const struct gstat *g, char *buf, size_t len);
char *refusal_text(const struct gstat *g);
void print_group_list_text(const struct gstat *g);
void print_group_status_text(const struct gstat *g, const struct target *t);
void json_group(struct json *j, const char *key, const struct gstat *g);

/* Group flags that refuse a claim of a group that may look viable. */
#define REFUSING_FLAGS (DMAOWN_GROUP_WOUNDED | DMAOWN_GROUP_HELD | DMAOWN_GROUP_RESV_DIRECT | \
			DMAOWN_GROUP_MEMBER_LEAVING)

/* --- the commands ---------------------------------------------------------- */

extern const struct command cmd_list, cmd_status, cmd_claim, cmd_quarantine, cmd_monitor,
	cmd_info;

#endif /* DMAOWNCTL_H */
