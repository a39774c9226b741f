// SPDX-License-Identifier: GPL-2.0
/*
 * dmaown-bench-cycle: one claim cycle of dmaown against one VFIO cycle that
 * gives the same guarantee (the group on a domain that maps nothing, kernel
 * drivers refused), on the same group, and how much of dmaown's claim and
 * release is the IOMMU layer's own work.
 *
 * usage: dmaown-bench-cycle -g GROUP [-n CYCLES] [-r REPS] [--no-vfio]
 *
 * Variants, interleaved cycle by cycle (the order rotates every cycle, so
 * that drift and caches hit each variant alike):
 *   dmaown       open /dev/dmaown, GROUP_CLAIM, GROUP_RELEASE, close
 *   dmaown_keep  GROUP_CLAIM, GROUP_RELEASE on a file kept open
 *   vfio         open /dev/vfio/vfio and /dev/vfio/GROUP, GROUP_SET_CONTAINER,
 *                SET_IOMMU(VFIO_TYPE1v2_IOMMU), close both
 *   vfio_keep    the same on a container kept open: open the group,
 *                SET_CONTAINER, SET_IOMMU, close the group
 * The group's devices must be driver-less or bound to vfio-pci (which VFIO
 * needs and dmaown accepts: DMA-safe). The program runs on CPU 0.
 *
 * Per repetition:
 *   cycle rep=R n=N dmaown_ns= dmaown_keep_ns= vfio_ns= vfio_keep_ns=
 *         ratio= ratio_keep= ratio_keep_keep=       (medians of N cycles;
 *         ratio = dmaown/vfio, ratio_keep = dmaown_keep/vfio,
 *         ratio_keep_keep = dmaown_keep/vfio_keep)
 *   core rep=R claims= claim_ns= claim_core_ns= claim_own= release_ns=
 *         release_core_ns= release_own=             (debugfs means over the
 *         repetition's dmaown cycles; *_own = (total - core) / total)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "bench.h"

enum { V_DMAOWN, V_DMAOWN_KEEP, V_VFIO, V_VFIO_KEEP, NR_VARIANTS };

static const char *const variant_key[NR_VARIANTS] = {
	"dmaown_ns", "dmaown_keep_ns", "vfio_ns", "vfio_keep_ns",
};

static int group;
static char vfio_group_path[64];

static void must(int ret, const char *what)
{
	if (ret < 0)
		die("%s (group %d): %s", what, group, strerror(-ret));
}

static void cycle_dmaown(void)
{
	int fd = dmaown_open();

	must(fd, "open " DMAOWN_DEV);
	must(dmaown_claim(fd, group), "GROUP_CLAIM");
	must(dmaown_release(fd, group), "GROUP_RELEASE");
	close(fd);
}

static void cycle_dmaown_keep(int fd)
{
	must(dmaown_claim(fd, group), "GROUP_CLAIM");
	must(dmaown_release(fd, group), "GROUP_RELEASE");
}

static int vfio_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	return fd;
}

/* SET_CONTAINER then SET_IOMMU: from here on the group is VFIO's. */
static void vfio_take(int container, int grp)
{
	if (ioctl(grp, VFIO_GROUP_SET_CONTAINER, &container))
		die("VFIO_GROUP_SET_CONTAINER (group %d): %s", group, strerror(errno));
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU(TYPE1v2) (group %d): %s", group, strerror(errno));
}

static void cycle_vfio(void)
{
	int container = vfio_open("/dev/vfio/vfio");
	int grp = vfio_open(vfio_group_path);

	vfio_take(container, grp);
	close(grp);
	close(container);
}

static void cycle_vfio_keep(int container)
{
	int grp = vfio_open(vfio_group_path);

	vfio_take(container, grp);
	close(grp);
}

