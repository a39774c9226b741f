// SPDX-License-Identifier: GPL-2.0
/*
 * vmm-claim: how a VM manager uses /dev/dmaown, in one short program.
 *
 *   vmm-claim DEVICE [SECONDS]      e.g. vmm-claim 0000:00:03.0 5
 *
 * 1. open /dev/dmaown (or use the descriptor inherited from
 *    "dmaownctl claim DEVICE -- vmm-claim DEVICE", named by $DMAOWN_FD);
 * 2. DMAOWN_GET_INFO: check the API version;
 * 3. DMAOWN_GROUP_STATUS on the device's group: is it free and viable?
 * 4. DMAOWN_DEVICE_CLAIM: from here no device of the group can DMA to
 *    memory and no kernel driver may bind to it;
 * 5. do the work (a real VM manager maps guest memory through VFIO or
 *    iommufd and starts the guest; this example sleeps);
 * 6. close(): the claim ends with the file, also if the process dies.
 *
 * Build: make -C examples. Only <linux/dmaown.h> is needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/dmaown.h>

static int group_of(const char *device, unsigned int *group)
{
	char path[256], link[256], *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", device);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	base = strrchr(link, '/');
	*group = (unsigned int)strtoul(base ? base + 1 : link, NULL, 10);
	return 0;
}

int main(int argc, char **argv)
{
	struct dmaown_device_info devs[16];
	struct dmaown_group_status st;
	struct dmaown_device dev;
	struct dmaown_info info;
	const char *inherited = getenv("DMAOWN_FD");
	unsigned int group = 0, i;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s DEVICE [SECONDS]\n", argv[0]);
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(dev.name)) {
		fprintf(stderr, "%s: device name too long\n", argv[1]);
		return 2;
	}

	/* 1. The file that will own the claim. */
	fd = inherited ? atoi(inherited) : open("/dev/dmaown", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("/dev/dmaown (is the module loaded? modprobe dmaown)");
		return 1;
	}

	/* 2. What the module offers. Every struct starts with its size. */
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (ioctl(fd, DMAOWN_GET_INFO, &info)) {
		perror("DMAOWN_GET_INFO");
		return 1;
	}
	if (info.out_api_version < DMAOWN_API_VERSION) {
		fprintf(stderr, "dmaown API %u is older than %u\n", info.out_api_version,
			DMAOWN_API_VERSION);
		return 1;
	}
	printf("dmaown %.*s, API %u, %s ownership\n", (int)sizeof(info.out_version),
	       info.out_version, info.out_api_version,
	       info.out_flags & DMAOWN_INFO_CORE_OWNERSHIP ? "core" : "legacy");

	/* 3. The verdict for the device's group, before touching it. */
	if (group_of(argv[1], &group)) {
		fprintf(stderr, "%s: no such PCI device, or it has no IOMMU group\n", argv[1]);
		return 1;
	}
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.group_id = group;
	st.devices_len = 16;
	st.devices_uptr = (uintptr_t)devs;
	if (ioctl(fd, DMAOWN_GROUP_STATUS, &st)) {
		perror("DMAOWN_GROUP_STATUS");
		return 1;
	}
	printf("group %u: %u device(s), %s, %s\n", group, st.out_nr_devices,
	       st.out_viable ? "viable" : "not viable",
	       st.out_msi_isolated ? "MSI isolated" : "MSI NOT isolated");
	for (i = 0; i < st.out_nr_devices && i < st.devices_len; i++)
		if (devs[i].flags & DMAOWN_DEVICE_BLOCKS_CLAIM)
			printf("  %s is bound to %s, which is not DMA-safe\n", devs[i].name,
			       devs[i].driver);

	/* 4. Claim the device: that claims its whole group for this file. */
	memset(&dev, 0, sizeof(dev));
	dev.size = sizeof(dev);
	snprintf(dev.name, sizeof(dev.name), "%s", argv[1]);	/* bus "": "pci" */
	if (ioctl(fd, DMAOWN_DEVICE_CLAIM, &dev) && errno != EALREADY) {
		/* EBUSY: not viable, or owned elsewhere; ENOENT; ENODEV. */
		fprintf(stderr, "DMAOWN_DEVICE_CLAIM %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("claimed %s (group %u): its DMA is blocked until we let go\n", argv[1],
	       dev.out_group_id);

	/* 5. The VM manager's work goes here. */
	sleep(argc > 2 ? (unsigned int)atoi(argv[2]) : 1);

	/* 6. Let go. DMAOWN_DEVICE_RELEASE would do it without closing. */
	close(fd);
	printf("released %s\n", argv[1]);
	return 0;
}
