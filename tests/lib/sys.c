// SPDX-License-Identifier: GPL-2.0
/*
 * sys.c - topology, sysfs/PCI, modules, /dev/dmaown and /dev/kmsg helpers
 * for dmaown's in-guest tests.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/* --- topology ---------------------------------------------------------- */

static struct {
	char var[64], val[128];
} topo_vars[64];
static int topo_nr = -1;

static void topo_load(void)
{
	char line[256], *eq, *end;
	FILE *f;

	topo_nr = 0;
	f = fopen("/etc/dmaown-topology", "r");
	if (!f)
		return;
	while (topo_nr < 64 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		eq = strchr(line, '=');
		if (line[0] == '#' || !eq)
			continue;
		*eq++ = 0;
		/* allow VAR="value" as a shell would write it */
		if (*eq == '"' || *eq == '\'') {
			end = strrchr(eq + 1, *eq);
			if (end)
				*end = 0;
			eq++;
		}
		scopy(topo_vars[topo_nr].var, sizeof(topo_vars[0].var), line);
		scopy(topo_vars[topo_nr].val, sizeof(topo_vars[0].val), eq);
		topo_nr++;
	}
	fclose(f);
}

const char *topo(const char *var, const char *def)
{
	const char *env = getenv(var);

	if (env)
		return env;
	if (topo_nr < 0)
		topo_load();
	for (int i = 0; i < topo_nr; i++)
		if (!strcmp(topo_vars[i].var, var))
			return topo_vars[i].val;
	return def;
}

bool cmdline_has(const char *word)
{
	char buf[4096], *tok, *save;

	if (sysfs_read("/proc/cmdline", buf, sizeof(buf)) < 0)
		return false;
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

const char *witness_unusable(const char *bdf)
{
	static char why[256];
	char path[PATH_MAX], type[64];
	int gid;

	if (!cmdline_has("iommu=pt"))
		return "needs the identity default domain: not booted with iommu=pt";
	gid = pci_group(bdf);
	if (gid < 0) {
		snprintf(why, sizeof(why), "%s has no IOMMU group", bdf);
		return why;
	}
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type", gid);
	if (sysfs_read(path, type, sizeof(type)) > 0 && strcmp(type, "identity")) {
		snprintf(why, sizeof(why), "group %d default domain is %s, not identity", gid, type);
		return why;
	}
	return NULL;
}

/* --- files, sysfs, PCI ------------------------------------------------- */

void scopy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

bool path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return n;
}

int sysfs_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

int read_link_name(const char *path, char *buf, size_t len)
{
	char target[PATH_MAX], *base;
	ssize_t n;

	buf[0] = 0;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	target[n] = 0;
	base = strrchr(target, '/');
	scopy(buf, len, base ? base + 1 : target);
	return 0;
}

static char *pci_path(char *buf, const char *bdf, const char *file)
{
	snprintf(buf, PATH_MAX, "/sys/bus/pci/devices/%s%s%s", bdf, file ? "/" : "", file ? file : "");
	return buf;
}

bool pci_exists(const char *bdf)
{
	char path[PATH_MAX];

	return path_exists(pci_path(path, bdf, NULL));
}

int pci_group(const char *bdf)
{
	char path[PATH_MAX], name[64], *end;
	long id;
	int ret;

	if (!pci_exists(bdf))
		return -ENOENT;
	ret = read_link_name(pci_path(path, bdf, "iommu_group"), name, sizeof(name));
	if (ret)
		return ret;
	if (!name[0])
		return -ENOENT;
	id = strtol(name, &end, 10);
	return *end ? -EINVAL : (int)id;
}

int pci_driver(const char *bdf, char *drv, size_t len)
{
	char path[PATH_MAX];

	drv[0] = 0;
	if (!pci_exists(bdf))
		return -ENOENT;
	return read_link_name(pci_path(path, bdf, "driver"), drv, len);
}