static void check_vfio(int container)
{
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		die("/dev/vfio/vfio: unexpected API version");
	if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1)
		die("/dev/vfio/vfio: no VFIO_TYPE1v2_IOMMU (vfio_iommu_type1 not loaded?)");
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: dmaown-bench-cycle -g GROUP [-n CYCLES] [-r REPS] [--no-vfio]\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "cycles", required_argument, NULL, 'n' },
		{ "reps", required_argument, NULL, 'r' },
		{ "no-vfio", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long n = 200, reps = 5;
	bool vfio = true;
	uint64_t *t[NR_VARIANTS], med[NR_VARIANTS];
	int c, keep_fd, container = -1;

	group = -1;
	while ((c = getopt_long(argc, argv, "g:n:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			group = atoi(optarg);
			break;
		case 'n':
			n = arg_num("-n", optarg);
			break;
		case 'r':
			reps = arg_num("-r", optarg);
			break;
		case 'V':
			vfio = false;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (group < 0 || optind != argc)
		usage(2);
	snprintf(vfio_group_path, sizeof(vfio_group_path), "/dev/vfio/%d", group);
	for (int v = 0; v < NR_VARIANTS; v++) {
		t[v] = calloc(n, sizeof(uint64_t));
		if (!t[v])
			die("out of memory");
	}

	pin_cpu0();
	keep_fd = dmaown_open();
	must(keep_fd, "open " DMAOWN_DEV);
	if (vfio) {
		container = vfio_open("/dev/vfio/vfio");
		check_vfio(container);
	}
	printf("# cycle: group %d, %lu cycles x %lu repetitions%s\n", group, n, reps,
	       vfio ? "" : ", without VFIO");

	/* Warm-up: caches, the first allocation of a blocking domain. */
	for (int i = 0; i < 3; i++) {
		cycle_dmaown();
		cycle_dmaown_keep(keep_fd);
		if (vfio) {
			cycle_vfio();
			cycle_vfio_keep(container);
		}
	}

	for (unsigned long rep = 1; rep <= reps; rep++) {
		struct dmaown_stats s;
		int nv = vfio ? NR_VARIANTS : 2;

		must(stats_reset(), "reset " DMAOWN_STATS);
		for (unsigned long i = 0; i < n; i++) {
			for (int k = 0; k < nv; k++) {
				int v = (int)((i + (unsigned long)k) % (unsigned long)nv);
				uint64_t t0 = now_ns();

				switch (v) {
				case V_DMAOWN:
					cycle_dmaown();
					break;
				case V_DMAOWN_KEEP:
					cycle_dmaown_keep(keep_fd);
					break;
				case V_VFIO:
					cycle_vfio();
					break;
				case V_VFIO_KEEP:
					cycle_vfio_keep(container);
					break;
				}
				t[v][i] = now_ns() - t0;
			}
		}
		must(stats_read(&s), "read " DMAOWN_STATS);

		printf("cycle rep=%lu n=%lu", rep, n);
		for (int v = 0; v < nv; v++) {
			med[v] = median(t[v], n);
			printf(" %s=%llu", variant_key[v], (unsigned long long)med[v]);
		}
		if (vfio)
			printf(" ratio=%.4f ratio_keep=%.4f ratio_keep_keep=%.4f",
			       ratio(med[V_DMAOWN], med[V_VFIO]),
			       ratio(med[V_DMAOWN_KEEP], med[V_VFIO]),
			       ratio(med[V_DMAOWN_KEEP], med[V_VFIO_KEEP]));
		printf("\n");

		if (!s.claim.count || !s.release.count)
			die("%s counted no claim or release", DMAOWN_STATS);
		printf("core rep=%lu claims=%llu claim_ns=%llu claim_core_ns=%llu claim_own=%.4f"
		       " releases=%llu release_ns=%llu release_core_ns=%llu release_own=%.4f\n",
		       rep, (unsigned long long)s.claim.count,
		       (unsigned long long)(s.claim.ns / s.claim.count),
		       (unsigned long long)(s.claim_core.ns / s.claim_core.count),
		       1.0 - ratio(s.claim_core.ns, s.claim.ns),
		       (unsigned long long)s.release.count,
		       (unsigned long long)(s.release.ns / s.release.count),
		       (unsigned long long)(s.release_core.ns / s.release_core.count),
		       1.0 - ratio(s.release_core.ns, s.release.ns));
		fflush(stdout);
	}
	close(keep_fd);
	if (container >= 0)
		close(container);
	return 0;
}
