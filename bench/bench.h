/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h - helpers shared by dmaown's in-guest benchmark programs.
 *
 * Output convention (what scripts/bench and tests/bench_test.sh parse): one
 * result line per figure and repetition, "FIGURE key=value key=value ...",
 * values in nanoseconds (keys ending in _ns), bytes (_b), or plain numbers
 * (ratios, counts). Lines starting with "#" are comments. Errors go to
 * stderr and end the program with status 1: a benchmark never decides
 * whether a number is good, it only reports it.
 */
#ifndef DMAOWN_BENCH_H
#define DMAOWN_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/dmaown.h>

#define DMAOWN_DEV "/dev/dmaown"
#define DMAOWN_STATS "/sys/kernel/debug/dmaown/stats"
#define DMAOWN_MODULE_DEFAULT "/dmaown/dmaown.ko"

/* --- errors, time, statistics ------------------------------------------ */

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t now_ns(void);
void sleep_ms(unsigned int ms);
/* run on CPU 0 only: no migration between the timed calls */
void pin_cpu0(void);
/* median of @n values (sorts @v in place); 0 when @n is 0 */
uint64_t median(uint64_t *v, size_t n);
double ratio(uint64_t a, uint64_t b);
/* a positive number from the command line, or die */
unsigned long arg_num(const char *opt, const char *s);
/* parse "1,2,3" into @out (at most @max): the count, or die */
int arg_list(const char *opt, const char *s, int *out, int max);

/* --- files, sysfs, PCI ---------------------------------------------------- */

/* read a small file, NUL-terminated, trailing newline stripped: length or -errno */
int file_read(const char *path, char *buf, size_t len);
/* open, one write(), close: 0 or -errno */
int file_write(const char *path, const char *val);
/* the IOMMU group of a PCI device, or -errno */
int pci_group(const char *bdf);
/* the bound driver's name into @buf ("" when none): 0 or -errno */
int pci_driver(const char *bdf, char *buf, size_t len);
/*
 * rank of @bdf among /sys/bus/pci/devices in BDF order (the order in which
 * the PCI core added them on these topologies), and the total count
 */
int pci_position(const char *bdf, int *total);

/* --- dmaown ---------------------------------------------------------------- */

int dmaown_open(void);
/* the ioctls: 0 or -errno */
int dmaown_claim(int fd, int group);
int dmaown_release(int fd, int group);
int dmaown_status(int fd, int group, struct dmaown_group_status *st);

struct dmaown_stat_line {
	uint64_t count;
	uint64_t ns;
};

/* debugfs counters: claim, claim_core, release, release_core */
struct dmaown_stats {
	struct dmaown_stat_line claim, claim_core, release, release_core;
};

int stats_reset(void);
int stats_read(struct dmaown_stats *s);

/* --- module -------------------------------------------------------------- */

bool module_loaded(void);
/* finit_module() of @path unless loaded: 0 or -errno */
int module_load(const char *path);
/* delete_module("dmaown"), retried while busy: 0 or -errno */
int module_unload(void);

#endif /* DMAOWN_BENCH_H */