bool pci_has_driver(const char *bdf, const char *drv)
{
	char cur[NAME_LEN];

	return pci_driver(bdf, cur, sizeof(cur)) == 0 && !strcmp(cur, drv);
}

int pci_bind(const char *bdf, const char *drv)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", drv);
	return sysfs_write(path, bdf);
}

int pci_unbind(const char *bdf)
{
	char path[PATH_MAX], drv[NAME_LEN];
	int ret;

	ret = pci_driver(bdf, drv, sizeof(drv));
	if (ret || !drv[0])
		return ret;
	return sysfs_write(pci_path(path, bdf, "driver/unbind"), bdf);
}

int pci_drivers_probe(const char *bdf)
{
	return sysfs_write("/sys/bus/pci/drivers_probe", bdf);
}

int pci_set_override(const char *bdf, const char *drv)
{
	char path[PATH_MAX];

	return sysfs_write(pci_path(path, bdf, "driver_override"), drv && drv[0] ? drv : "\n");
}

int pci_remove(const char *bdf)
{
	char path[PATH_MAX];

	return sysfs_write(pci_path(path, bdf, "remove"), "1");
}

int pci_rescan(void)
{
	return sysfs_write("/sys/bus/pci/rescan", "1");
}

int pci_wait_driver(const char *bdf, const char *drv, unsigned int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	char cur[NAME_LEN];

	for (;;) {
		if (pci_driver(bdf, cur, sizeof(cur)) == 0 && !strcmp(cur, drv))
			return 0;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		msleep(20);
	}
}

int kernel_version(void)
{
	struct utsname u;
	int maj = 0, min = 0;

	uname(&u);
	sscanf(u.release, "%d.%d", &maj, &min);
	return maj * 1000 + min;
}

int pci_net_if(const char *bdf, char *name, size_t len, unsigned int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/net", bdf);
	for (;;) {
		DIR *dir = opendir(path);
		struct dirent *d;

		name[0] = 0;
		while (dir && (d = readdir(dir)))
			if (d->d_name[0] != '.') {
				scopy(name, len, d->d_name);
				break;
			}
		if (dir)
			closedir(dir);
		if (name[0])
			return 0;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		msleep(100);
	}
}

int nic_transmit(const char *bdf)
{
	char ifname[32];
	int ret;

	ret = pci_net_if(bdf, ifname, sizeof(ifname), 5000);
	if (ret)
		return ret;
	/* QEMU's user network answers 10.0.2.2; restrict=on keeps it inside */
	if (run("ip addr add 10.0.2.15/24 dev %s && ip link set %s up", ifname, ifname))
		return -EIO;
	msleep(500);
	run("ping -c 3 -W 1 10.0.2.2 > /dev/null 2>&1");
	run("ip link set %s down; ip addr flush dev %s", ifname, ifname);
	return 0;
}

int pci_bind_vfio(const char *bdf)
{
	int ret;

	if (!path_exists("/sys/bus/pci/drivers/vfio-pci"))
		run("modprobe vfio-pci >/dev/null 2>&1");
	/* vfio-pci has no id table: it binds through driver_override only */
	ret = pci_set_override(bdf, "vfio-pci");
	if (!ret)
		ret = pci_bind(bdf, "vfio-pci");
	if (!ret && !pci_has_driver(bdf, "vfio-pci"))
		ret = -ENXIO;
	if (ret) {
		printf("# bind %s to vfio-pci: %s\n", bdf, strerror(-ret));
		pci_set_override(bdf, NULL);
	}
	return ret;
}

int pci_unbind_vfio(const char *bdf)
{
	int ret = 0, ret2;

	if (pci_has_driver(bdf, "vfio-pci"))
		ret = pci_unbind(bdf);
	ret2 = pci_set_override(bdf, NULL);
	return ret ?: ret2;
}

