// SPDX-License-Identifier: GPL-2.0
/*
 * dmaown-bench-probe: what dmaown adds to every driver bind of the machine.
 * A driver is bound and unbound in a loop on a device of a free group, with
 * dmaown in three states, in one boot:
 *   unloaded   dmaown not loaded (rmmod)
 *   loaded     loaded (its probe guard and bus notifiers in place), no claim
 *   owned1     loaded, and this program owns the first group given with -o
 *   owned      loaded, and this program owns every group given with -o
 *   control    not loaded, again: the same state as "unloaded", measured as
 *              if it were another one, so that its ratio to "unloaded"
 *              shows how far two identical states differ (the noise floor)
 *
 * usage: dmaown-bench-probe -d BDF -o GROUP,... [-D DRIVER] [-n CYCLES]
 *                           [-r ROUNDS] [-w WARMUP] [-m dmaown.ko] [-l LABEL]
 *
 * The device gets driver_override=DRIVER (default pci-stub); each cycle
 * writes BDF to /sys/bus/pci/drivers/DRIVER/bind, then to .../unbind, and
 * the two writes are timed apart. Each round visits the five states in a
 * rotated order (drift cancels out), with WARMUP (default 5) untimed
 * cycles after every state change. The program runs on CPU 0.
 *
 * Per round (LABEL, default "probe", names the figure):
 *   probe round=R n=N unloaded_bind_ns= loaded_bind_ns= owned1_bind_ns=
 *         owned_bind_ns= control_bind_ns= unloaded_unbind_ns= ...
 *         control_unbind_ns= loaded_bind_ratio= ... control_bind_ratio=
 *         loaded_unbind_ratio= ... control_unbind_ratio=
 *                           (medians of N cycles; ratios against unloaded,
 *                            same round)
 * The program leaves the device unbound with no override and dmaown loaded
 * if it was loaded at the start.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define MAX_OWNED 256

enum { S_UNLOADED, S_LOADED, S_OWNED1, S_OWNED, S_CONTROL, NR_STATES };

static const char *const state_name[NR_STATES] = {
	"unloaded", "loaded", "owned1", "owned", "control",
};

static const char *bdf, *driver = "pci-stub", *module = DMAOWN_MODULE_DEFAULT;
static const char *label = "probe";
static int owned[MAX_OWNED], nr_owned;
static int owner_fd = -1, owner_state;
static int bind_fd, unbind_fd;

static void owner_drop(void)
{
	if (owner_fd >= 0)
		close(owner_fd);
	owner_fd = -1;
}

static void enter_state(int s)
{
	int ret, n;

	if (s != owner_state)
		owner_drop();
	owner_state = s;
	if (s == S_UNLOADED || s == S_CONTROL) {
		ret = module_unload();
		if (ret)
			die("rmmod dmaown: %s", strerror(-ret));
		return;
	}
	ret = module_load(module);
	if (ret)
		die("insmod %s: %s", module, strerror(-ret));
	n = s == S_OWNED ? nr_owned : s == S_OWNED1 ? 1 : 0;
	if (!n || owner_fd >= 0)
		return;
	owner_fd = dmaown_open();
	if (owner_fd < 0)
		die("open %s: %s", DMAOWN_DEV, strerror(-owner_fd));
	for (int i = 0; i < n; i++) {
		ret = dmaown_claim(owner_fd, owned[i]);
		if (ret)
			die("GROUP_CLAIM %d: %s", owned[i], strerror(-ret));
	}
}

static void timed_write(int fd, const char *what, uint64_t *t)
{
	size_t len = strlen(bdf);
	uint64_t t0 = now_ns();
	ssize_t n = pwrite(fd, bdf, len, 0);

	*t = now_ns() - t0;
	if (n != (ssize_t)len)
		die("%s %s to %s: %s", what, bdf, driver, n < 0 ? strerror(errno) : "short write");
}

static void cycle(uint64_t *tb, uint64_t *tu)
{
	uint64_t dummy;

	timed_write(bind_fd, "bind", tb ? tb : &dummy);
	timed_write(unbind_fd, "unbind", tu ? tu : &dummy);
}

static int open_driver_file(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/%s", driver, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	return fd;
}

static void set_override(const char *drv)
{
	char path[256];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	/* An empty write clears it; "\n" does on every kernel. */
	ret = file_write(path, drv && *drv ? drv : "\n");
	if (ret)
		die("write %s: %s", path, strerror(-ret));
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: dmaown-bench-probe -d BDF -o GROUP,... [-D DRIVER] [-n CYCLES]\n"
		"                          [-r ROUNDS] [-w WARMUP] [-m dmaown.ko] [-l LABEL]\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "driver", required_argument, NULL, 'D' },
		{ "own", required_argument, NULL, 'o' },
		{ "cycles", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "module", required_argument, NULL, 'm' },
		{ "label", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long n = 100, rounds = 6, warmup = 5;
	uint64_t *tb, *tu, bind_med[NR_STATES], unbind_med[NR_STATES];
	char drv[64];
	bool was_loaded = module_loaded();
	int c, group;

	while ((c = getopt_long(argc, argv, "d:D:o:n:r:w:m:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			bdf = optarg;
			break;
		case 'D':
			driver = optarg;
			break;
		case 'o':
			nr_owned = arg_list("-o", optarg, owned, MAX_OWNED);
			break;
		case 'n':
			n = arg_num("-n", optarg);
			break;
		case 'r':
			rounds = arg_num("-r", optarg);
			break;
		case 'w':
			warmup = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			module = optarg;
			break;
		case 'l':
			label = optarg;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (!bdf || !nr_owned || optind != argc)
		usage(2);
	group = pci_group(bdf);
	if (group < 0)
		die("%s: no IOMMU group: %s", bdf, strerror(-group));
	for (int i = 0; i < nr_owned; i++)
		if (owned[i] == group)
			die("-o: group %d is the probed device's own group", group);
	if (pci_driver(bdf, drv, sizeof(drv)) || drv[0])
		die("%s: bound to %s: the device must start without a driver", bdf, drv);
	tb = calloc(n, sizeof(*tb));
	tu = calloc(n, sizeof(*tu));
	if (!tb || !tu)
		die("out of memory");

	pin_cpu0();
	set_override(driver);
	bind_fd = open_driver_file("bind");
	unbind_fd = open_driver_file("unbind");
	printf("# %s: %s (group %d) with %s, %lu cycles x %lu rounds, %d groups owned in 'owned'\n",
	       label, bdf, group, driver, n, rounds, nr_owned);

	for (unsigned long r = 0; r < rounds; r++) {
		for (int k = 0; k < NR_STATES; k++) {
			int s = (int)((r + (unsigned long)k) % NR_STATES);

			enter_state(s);
			for (unsigned long w = 0; w < warmup; w++)
				cycle(NULL, NULL);
			for (unsigned long i = 0; i < n; i++)
				cycle(&tb[i], &tu[i]);
			bind_med[s] = median(tb, n);
			unbind_med[s] = median(tu, n);
		}
		printf("%s round=%lu n=%lu", label, r + 1, n);
		for (int s = 0; s < NR_STATES; s++)
			printf(" %s_bind_ns=%llu", state_name[s], (unsigned long long)bind_med[s]);
		for (int s = 0; s < NR_STATES; s++)
			printf(" %s_unbind_ns=%llu", state_name[s],
			       (unsigned long long)unbind_med[s]);
		for (int s = S_LOADED; s < NR_STATES; s++)
			printf(" %s_bind_ratio=%.4f", state_name[s],
			       ratio(bind_med[s], bind_med[S_UNLOADED]));
		for (int s = S_LOADED; s < NR_STATES; s++)
			printf(" %s_unbind_ratio=%.4f", state_name[s],
			       ratio(unbind_med[s], unbind_med[S_UNLOADED]));
		printf("\n");
		fflush(stdout);
	}

	close(bind_fd);
	close(unbind_fd);
	set_override(NULL);
	enter_state(was_loaded ? S_LOADED : S_UNLOADED);
	return 0;
}
