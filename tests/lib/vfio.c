// SPDX-License-Identifier: GPL-2.0
/*
 * vfio.c - drive the kernel's VFIO the way a VMM does: a container, a
 * group, VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU(TYPE1v2), a device fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#include "testlib.h"

void vfio_close(struct vfio *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->device = v->group = v->container = -1;
}

int vfio_take(struct vfio *v, int gid, const char *bdf, const char **step)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char path[64];

	v->container = v->group = v->device = -1;
	*step = "open container";
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0)
		return errno;
	snprintf(path, sizeof(path), "/dev/vfio/%d", gid);
	*step = "open group";
	for (int i = 0; i < 100 && !path_exists(path); i++)
		msleep(20);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0)
		return errno;
	if (!ioctl(v->group, VFIO_GROUP_GET_STATUS, &gs))
		printf("# vfio group %d: status flags %#x\n", gid, gs.flags);
	*step = "VFIO_GROUP_SET_CONTAINER";
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		return errno;
	*step = "VFIO_SET_IOMMU";
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return errno;
	*step = "VFIO_GROUP_GET_DEVICE_FD";
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (v->device < 0)
		return errno;
	*step = "";
	return 0;
}

int vfio_device_works(struct vfio *v)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	if (v->device < 0)
		return -EBADF;
	if (ioctl(v->device, VFIO_DEVICE_GET_INFO, &info))
		return -errno;
	return 0;
}
