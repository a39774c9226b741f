/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testlib.h - helpers shared by dmaown's in-guest tests.
 *
 * Plain C helpers that report through return values (0 or a negative errno,
 * unless said otherwise) and "# " diagnostics; they never decide a test's
 * verdict themselves. Everything here expects to run as root in the test
 * guest.
 */
#ifndef DMAOWN_TESTLIB_H
#define DMAOWN_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/dmaown.h>

/* --- topology ---------------------------------------------------------- */

/*
 * topo() - a topology value: the environment (the guest init exports
 * /etc/dmaown-topology and /etc/dmaown-run to every test), else that file
 * (VAR=value or VAR='value' lines), else @def. Names and defaults are those
 * of tests/qemu/topology.sh.
 */
const char *topo(const char *var, const char *def);
#define EDU_LONE topo("EDU_LONE", "0000:00:03.0")	    /* edu alone in its group */
#define NIC_LONE topo("NIC_LONE", "0000:00:04.0")	    /* e1000e alone in its group */
#define NIC_LONE_DRIVER topo("NIC_LONE_DRIVER", "e1000e")
#define BRIDGE topo("BRIDGE", "0000:00:05.0")		    /* pci-bridge: the alias group */
#define BRIDGE_QID topo("BRIDGE_QID", "bridge")
#define EDU_ALIAS_A topo("EDU_ALIAS_A", "0000:01:01.0")
#define EDU_ALIAS_B topo("EDU_ALIAS_B", "0000:01:02.0")
#define NIC_ALIAS topo("NIC_ALIAS", "0000:01:03.0")	    /* e1000 behind the bridge */
#define NIC_ALIAS_DRIVER topo("NIC_ALIAS_DRIVER", "e1000")
#define ALIAS_FREE_ADDR topo("ALIAS_FREE_ADDR", "04.0") /* a free slot behind the bridge */
#define ALIAS_FREE_BDF topo("ALIAS_FREE_BDF", "0000:01:04.0")
#define EDU_HP topo("EDU_HP", "0000:02:00.0")		    /* edu behind a root port */
#define EDU_HP_QID topo("EDU_HP_QID", "edu-hp")
#define EDU_MF_A topo("EDU_MF_A", "0000:04:00.0")	    /* multifunction pair, one group */
#define EDU_MF_B topo("EDU_MF_B", "0000:04:00.1")
#define ICH9_LPC topo("ICH9_LPC", "0000:00:1f.0")
#define ICH9_SATA topo("ICH9_SATA", "0000:00:1f.2")
#define ICH9_SMBUS topo("ICH9_SMBUS", "0000:00:1f.3")
#define DMAOWN_MODULE topo("DMAOWN_MODULE", "/dmaown/dmaown.ko")
#define DMAOWN_PARAMS topo("DMAOWN_PARAMS", "")

/* the running kernel's "major.minor" as major * 1000 + minor (6.12: 6012) */
int kernel_version(void);
/* true when /proc/cmdline has @word as a whole token (e.g. "iommu=pt") */
bool cmdline_has(const char *word);
/* NULL when the edu DMA witness can work here, else why not */
const char *witness_unusable(const char *bdf);

/* --- files, sysfs, PCI ------------------------------------------------- */

#define NAME_LEN DMAOWN_NAME_LEN

/* copy @src into @dst of @len bytes, truncating, always NUL-terminated */
void scopy(char *dst, size_t len, const char *src);
void msleep(unsigned int ms);
uint64_t now_ms(void);
bool path_exists(const char *path);
/* read a file into @buf (NUL-terminated, trailing newline stripped): length or -errno */
int sysfs_read(const char *path, char *buf, size_t len);
/* one write() of @val: 0 or -errno */
int sysfs_write(const char *path, const char *val);
/* basename of the link target, "" if there is no link: 0 or -errno */
int read_link_name(const char *path, char *buf, size_t len);

