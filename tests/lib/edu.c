// SPDX-License-Identifier: GPL-2.0
/*
 * edu.c - the QEMU edu device as a DMA witness, driven from userspace.
 *
 * edu (QEMU hw/misc/edu.c): BAR0 registers 0x00 id (0x010000ed), 0x04
 * liveness (reads back ~written), 0x80 DMA source, 0x88 destination, 0x90
 * count, 0x98 command (bit 0 start/busy, bit 1 direction: 0 RAM -> edu,
 * 1 edu -> RAM). The DMA runs on a 100 ms virtual timer; the device's
 * buffer is 4 KiB at 0x40000. edu masks DMA addresses with its dma_mask
 * property (28 bits by default) instead of failing, so a page above it
 * would make it write somewhere else: we only ever use pages below it.
 *
 * The pages come from an mlocked, non-THP anonymous mapping; their
 * physical addresses come from /proc/self/pagemap, read again after each
 * transfer to make sure they did not move. Compaction of mlocked pages is
 * switched off while a witness is open.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/*
 * Bytes per transfer: QEMU 7.2's edu_check_range() wants the end of the
 * range strictly inside the buffer, so a whole 4 KiB transfer aborts QEMU
 * ("DMA range ... out of bounds"). Half a page is enough of a witness.
 */
#define XFER 2048UL
#define PAGE 4096UL
#define CHUNK (2UL << 20)
#define DMA_TIMEOUT_MS 10000
#define PCI_COMMAND 4
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define COMPACT "/proc/sys/vm/compact_unevictable_allowed"

static uint32_t rd32(struct edu *e, unsigned int off)
{
	return *(volatile uint32_t *)(e->bar + off);
}

static void wr32(struct edu *e, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(e->bar + off) = v;
}

static uint64_t rd64(struct edu *e, unsigned int off)
{
	return *(volatile uint64_t *)(e->bar + off);
}

static void wr64(struct edu *e, unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)(e->bar + off) = v;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t seed(void)
{
	static uint64_t counter;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ ((uint64_t)getpid() << 16) ^ ++counter) |
	       1;
}

/* physical address of the page at @va, 0 if unknown */
static uint64_t phys_of(void *va)
{
	uint64_t entry;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), ((uintptr_t)va / PAGE) * sizeof(entry)) !=
	    sizeof(entry))
		entry = 0;
	close(fd);
	if (!(entry & (1ULL << 63)))
		return 0;
	return (entry & ((1ULL << 55) - 1)) * PAGE;
}

static int cfg_cmd(const char *bdf, int fd, uint16_t *old, uint16_t set)
{
	uint16_t cmd;

	if (pread(fd, &cmd, 2, PCI_COMMAND) != 2)
		return -errno ?: -EIO;
	if (old)
		*old = cmd;
	if ((cmd & set) == set)
		return 0;
	cmd |= set;
	if (pwrite(fd, &cmd, 2, PCI_COMMAND) != 2) {
		printf("# edu: cannot write the command register of %s: %m\n", bdf);
		return -errno ?: -EIO;
	}
	return 0;
}

/* the PCI bridges between the root bus and @bdf, nearest last */
static void find_bridges(struct edu *e)
{
	char path[PATH_MAX], real[PATH_MAX], *p, *tok, *save;
	unsigned int d, b, s, f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", e->bdf);
	if (!realpath(path, real))
		return;
	/* /sys/devices/pci0000:00/0000:00:05.0/0000:01:01.0 */
	p = strstr(real, "/pci");
	for (tok = p ? strtok_r(p + 1, "/", &save) : NULL; tok; tok = strtok_r(NULL, "/", &save)) {
		if (sscanf(tok, "%x:%x:%x.%x", &d, &b, &s, &f) != 4 || !strcmp(tok, e->bdf))
			continue;
		if (e->nr_bridges < 4)
			scopy(e->bridges[e->nr_bridges++], sizeof(e->bridges[0]), tok);
	}
}

/*
 * A bridge forwards its secondary side's DMA only with bus mastering on.
 * It is left on afterwards: a driver behind the bridge may have come to
 * rely on it meanwhile.
 */