int pci_ensure_driver(const char *bdf, const char *drv)
{
	char cur[NAME_LEN];
	int ret;

	ret = pci_driver(bdf, cur, sizeof(cur));
	if (ret)
		return ret;
	if (!strcmp(cur, drv))
		return 0;
	if (cur[0]) {
		ret = pci_unbind(bdf);
		if (ret)
			return ret;
	}
	ret = pci_bind(bdf, drv);
	if (ret == -ENOENT) { /* driver not loaded */
		run("modprobe %s", drv);
		ret = pci_wait_driver(bdf, drv, 3000);
		if (ret)
			ret = pci_bind(bdf, drv);
	}
	if (ret && ret != -EEXIST && ret != -EBUSY)
		return ret;
	return pci_wait_driver(bdf, drv, 5000);
}

/*
 * A device is there once the IOMMU core has put it in its group, when the
 * IOMMU is on: its sysfs directory comes first, at device_add(), and its
 * iommu_group link only from the IOMMU core's bus notifier after it (seen
 * on the debug kernel: a status taken in between counted one member less).
 */
static bool pci_added(const char *bdf)
{
	char path[PATH_MAX];

	if (!pci_exists(bdf))
		return false;
	return !path_exists("/sys/kernel/iommu_groups/0") ||
	       path_exists(pci_path(path, bdf, "iommu_group"));
}

int pci_wait_present(const char *bdf, bool present, unsigned int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;

	while ((present ? pci_added(bdf) : pci_exists(bdf)) != present) {
		if (now_ms() >= end)
			return -ETIMEDOUT;
		msleep(50);
	}
	return 0;
}

/*
 * A function rescanned alone is probed for its IOMMU group before the
 * kernel marks it multifunction (pci_scan_slot() sets the flag after adding
 * it), so one whose own header lacks the bit gets a group of its own, also
 * when the whole slot is rescanned. Function 0, whose header has the bit,
 * joins the others' group when it comes back alone: remove it, rescan.
 */
int pci_mf_regroup(const char *fn0, const char *fn1)
{
	int ret;

	if (!pci_exists(fn0) || !pci_exists(fn1)) {
		ret = pci_rescan();
		if (!ret)
			ret = pci_wait_present(fn0, true, 5000) ?: pci_wait_present(fn1, true, 5000);
		if (ret)
			return ret;
	}
	if (pci_group(fn0) == pci_group(fn1))
		return 0;
	ret = pci_remove(fn0) ?: pci_wait_present(fn0, false, 5000) ?: pci_rescan() ?:
	      pci_wait_present(fn0, true, 5000);
	if (ret)
		return ret;
	return pci_group(fn0) == pci_group(fn1) ? 0 : -EAGAIN;
}

bool qmp_available(void)
{
	return run("dmaown-qmp -p >/dev/null 2>&1") == 0;
}

int qmp(const char *cmd, const char *json)
{
	return run("dmaown-qmp %s '%s' >/dev/null", cmd, json) == 0 ? 0 : -1;
}

int qmp_device_del(const char *qid, const char *bdf)
{
	char json[128];

	snprintf(json, sizeof(json), "{\"id\": \"%s\"}", qid);
	if (qmp("device_del", json))
		return -1;
	run("dmaown-qmp -t 30 -e DEVICE_DELETED '\"%s\"' >/dev/null", qid);
	return pci_wait_present(bdf, false, 20000);
}

/* QMP device_add of @driver (with @props, JSON members) at @bus[/@addr] as @qid */
static int qmp_add_device(const char *driver, const char *props, const char *bus,
			  const char *addr, const char *qid)
{
	char json[256], at[32] = "";

	if (addr)
		snprintf(at, sizeof(at), ", \"addr\": \"%.8s\"", addr);
	snprintf(json, sizeof(json),
		 "{\"driver\": \"%s\", %s, \"bus\": \"%.32s\"%s, \"id\": \"%.32s\"}",
		 driver, props, bus, at, qid);
	return qmp("device_add", json);
}

