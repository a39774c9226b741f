// SPDX-License-Identifier: GPL-2.0
/*
 * edu_witness - the VM tests' edu DMA witness (tests/lib/edu.c) as a command,
 * for tests/system/systest on the booted Debian system: one round trip RAM ->
 * edu -> RAM by the edu at BDF, from userspace, with no driver.
 *
 * usage: edu_witness BDF
 * Prints "# edu witness BDF: blocked|landed|garbled" (or why it cannot
 * work) and exits 0 blocked, 1 landed, 2 garbled, 3 unusable or an error.
 * It needs iommu=pt (an identity default domain: without dmaown the DMA
 * lands) and /etc/dmaown-topology for EDU_DMA_MASK.
 * scripts/check-system builds it static, with tests/lib.
 */
#include <stdio.h>

#include "lib/testlib.h"

int main(int argc, char **argv)
{
	const char *why;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: edu_witness BDF\n");
		return 3;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	why = witness_unusable(argv[1]);
	if (why) {
		printf("# edu witness %s: unusable: %s\n", argv[1], why);
		return 3;
	}
	ret = edu_witness(argv[1]);
	return ret >= 0 && ret <= EDU_GARBLED ? ret : 3;
}