static int bridge_master(const char *bdf)
{
	char path[PATH_MAX];
	int fd, ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = cfg_cmd(bdf, fd, NULL, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	close(fd);
	return ret;
}

/* two RAM pages below the edu's DMA mask, kept mapped and locked */
static int take_pages(struct edu *e)
{
	int found = 0;

	e->chunk_len = CHUNK;
	while (found < 2 && e->nr_chunks < (int)(sizeof(e->chunks) / sizeof(e->chunks[0]))) {
		uint8_t *c = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);

		if (c == MAP_FAILED)
			break;
		e->chunks[e->nr_chunks++] = c;
		madvise(c, CHUNK, MADV_NOHUGEPAGE);
		if (mlock(c, CHUNK))
			return -errno;
		for (size_t off = 0; off < CHUNK && found < 2; off += PAGE) {
			uint64_t pa;

			c[off] = 1;
			pa = phys_of(c + off);
			if (!pa)
				return -EPERM; /* pagemap hides PFNs: not root? */
			if (pa + PAGE - 1 > e->dma_mask)
				continue;
			e->page[found] = c + off;
			e->phys[found++] = pa;
		}
	}
	if (found < 2) {
		printf("# edu: no RAM page below the edu dma_mask %#llx after %d MiB: give the edu a "
		       "wider dma_mask (-device edu,dma_mask=0xffffffff, EDU_DMA_MASK in the "
		       "topology)\n",
		       (unsigned long long)e->dma_mask, e->nr_chunks * (int)(CHUNK >> 20));
		return -ENOMEM;
	}
	return 0;
}

/*
 * BAR0's size from the first line of sysfs "resource" ("start end flags"):
 * lseek(SEEK_END) on resource0 is not reliable (6.1 answers 0).
 */
static off_t bar0_size(const char *bdf)
{
	unsigned long long start, end, flags;
	char path[PATH_MAX];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%llx %llx %llx", &start, &end, &flags);
	fclose(f);
	if (n != 3 || end <= start)
		return -1;
	return end - start + 1;
}