int qmp_add_edu(const char *bus, const char *addr, const char *qid)
{
	return qmp_add_device("edu", "\"dma_mask\": 18446744073709551615", bus, addr, qid);
}

int qmp_add_nic(const char *bus, const char *addr, const char *qid)
{
	/* no netdev: QEMU warns that the NIC has no peer, and adds it */
	return qmp_add_device("e1000", "\"romfile\": \"\"", bus, addr, qid);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int sys_groups(int *ids, int max)
{
	struct dirent *d;
	int n = 0;
	DIR *dir;

	dir = opendir("/sys/kernel/iommu_groups");
	if (!dir)
		return -errno;
	while ((d = readdir(dir)) && n < max)
		if (d->d_name[0] >= '0' && d->d_name[0] <= '9')
			ids[n++] = atoi(d->d_name);
	closedir(dir);
	qsort(ids, n, sizeof(*ids), cmp_int);
	return n;
}

static int cmp_sysdev(const void *a, const void *b)
{
	return strcmp(((const struct sysdev *)a)->name, ((const struct sysdev *)b)->name);
}

int sys_group_devices(int gid, struct sysdev *devs, int max)
{
	char path[PATH_MAX], dpath[PATH_MAX + 300];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", gid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir)) && n < max) {
		if (d->d_name[0] == '.')
			continue;
		memset(&devs[n], 0, sizeof(devs[n]));
		scopy(devs[n].name, sizeof(devs[n].name), d->d_name);
		snprintf(dpath, sizeof(dpath), "%s/%s/subsystem", path, d->d_name);
		read_link_name(dpath, devs[n].bus, sizeof(devs[n].bus));
		snprintf(dpath, sizeof(dpath), "%s/%s/driver", path, d->d_name);
		read_link_name(dpath, devs[n].driver, sizeof(devs[n].driver));
		n++;
	}
	closedir(dir);
	qsort(devs, n, sizeof(*devs), cmp_sysdev);
	return n;
}

/* --- processes, modules ------------------------------------------------ */

int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int module_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

int module_load(const char *path, const char *params)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

bool module_loaded(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return path_exists(path);
}

int dmaown_reload(void)
{
	int ret;

	if (module_loaded("dmaown")) {
		ret = module_unload("dmaown");
		if (ret)
			return ret;
	}
	return module_load(DMAOWN_MODULE, DMAOWN_PARAMS);
}

/* --- /dev/dmaown -------------------------------------------------------- */

int dmaown_open(void)
{
	return open("/dev/dmaown", O_RDWR | O_CLOEXEC);
}

int dmaown_info(int fd, struct dmaown_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, DMAOWN_GET_INFO, info);
}

int dmaown_status(int fd, uint32_t gid, struct dmaown_group_status *st,
		  struct dmaown_device_info *devs, uint32_t len)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->group_id = gid;
	st->devices_len = len;
	st->devices_uptr = (uintptr_t)devs;
	return ioctl(fd, DMAOWN_GROUP_STATUS, st);
}

int dmaown_state(int fd, uint32_t gid)
{
	struct dmaown_group_status st;

	if (dmaown_status(fd, gid, &st, NULL, 0))
		return -1;
	return st.out_state;
}

static int group_ioctl(int fd, unsigned long req, uint32_t gid)
{
	struct dmaown_group g = { .size = sizeof(g), .group_id = gid };

	return ioctl(fd, req, &g);
}

int dmaown_group_claim(int fd, uint32_t gid)
{
	return group_ioctl(fd, DMAOWN_GROUP_CLAIM, gid);
}

int dmaown_group_release(int fd, uint32_t gid)
{
	return group_ioctl(fd, DMAOWN_GROUP_RELEASE, gid);
}

static int device_ioctl(int fd, unsigned long req, const char *name, const char *bus, uint32_t *gid)
{
	struct dmaown_device d = { .size = sizeof(d) };
	int ret;

	scopy(d.name, sizeof(d.name), name);
	scopy(d.bus, sizeof(d.bus), bus ? bus : "");
	ret = ioctl(fd, req, &d);
	if (!ret && gid)
		*gid = d.out_group_id;
	return ret;
}