bool pci_exists(const char *bdf);
/* the device's IOMMU group id, or -errno (-ENOENT: no device or no group) */
int pci_group(const char *bdf);
/* the bound driver, "" when none */
int pci_driver(const char *bdf, char *drv, size_t len);
bool pci_has_driver(const char *bdf, const char *drv);
int pci_bind(const char *bdf, const char *drv);
int pci_unbind(const char *bdf); /* 0 if it had no driver */
int pci_drivers_probe(const char *bdf);
int pci_set_override(const char *bdf, const char *drv); /* NULL or "" clears */
int pci_remove(const char *bdf);
int pci_rescan(void);
/* wait until the bound driver is @drv ("" = none): 0 or -ETIMEDOUT */
int pci_wait_driver(const char *bdf, const char *drv, unsigned int timeout_ms);
/* the network interface of a NIC, waiting up to @timeout_ms for it: 0 or -errno */
int pci_net_if(const char *bdf, char *name, size_t len, unsigned int timeout_ms);
/* bring a bound NIC up, send a few packets (its DMA engine reads them), take it down */
int nic_transmit(const char *bdf);
/* bind a driverless device to vfio-pci (through driver_override): 0 or -errno */
int pci_bind_vfio(const char *bdf);
/* unbind it from vfio-pci (if bound) and clear driver_override */
int pci_unbind_vfio(const char *bdf);
/* make sure @drv is bound (bind it if the device has no driver) */
int pci_ensure_driver(const char *bdf, const char *drv);
/* wait until the device is there, in its IOMMU group (or gone): 0 or -ETIMEDOUT */
int pci_wait_present(const char *bdf, bool present, unsigned int timeout_ms);
/*
 * Put the two functions of a multifunction slot (@fn0 the one whose header
 * says multifunction) back in one IOMMU group, as booted: 0, or -EAGAIN.
 */
int pci_mf_regroup(const char *fn0, const char *fn1);

/*
 * Hot-plug through the host's QEMU (tests/guest/dmaown-qmp over a serial
 * line to scripts/vm-qmp-relay). qmp_available() is false when not run
 * under scripts/vm-test.
 */
bool qmp_available(void);
int qmp(const char *cmd, const char *json); /* 0, or -1 with QMP's error */
/* device_del, then wait for DEVICE_DELETED and for @bdf to vanish */
int qmp_device_del(const char *qid, const char *bdf);
/* device_add of an edu with a full DMA mask: -1 or 0 */
int qmp_add_edu(const char *bus, const char *addr, const char *qid);
/* QMP device_add of an e1000 (no netdev) at @bus/@addr with id @qid */
int qmp_add_nic(const char *bus, const char *addr, const char *qid);

struct sysdev {
	char name[DMAOWN_NAME_LEN];
	char bus[DMAOWN_BUS_LEN];
	char driver[DMAOWN_NAME_LEN];
};
/* group ids under /sys/kernel/iommu_groups, sorted: count or -errno */
int sys_groups(int *ids, int max);
/* devices of a group as sysfs shows them, sorted by name: count or -errno */
int sys_group_devices(int gid, struct sysdev *devs, int max);

/* --- processes, modules ------------------------------------------------ */

/* run a shell command line; its exit status, or -1 */
int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int module_unload(const char *name);		  /* delete_module(O_NONBLOCK) */
int module_load(const char *path, const char *params); /* finit_module */
bool module_loaded(const char *name);
/* unload dmaown (when needed) and load it again: 0 or -errno */
int dmaown_reload(void);

/* --- /dev/dmaown -------------------------------------------------------- */

int dmaown_open(void); /* fd, or -1 with errno */
int dmaown_info(int fd, struct dmaown_info *info);
/* ioctl(GROUP_STATUS) with @devs of @len entries: ioctl's return, errno */
int dmaown_status(int fd, uint32_t gid, struct dmaown_group_status *st,
		  struct dmaown_device_info *devs, uint32_t len);
/* out_state of the group, or -1 with errno */
int dmaown_state(int fd, uint32_t gid);
int dmaown_group_claim(int fd, uint32_t gid);
int dmaown_group_release(int fd, uint32_t gid);
int dmaown_device_claim(int fd, const char *name, const char *bus, uint32_t *gid);
int dmaown_device_release(int fd, const char *name, const char *bus);
/* the quarantine list: ioctls (0 or -1 with errno), and the parameter */
/* DMAOWN_EVENTS_OPEN: the new fd, or -1 with errno */
int dmaown_events_open(int fd, uint32_t filter, uint32_t gid);
int dmaown_quarantine_add(int fd, const char *spec);
int dmaown_quarantine_remove(int fd, const char *spec);
int quarantine_param(char *buf, size_t len);	  /* length, newline stripped, or -errno */
int quarantine_param_set(const char *list);	  /* 0 or -errno */
/*
 * Another kernel owner (VFIO) holds group @gid, as seen through @fd: the
 * status is busy with no dmaown owner and a domain that is neither the
 * default nor a blocking one, a group claim and a device claim of @bdf are
 * refused with EBUSY, and that changed nothing. Prints what differs.
 */
bool dmaown_held_elsewhere(int fd, int gid, const char *bdf);
/* revents of a poll(POLLIN|POLLPRI) on @fd after at most @timeout_ms */
int poll_revents(int fd, int timeout_ms);

/* --- the kernel's VFIO, driven as a VMM drives it -------------------------- */

struct vfio {
	int container, group, device;
};

/*
 * Open a VFIO container and group and try to make them work: SET_CONTAINER,
 * SET_IOMMU(TYPE1v2), GET_DEVICE_FD of @bdf. Returns 0 when VFIO got a
 * working device, else the errno of the first step that failed, in *step
 * its name. vfio_close() undoes what was done (also after a failure).
 */