int edu_open(struct edu *e, const char *bdf)
{
	char path[PATH_MAX], buf[64];
	int fd, ret;
	off_t len;

	memset(e, 0, sizeof(*e));
	e->cfg_fd = -1;
	e->compact_saved = -1;
	scopy(e->bdf, sizeof(e->bdf), bdf);
	e->dma_mask = strtoull(topo("EDU_DMA_MASK", "0x0fffffff"), NULL, 0);

	len = bar0_size(bdf);
	if (len < 0x100) {
		printf("# edu: %s: no BAR0 size in sysfs\n", bdf);
		return -ENXIO;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		printf("# edu: open %s: %m\n", path);
		return ret;
	}
	e->bar_len = len;
	e->bar = mmap(NULL, e->bar_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (e->bar == MAP_FAILED) {
		ret = -errno;
		printf("# edu: mmap %s: %m\n", path);
		e->bar = NULL;
		return ret;
	}

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	e->cfg_fd = open(path, O_RDWR | O_CLOEXEC);
	if (e->cfg_fd < 0) {
		ret = -errno;
		edu_close(e);
		return ret;
	}
	ret = cfg_cmd(bdf, e->cfg_fd, &e->cmd_saved, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (ret) {
		edu_close(e);
		return ret;
	}
	find_bridges(e);
	for (int i = 0; i < e->nr_bridges; i++)
		bridge_master(e->bridges[i]);

	if (!edu_alive(e)) {
		printf("# edu: %s is not alive (id %#x)\n", bdf, rd32(e, EDU_ID));
		edu_close(e);
		return -ENODEV;
	}

	if (sysfs_read(COMPACT, buf, sizeof(buf)) > 0) {
		e->compact_saved = atoi(buf);
		sysfs_write(COMPACT, "0");
	}
	ret = take_pages(e);
	if (ret) {
		edu_close(e);
		return ret;
	}
	return 0;
}

bool edu_alive(struct edu *e)
{
	uint32_t x = (uint32_t)seed();

	if (!e->bar || rd32(e, EDU_ID) != EDU_ID_VALUE)
		return false;
	wr32(e, EDU_LIVENESS, x);
	return rd32(e, EDU_LIVENESS) == ~x;
}

static int wait_idle(struct edu *e)
{
	uint64_t end = now_ms() + DMA_TIMEOUT_MS;

	while (rd64(e, EDU_DMA_CMD) & EDU_DMA_RUN) {
		if (now_ms() > end)
			return -ETIMEDOUT;
		msleep(5);
	}
	return 0;
}

static int edu_dma(struct edu *e, uint64_t src, uint64_t dst, uint64_t cmd)
{
	int ret = wait_idle(e);

	if (ret)
		return ret;
	wr64(e, EDU_DMA_SRC, src);
	wr64(e, EDU_DMA_DST, dst);
	wr64(e, EDU_DMA_CNT, XFER);
	wr64(e, EDU_DMA_CMD, cmd | EDU_DMA_RUN);
	return wait_idle(e);
}

int edu_roundtrip(struct edu *e)
{
	uint64_t s = seed(), *a = (uint64_t *)e->page[0], *b = (uint64_t *)e->page[1];
	size_t n = XFER / sizeof(uint64_t), same = 0, untouched = 0;
	int ret;

	if (!edu_alive(e))
		return -ENODEV;
	for (size_t i = 0; i < n; i++) {
		a[i] = xorshift(&s);
		b[i] = 0x5a5a5a5a5a5a5a5aULL;
	}
	__sync_synchronize();
	ret = edu_dma(e, e->phys[0], EDU_BUF, 0);
	if (!ret)
		ret = edu_dma(e, EDU_BUF, e->phys[1], EDU_DMA_TO_RAM);
	if (ret) {
		printf("# edu: %s: DMA did not complete\n", e->bdf);
		return ret;
	}
	__sync_synchronize();
	if (phys_of(e->page[0]) != e->phys[0] || phys_of(e->page[1]) != e->phys[1]) {
		printf("# edu: a page moved during the DMA\n");
		return -EAGAIN;
	}
	for (size_t i = 0; i < n; i++) {
		same += ((volatile uint64_t *)b)[i] == a[i];
		untouched += ((volatile uint64_t *)b)[i] == 0x5a5a5a5a5a5a5a5aULL;
	}
	if (same == n)
		return EDU_LANDED;
	if (untouched == n)
		return EDU_BLOCKED;
	printf("# edu: %s: page B changed but holds %zu/%zu words of the pattern\n", e->bdf, same,
	       n);
	return EDU_GARBLED;
}

void edu_close(struct edu *e)
{
	char buf[16];

	if (e->bar) {
		wait_idle(e);
		munmap((void *)e->bar, e->bar_len);
	}
	if (e->cfg_fd >= 0) {
		if (pwrite(e->cfg_fd, &e->cmd_saved, 2, PCI_COMMAND) != 2)
			printf("# edu: cannot restore the command register of %s\n", e->bdf);
		close(e->cfg_fd);
	}
	for (int i = 0; i < e->nr_chunks; i++)
		munmap(e->chunks[i], e->chunk_len);
	if (e->compact_saved >= 0) {
		snprintf(buf, sizeof(buf), "%d", e->compact_saved);
		sysfs_write(COMPACT, buf);
	}
	memset(e, 0, sizeof(*e));
	e->cfg_fd = -1;
	e->compact_saved = -1;
}

int edu_witness(const char *bdf)
{
	static const char *const names[] = { "blocked", "landed", "garbled" };
	struct edu e;
	int ret;

	ret = edu_open(&e, bdf);
	if (ret) {
		printf("# edu witness %s: setup failed: %s\n", bdf, strerror(-ret));
		return ret;
	}
	ret = edu_roundtrip(&e);
	edu_close(&e);
	if (ret >= 0)
		printf("# edu witness %s: %s\n", bdf, names[ret]);
	return ret;
}