int dmaown_device_claim(int fd, const char *name, const char *bus, uint32_t *gid)
{
	return device_ioctl(fd, DMAOWN_DEVICE_CLAIM, name, bus, gid);
}

int dmaown_device_release(int fd, const char *name, const char *bus)
{
	return device_ioctl(fd, DMAOWN_DEVICE_RELEASE, name, bus, NULL);
}

static int quarantine_ioctl(int fd, unsigned long req, const char *spec)
{
	struct dmaown_quarantine q = { .size = sizeof(q) };

	scopy(q.spec, sizeof(q.spec), spec);
	return ioctl(fd, req, &q);
}

int dmaown_events_open(int fd, uint32_t filter, uint32_t gid)
{
	struct dmaown_events_open o = {
		.size = sizeof(o), .filter = filter, .group_id = gid,
	};

	return ioctl(fd, DMAOWN_EVENTS_OPEN, &o);
}

int dmaown_quarantine_add(int fd, const char *spec)
{
	return quarantine_ioctl(fd, DMAOWN_QUARANTINE_ADD, spec);
}

int dmaown_quarantine_remove(int fd, const char *spec)
{
	return quarantine_ioctl(fd, DMAOWN_QUARANTINE_REMOVE, spec);
}

int quarantine_param(char *buf, size_t len)
{
	return sysfs_read("/sys/module/dmaown/parameters/quarantine", buf, len);
}

int quarantine_param_set(const char *list)
{
	/* a write of no byte does not reach the kernel */
	return sysfs_write("/sys/module/dmaown/parameters/quarantine", list[0] ? list : "\n");
}

bool dmaown_held_elsewhere(int fd, int gid, const char *bdf)
{
	struct dmaown_group_status st;
	bool ok = true;

	if (dmaown_status(fd, gid, &st, NULL, 0)) {
		printf("# group %d: GROUP_STATUS: %m\n", gid);
		return false;
	}
	/* another kernel owner: busy, no dmaown owner, a domain of its own */
	if (st.out_state != DMAOWN_STATE_BUSY || st.out_owner_pid ||
	    st.out_domain != DMAOWN_DOMAIN_OTHER) {
		printf("# group %d: state %u, owner pid %u, domain %u: not held elsewhere\n", gid,
		       st.out_state, st.out_owner_pid, st.out_domain);
		ok = false;
	}
	if (!dmaown_group_claim(fd, gid)) {
		printf("# group %d: the group claim worked\n", gid);
		dmaown_group_release(fd, gid);
		ok = false;
	} else if (errno != EBUSY) {
		printf("# group %d: the group claim failed with %m, want EBUSY\n", gid);
		ok = false;
	}
	if (!dmaown_device_claim(fd, bdf, "pci", NULL)) {
		printf("# group %d: the device claim of %s worked\n", gid, bdf);
		dmaown_device_release(fd, bdf, "pci");
		ok = false;
	} else if (errno != EBUSY) {
		printf("# group %d: the device claim of %s failed with %m, want EBUSY\n", gid, bdf);
		ok = false;
	}
	/* and the refusals changed nothing */
	if (dmaown_state(fd, gid) != DMAOWN_STATE_BUSY) {
		printf("# group %d: not busy any more after the refused claims\n", gid);
		ok = false;
	}
	return ok;
}

int poll_revents(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI };
	int ret;

	ret = poll(&p, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	return ret ? p.revents : 0;
}

/* --- kernel log ---------------------------------------------------------- */

int kmsg_begin(struct kmsg *k)
{
	memset(k, 0, sizeof(*k));
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	if (lseek(k->fd, 0, SEEK_END) < 0) {
		close(k->fd);
		k->fd = -1;
		return -errno;
	}
	return 0;
}