int vfio_take(struct vfio *v, int gid, const char *bdf, const char **step);
void vfio_close(struct vfio *v);
/* VFIO_DEVICE_GET_INFO on the device fd: 0 or -errno */
int vfio_device_works(struct vfio *v);

/* --- snapshots of every group ------------------------------------------- */

#define SNAP_GROUPS 64
#define SNAP_DEVS 16

/* what GROUP_STATUS and sysfs say of one group */
struct group_snap {
	int id;
	struct dmaown_group_status st;
	struct dmaown_device_info devs[SNAP_DEVS];
	int nr_sys;
	struct sysdev sys[SNAP_DEVS];
	char type[32]; /* /sys/kernel/iommu_groups/N/type */
};

struct snap {
	int nr;
	struct group_snap g[SNAP_GROUPS];
};

/* every group's status through @fd, and sysfs: 0 or -errno */
int snap_take(int fd, struct snap *s);
/* true when equal; prints each difference as a diagnostic */
bool snap_equal(const struct snap *a, const struct snap *b);
/* a group of the snapshot, NULL if absent */
const struct group_snap *snap_group(const struct snap *s, int id);
/* the status entry of @name in a group snapshot, NULL if absent */
const struct dmaown_device_info *snap_dev(const struct group_snap *g, const char *name);

/* --- kernel log ---------------------------------------------------------- */

/*
 * A window on /dev/kmsg: kmsg_begin() marks the end of the log, and
 * kmsg_collect() appends the messages logged since, one per line.
 */
struct kmsg {
	int fd;
	char *buf;
	size_t len, cap;
};
int kmsg_begin(struct kmsg *k);
void kmsg_collect(struct kmsg *k);
/* lines (collected so far) containing @a and, if not NULL, @b */
int kmsg_count(struct kmsg *k, const char *a, const char *b);
/* collect until kmsg_count(a, b) >= @want or @timeout_ms: the count */
int kmsg_wait(struct kmsg *k, const char *a, const char *b, int want, unsigned int timeout_ms);
/* lines that look like a kernel warning, bug, oops or stall */
int kmsg_count_bad(struct kmsg *k);
void kmsg_dump(struct kmsg *k, const char *why);
/*
 * The kernel prints DMAR faults through a ratelimit (10 prints in 5 s, two
 * per fault). Wait until the last DMAR fault line of the whole log is more
 * than one window old, so that the next fault is printed.
 */
void dmar_ratelimit_wait(void);
void kmsg_end(struct kmsg *k);

/* --- edu DMA witness ----------------------------------------------------- */

/*
 * The QEMU "edu" device as a DMA witness: a 2 KiB round trip RAM (page A)
 * -> edu buffer -> RAM (page B) through the device's own DMA engine, from
 * userspace (BAR0 through sysfs resource0, bus mastering through config).
 * Under iommu=pt a driver-less edu on its default (identity) domain must
 * land; on a blocking domain it must not.
 */
struct edu {
	char bdf[32];
	volatile uint8_t *bar;
	size_t bar_len;
	int cfg_fd;
	uint16_t cmd_saved;
	char bridges[4][32]; /* PCI bridges above it */
	int nr_bridges;
	uint8_t *page[2];
	void *chunks[512]; /* RAM kept mapped while looking for low pages */
	size_t chunk_len;
	int nr_chunks;
	uint64_t phys[2];
	uint64_t dma_mask;
	int compact_saved;
};

/* edu's BAR0 registers (QEMU hw/misc/edu.c) and its DMA buffer */
#define EDU_ID 0x00
#define EDU_ID_VALUE 0x010000edu
#define EDU_LIVENESS 0x04 /* reads back ~written */
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1	   /* start; busy while set */
#define EDU_DMA_TO_RAM 0x2 /* direction: edu buffer -> RAM */
#define EDU_BUF 0x40000	   /* the 4 KiB buffer, as a DMA address */

enum edu_result {
	EDU_BLOCKED = 0, /* page B unchanged */
	EDU_LANDED = 1,	 /* page B holds the pattern */
	EDU_GARBLED = 2, /* page B changed, but not to the pattern */
};

/* map, check liveness, enable bus mastering, take two pages: 0 or -errno */
int edu_open(struct edu *e, const char *bdf);
bool edu_alive(struct edu *e);
/* one round trip with a fresh pattern: enum edu_result, or -errno */
int edu_roundtrip(struct edu *e);
void edu_close(struct edu *e);
/*
 * edu_open + one round trip + edu_close, with a diagnostic: enum
 * edu_result or -errno.
 */
int edu_witness(const char *bdf);
/* a DMAR fault line in the log */
#define DMAR_FAULT_A "DMAR"
#define DMAR_FAULT_B "fault"