void kmsg_collect(struct kmsg *k)
{
	char rec[8192], *text, *nl;
	ssize_t n;
	size_t len;

	if (k->fd < 0)
		return;
	for (;;) {
		n = read(k->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE) /* overwritten records: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		nl = strchr(text, '\n');
		if (nl)
			*nl = 0;
		len = strlen(text);
		if (k->len + len + 2 > k->cap) {
			size_t cap = (k->cap + len + 2) * 2;
			char *buf = realloc(k->buf, cap);

			if (!buf)
				return;
			k->buf = buf;
			k->cap = cap;
		}
		memcpy(k->buf + k->len, text, len);
		k->len += len;
		k->buf[k->len++] = '\n';
		k->buf[k->len] = 0;
	}
}

static int count_lines(struct kmsg *k, bool (*match)(const char *, const void *), const void *arg)
{
	char *line, *save, *copy;
	int n = 0;

	if (!k->len)
		return 0;
	copy = strdup(k->buf);
	if (!copy)
		return 0;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n += match(line, arg);
	free(copy);
	return n;
}

struct two {
	const char *a, *b;
};

static bool match_two(const char *line, const void *arg)
{
	const struct two *t = arg;

	return strstr(line, t->a) && (!t->b || strstr(line, t->b));
}

int kmsg_count(struct kmsg *k, const char *a, const char *b)
{
	struct two t = { a, b };

	return count_lines(k, match_two, &t);
}

int kmsg_wait(struct kmsg *k, const char *a, const char *b, int want, unsigned int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	int n;

	for (;;) {
		kmsg_collect(k);
		n = kmsg_count(k, a, b);
		if (n >= want || now_ms() >= end)
			return n;
		msleep(50);
	}
}

static bool match_bad(const char *line, const void *arg)
{
	static const char *const bad[] = {
		"WARNING:",	   "BUG:",	     "Oops",	      "general protection fault",
		"list_add corruption", "list_del corruption", "KASAN",	      "rcu_sched detected stall",
		"rcu: INFO:",	   "possible circular locking", "Call Trace:", "kernel BUG",
		"blocked for more than",
	};

	(void)arg;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(line, bad[i]))
			return true;
	return false;
}

int kmsg_count_bad(struct kmsg *k)
{
	kmsg_collect(k);
	return count_lines(k, match_bad, NULL);
}

void kmsg_dump(struct kmsg *k, const char *why)
{
	char *line, *save, *copy;
	int n = 0;

	kmsg_collect(k);
	printf("# kernel log (%s):\n", why);
	if (!k->len)
		printf("#   (nothing new)\n");
	copy = k->len ? strdup(k->buf) : NULL;
	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line && n < 60;
	     line = strtok_r(NULL, "\n", &save), n++)
		printf("#   %s\n", line);
	free(copy);
	fflush(stdout);
}

/* timestamp (ms) of the last record of the log matching @a and @b, 0 if none */
static uint64_t kmsg_last_time(const char *a, const char *b)
{
	char rec[8192], *text;
	unsigned long long usec;
	uint64_t last = 0;
	ssize_t n;
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		text = strchr(rec, ';');
		/* "prio,seq,usec,flags;text" */
		if (!text || sscanf(rec, "%*u,%*u,%llu", &usec) != 1)
			continue;
		if (strstr(text, a) && (!b || strstr(text, b)))
			last = usec / 1000;
	}
	close(fd);
	return last;
}

void dmar_ratelimit_wait(void)
{
	uint64_t last = kmsg_last_time("DMAR", "fault"), t;

	t = kmsg_last_time("dmar_fault", "suppressed");
	if (t > last)
		last = t;
	/* printk's clock and CLOCK_MONOTONIC both count from boot */
	if (last && now_ms() < last + 6000)
		msleep(last + 6000 - now_ms());
}

void kmsg_end(struct kmsg *k)
{
	if (k->fd >= 0)
		close(k->fd);
	free(k->buf);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
}