/* --- an inner VMM: the distribution's QEMU as a real VFIO user ---------- */

/*
 * vmm_start() runs the guest's qemu-system-x86_64, stopped (-S), with one
 * device: "-device vfio-pci,host=BDF,addr=05.0" in a 64 MiB q35 machine,
 * driven through qtest on a socketpair. QEMU does the whole VFIO setup
 * (container, group, type1 IOMMU, MAP_DMA of its RAM, device fd, BAR
 * mmap) before it answers, so a VFIO refusal shows as a QEMU that exits
 * with a message on stderr. The device must be bound to vfio-pci first
 * (pci_bind_vfio). QEMU gets no file of the test (no /dev/dmaown claim
 * leaks into it) and dies with the test (PR_SET_PDEATHSIG, and it stays
 * in the test's process group).
 *
 * Every function returns 0 (or a value said below) or a negative errno,
 * and prints "# vmm: ..." diagnostics. A struct vmm is zeroed or stopped
 * before vmm_start(); vmm_stop() is always safe, and must come last.
 */
#ifndef VMM_QEMU
#define VMM_QEMU "/usr/bin/qemu-system-x86_64"
#endif
#define VMM_LINE 4352		   /* a qtest line: 1 KiB of RAM as hex fits */
#define VMM_CMD_TIMEOUT_MS 30000 /* per reply, a guard against a hang */

struct vmm {
	pid_t pid;		 /* the inner QEMU until vmm_stop() reaps it, else 0 */
	int status;		 /* then its exit code, or 128 + the signal that ended it */
	char bdf[32];		 /* the device given to it */
	unsigned int timeout_ms; /* per reply (0: VMM_CMD_TIMEOUT_MS); set after start */
	char err[8192];		 /* its stderr so far (the beginning), NUL-terminated */
	size_t err_len;
	char line[VMM_LINE]; /* the last reply line, without its newline */
	/* private */
	int fd, err_fd;
	char buf[VMM_LINE];
	size_t buf_len;
};

/*
 * Start QEMU with @bdf and wait until it answers qtest with the device at
 * inner 00:05.0: 0; -ECHILD when QEMU exited by itself (the device was
 * refused: v->err says why, v->status is its exit code); -ETIMEDOUT (it was
 * killed), -ENODEV, or another -errno. On failure QEMU is reaped already.
 */
int vmm_start(struct vmm *v, const char *bdf);
/*
 * One qtest command (printf-style, without the newline), one reply line
 * into @reply (if not NULL) and v->line: 0 for "OK ...", -EPROTO for any
 * other reply ("FAIL ..."), -EPIPE when QEMU is gone, -ETIMEDOUT.
 */
int vmm_cmd(struct vmm *v, char *reply, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* vmm_cmd() whose reply is "OK VALUE" (inl, readq, ...): the value in @val */
int vmm_val(struct vmm *v, uint64_t *val, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * The inner VM as a driver of an edu at inner 00:05.0: BAR0, memory and
 * bus mastering, id and liveness, then a DMA round trip of 1 KiB with a
 * fresh random pattern, inner RAM A -> edu -> inner RAM B (IOVA = inner
 * guest-physical address, through the host IOMMU and type1's mappings).
 * enum edu_result for what RAM B holds afterwards (EDU_BLOCKED: untouched),
 * or a negative errno when the protocol or the device broke (a failed
 * command, a DMA that never completes, a wrong id): never a verdict.
 */
int vmm_edu_dma(struct vmm *v);
/*
 * The same, but the edu reads from inner guest-physical @src, not from RAM
 * A where the pattern is: an address without RAM (VMM_NO_RAM) has no type1
 * mapping, so the read faults in the host IOMMU (a DMAR fault in the log)
 * and the pattern cannot land (seen: EDU_GARBLED, the edu writes what the
 * faulted read gave it). A control that the round trip really goes through
 * the IOMMU.
 */
int vmm_edu_dma_from(struct vmm *v, uint64_t src);
#define VMM_NO_RAM 0x8000000ull /* 128 MiB: above the inner VM's 64 MiB */
/* QEMU's stderr (read up to now) contains @s */
bool vmm_stderr_has(struct vmm *v, const char *s);
/* QEMU's stderr as "# vmm stderr: " lines */
void vmm_print_stderr(struct vmm *v);
/*
 * Send @sig (SIGTERM: QEMU exits 0; SIGKILL: the crash case), reap QEMU
 * (SIGKILL after 30 s if it does not end), close everything: its exit code
 * or 128 + signal, as v->status. Again, or on a vmm that never ran (or
 * failed to start): v->status, nothing else done.
 */
int vmm_stop(struct vmm *v, int sig);

#endif /* DMAOWN_TESTLIB_H */
