// SPDX-License-Identifier: GPL-2.0
/*
 * A group, as text and as JSON: the wording of states, holders, reasons and
 * verdicts that list, status and claim share.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmaownctl.h"
#include "json.h"

/* Print a string that came from the kernel or sysfs, with non-printables as '?'. */
void put_safe(FILE *f, const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = s[i];

		fputc(c >= 0x20 && c != 0x7f ? c : '?', f);
	}
}

/*
 * dmaown_group_status.out_group_flags: the JSON "reasons" strings (stable,
 * in bit order) and one text line per reason. The causes of a revoked claim
 * (member lost, driver slipped, guard disarmed) are told in its line.
 */
static const struct {
	__u32 bit;
	const char *key;
	const char *text;	/* NULL: part of the "Claim revoked" line */
} group_reasons[] = {
	{ DMAOWN_GROUP_REVOKED, "revoked", NULL },
	{ DMAOWN_GROUP_MEMBER_LOST, "member_lost",
	  "A member left the group while it was owned" },
	{ DMAOWN_GROUP_DRIVER_SLIPPED, "driver_slipped",
	  "Driver slipped past the guard: a driver that is not DMA-safe got bound (its DMA is blocked)",
	},
	{ DMAOWN_GROUP_GUARD_DISARMED, "guard_disarmed",
	  "Guard disarmed: kprobes were disabled while the group was owned" },
	{ DMAOWN_GROUP_WOUNDED, "wounded",
	  "Wounded: a member was removed; this kernel cannot move the others to a new domain until a device joins again (claims are refused)",
	},
	{ DMAOWN_GROUP_HELD, "held",
	  "Held by dmaown: blocked until a device rejoins the group or it empties" },
	{ DMAOWN_GROUP_RESV_DIRECT, "resv_direct",
	  "Firmware direct-mapped region (RMRR): claims are refused" },
	{ DMAOWN_GROUP_MEMBER_LEAVING, "member_leaving", "A member is being removed" },
	{ DMAOWN_GROUP_QUARANTINED, "quarantined",
	  "Quarantined: never back on its default domain while listed (dmaownctl quarantine list)" },
	{ DMAOWN_GROUP_ZERO_WINDOW, "zero_window",
	  "Hand-off to VFIO: zero-window (its default domain translates and maps nothing)" },
	{ DMAOWN_GROUP_HANDED_OFF, "handed_off",
	  "Handed to VFIO: vfio-pci is bound; dmaown takes it back when vfio-pci lets go" },
	{ DMAOWN_GROUP_HANDOFF_AT_ATTACH, "handoff_at_attach",
	  "Hand-off to VFIO: at VFIO's attach, bus mastering off (identity default domain, 5.10's shield)" },
};

#define REVOKE_CAUSES (DMAOWN_GROUP_MEMBER_LOST | DMAOWN_GROUP_DRIVER_SLIPPED | \
		       DMAOWN_GROUP_GUARD_DISARMED)

/*
 * Print one line per reason of @flags to @f, the first after @first, the
 * others after @prefix; nothing when @flags is 0.
 */
static void print_reasons(FILE *f, __u32 flags, const char *first, const char *prefix)
{
	static const struct {
		__u32 bit;
		const char *text;
	} causes[] = {
		{ DMAOWN_GROUP_MEMBER_LOST, "a member left the group" },
		{ DMAOWN_GROUP_DRIVER_SLIPPED, "a driver slipped past the guard" },
		{ DMAOWN_GROUP_GUARD_DISARMED, "the guard was disarmed" },
	};
	/* Text order: what happened to a claim, then why claims are refused. */
	static const __u32 order[] = {
		DMAOWN_GROUP_REVOKED, DMAOWN_GROUP_HELD, DMAOWN_GROUP_WOUNDED,
		DMAOWN_GROUP_RESV_DIRECT, DMAOWN_GROUP_MEMBER_LEAVING, DMAOWN_GROUP_MEMBER_LOST,
		DMAOWN_GROUP_GUARD_DISARMED, DMAOWN_GROUP_DRIVER_SLIPPED, DMAOWN_GROUP_QUARANTINED,
		DMAOWN_GROUP_HANDED_OFF, DMAOWN_GROUP_ZERO_WINDOW, DMAOWN_GROUP_HANDOFF_AT_ATTACH,
	};
	__u32 known = 0, bit;
	size_t i, k, nc;
	bool line = false;

	for (i = 0; i < ARRAY_SIZE(group_reasons); i++)
		known |= group_reasons[i].bit;
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		bit = order[i];
		if (!(flags & bit))
			continue;
		if ((bit & REVOKE_CAUSES) && (flags & DMAOWN_GROUP_REVOKED))
			continue;	/* told in the revoked line */
		fputs(line ? prefix : first, f);
		line = true;
		if (bit == DMAOWN_GROUP_REVOKED) {
			fputs("Claim revoked", f);
			for (k = 0, nc = 0; k < ARRAY_SIZE(causes); k++) {
				if (!(flags & causes[k].bit))
					continue;
				fputs(nc++ ? " and " : ": ", f);
				fputs(causes[k].text, f);
			}
			fputs(" (the group stays blocked until released)\n", f);
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(group_reasons); k++)
			if (group_reasons[k].bit == bit)
				fprintf(f, "%s\n", group_reasons[k].text);
	}
	if ((flags & DMAOWN_GROUP_QUARANTINED) &&
	    !(flags & (DMAOWN_GROUP_ZERO_WINDOW | DMAOWN_GROUP_HANDOFF_AT_ATTACH)))
		fprintf(f, "%sHand-off to VFIO: with a DMA window (identity default domain): only with dmaown.handoff_window=1\n",
			prefix);
	if (flags & ~known)
		fprintf(f, "%sOther reasons: 0x%x\n", line ? prefix : first, flags & ~known);
}

/*
 * "held by qemu[1234] through /dev/dmaown", "held by dmaown" (a group dmaown
 * holds itself, DMAOWN_GROUP_HELD, has no owner pid) or the kernel-owner
 * wording.
 */
void holder_text(const struct gstat *g, char *buf, size_t len)
{
	char comm[DMAOWN_COMM_LEN + 1];
	size_t i;

	if (g->st.out_owner_pid) {
		memcpy(comm, g->st.out_owner_comm, DMAOWN_COMM_LEN);
		comm[DMAOWN_COMM_LEN] = 0;
		for (i = 0; comm[i]; i++)
			if ((unsigned char)comm[i] < 0x20 || comm[i] == 0x7f)
				comm[i] = '?';
		snprintf(buf, len, "held by %s[%u] through %s", comm[0] ? comm : "?",
			 g->st.out_owner_pid, DMAOWN_NODE);
	} else if ((g->st.out_group_flags & DMAOWN_GROUP_HELD) &&
		   (g->st.out_group_flags & DMAOWN_GROUP_QUARANTINED)) {
		snprintf(buf, len, "held by the quarantine");
	} else if (g->st.out_group_flags & DMAOWN_GROUP_HELD) {
		snprintf(buf, len, "held by dmaown");
	} else {
		snprintf(buf, len, "held by another kernel owner (VFIO/iommufd)");
	}
}

/*
 * Is @d a reason the group is not viable? The module flags such devices with
 * DMAOWN_DEVICE_BLOCKS_CLAIM; if it flags none, a bound driver that is not
 * DMA-safe is.
 */
bool dev_blocks(const struct gstat *g, const struct dmaown_device_info *d)
{
	unsigned int i;

	if (g->st.out_viable)
		return false;
	for (i = 0; i < g->n; i++)
		if (g->dev[i].flags & DMAOWN_DEVICE_BLOCKS_CLAIM)
			return !!(d->flags & DMAOWN_DEVICE_BLOCKS_CLAIM);
	return d->driver[0] && !(d->flags & DMAOWN_DEVICE_DMA_SAFE);
}

/*
 * One line saying why a group is not viable, e.g.
 * "0000:00:1f.2 is bound to ahci, which is not DMA-safe". Caller frees.
 */
char *viability_reason(const struct gstat *g)
{
	unsigned int i, nb = 0, k = 0, nodrv = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	for (i = 0; i < g->n; i++) {
		if (!dev_blocks(g, &g->dev[i]))
			continue;
		if (g->dev[i].driver[0])
			nb++;
		else
			nodrv++;
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		err("out of memory");
		exit(XC_FAIL);
	}
	/* "A is bound to a, B to b and C to c, which are not DMA-safe" */
	for (i = 0; i < g->n; i++) {
		const struct dmaown_device_info *d = &g->dev[i];

		if (!dev_blocks(g, d) || !d->driver[0])
			continue;
		if (k)
			fputs(k == nb - 1 ? " and " : ", ", f);
		put_safe(f, d->name, sizeof(d->name));
		fputs(k ? " to " : " is bound to ", f);
		put_safe(f, d->driver, sizeof(d->driver));
		k++;
	}
	if (nb)
		fputs(nb == 1 ? ", which is not DMA-safe" : ", which are not DMA-safe", f);
	/* Driver-less devices the module names (not expected, but say so). */
	k = 0;
	for (i = 0; i < g->n; i++) {
		const struct dmaown_device_info *d = &g->dev[i];

		if (!dev_blocks(g, d) || d->driver[0])
			continue;
		fputs(nb || k ? "; " : "", f);
		put_safe(f, d->name, sizeof(d->name));
		fputs(" blocks the claim", f);
		k++;
	}
	if (!nb && !nodrv)
		fputs("the module reports the group not viable without naming a device", f);
	fclose(f);
	return buf;
}

static void print_device_text(const struct gstat *g, const struct dmaown_device_info *d,
			      const char *mark)
{
	char bus[DMAOWN_BUS_LEN + 1], name[DMAOWN_NAME_LEN + 1];
	struct pci_names p;

	field_copy(bus, sizeof(bus), d->bus, sizeof(d->bus));
	field_copy(name, sizeof(name), d->name, sizeof(d->name));
	printf("    %s", mark);
	if (strcmp(bus, "pci") && bus[0]) {
		put_safe(stdout, bus, sizeof(bus));
		putchar(':');
	}
	put_safe(stdout, name, sizeof(name));
	/* As lspci -nn -D prints it: the slot, then the same line. */
	if (pci_names_read(bus[0] ? bus : "pci", name, &p)) {
		putchar(' ');
		put_safe(stdout, p.terse, sizeof(p.terse));
	}
	putchar('\n');
	printf("        Kernel driver in use: ");
	if (d->driver[0]) {
		put_safe(stdout, d->driver, sizeof(d->driver));
		if (dev_blocks(g, d))
			printf(" (not DMA-safe: blocks a claim)");
		else if (!(d->flags & DMAOWN_DEVICE_DMA_SAFE))
			printf(" (not DMA-safe)");
		else
			printf(" (DMA-safe)");
	} else {
		printf("none");
		if (dev_blocks(g, d))
			printf(" (blocks a claim)");
	}
	putchar('\n');
	if (d->flags & DMAOWN_DEVICE_NEEDS_RESCAN)
		printf("        Joined its group while owned: %s\n",
		       "kernel drivers are refused until it is removed and rescanned");
}

/* "free", "owned by this process" or "busy: held by ..." */
static void state_text(const struct gstat *g, char *buf, size_t len)
{
	char holder[128];

	if (g->st.out_state == DMAOWN_STATE_BUSY) {
		holder_text(g, holder, sizeof(holder));
		snprintf(buf, len, "busy (%s)", holder);
	} else {
		snprintf(buf, len, "%s", state_name(g->st.out_state));
	}
}

void print_group_list_text(const struct gstat *g)
{
	char state[192];
	unsigned int i;
	char *why;

	state_text(g, state, sizeof(state));
	printf("Group %u: %s, %s, %s domain, %s\n", g->id, state,
	       g->st.out_viable ? "viable" : "not viable", domain_name(g->st.out_domain),
	       g->st.out_msi_isolated ? "MSI isolated" : "MSI not isolated");
	for (i = 0; i < g->n; i++)
		print_device_text(g, &g->dev[i], "");
	if (!g->st.out_viable) {
		why = viability_reason(g);
		printf("    Not viable: %s\n", why);
		free(why);
	}
	print_reasons(stdout, g->st.out_group_flags, "    ", "    ");
}

/* "cannot be claimed until A and B are unbound (or bound to vfio-pci)" */
static void print_unbind_hint(const struct gstat *g)
{
	unsigned int i, nb = 0, k = 0;

	for (i = 0; i < g->n; i++)
		if (dev_blocks(g, &g->dev[i]) && g->dev[i].driver[0])
			nb++;
	if (!nb) {
		printf("cannot be claimed (see Viable)\n");
		return;
	}
	printf("cannot be claimed until ");
	for (i = 0; i < g->n; i++) {
		const struct dmaown_device_info *d = &g->dev[i];

		if (!dev_blocks(g, d) || !d->driver[0])
			continue;
		if (k)
			fputs(k == nb - 1 ? " and " : ", ", stdout);
		put_safe(stdout, d->name, sizeof(d->name));
		k++;
	}
	printf(" %s unbound (or bound to vfio-pci)\n", nb == 1 ? "is" : "are");
}

void print_group_status_text(const struct gstat *g, const struct target *t)
{
	char state[192], holder[128];
	unsigned int i;
	char *why = NULL;

	if (!g->st.out_viable)
		why = viability_reason(g);
	state_text(g, state, sizeof(state));
	printf("Group %u (%u device%s)\n", g->id, g->st.out_nr_devices,
	       g->st.out_nr_devices == 1 ? "" : "s");
	printf("  State:       %s\n", state);
	printf("  Domain:      %s\n", domain_name(g->st.out_domain));
	printf("  Interrupts:  %s\n", g->st.out_msi_isolated ?
	       "isolated (interrupt remapping)" :
	       "NOT isolated: no interrupt remapping, a device could forge MSIs");
	printf("  Viable:      %s%s\n", g->st.out_viable ? "yes" : "no: ", why ? why : "");
	print_reasons(stdout, g->st.out_group_flags, "  Reasons:     ", "               ");
	printf("  Devices:\n");
	for (i = 0; i < g->n; i++) {
		const struct dmaown_device_info *d = &g->dev[i];
		bool me = t && t->is_device && !strncmp(d->name, t->name, sizeof(d->name));

		print_device_text(g, d, me ? "* " : "");
	}
	if (g->n < g->st.out_nr_devices)
		printf("    (%u more not reported)\n", g->st.out_nr_devices - g->n);
	printf("  Verdict:     ");
	if (g->st.out_state == DMAOWN_STATE_BUSY) {
		holder_text(g, holder, sizeof(holder));
		printf("cannot be claimed now: %s\n", holder);
	} else if (g->st.out_state == DMAOWN_STATE_OWNED) {
		printf("owned by this file\n");
	} else if (g->st.out_group_flags & REFUSING_FLAGS) {
		printf("cannot be claimed now (see Reasons)\n");
	} else if (!g->st.out_viable) {
		print_unbind_hint(g);
	} else {
		printf("can be claimed%s\n", g->st.out_msi_isolated ? "" :
		       " (but interrupts are not isolated)");
	}
	free(why);
}

void json_group(struct json *j, const char *key, const struct gstat *g)
{
	struct pci_names p;
	unsigned int i;
	char buf[16];
	char *why;

	json_open(j, key, '{');
	json_uint(j, "id", g->id);
	json_str(j, "state", state_name(g->st.out_state), SIZE_MAX);
	if (g->st.out_state == DMAOWN_STATE_BUSY) {
		json_open(j, "owner", '{');
		if (g->st.out_owner_pid) {
			json_str(j, "kind", "dmaown", SIZE_MAX);
			json_uint(j, "pid", g->st.out_owner_pid);
			json_str(j, "comm", g->st.out_owner_comm, sizeof(g->st.out_owner_comm));
		} else {
			json_str(j, "kind", "kernel", SIZE_MAX);
			json_null(j, "pid");
			json_null(j, "comm");
		}
		json_close(j, '}');
	} else {
		json_null(j, "owner");
	}
	json_str(j, "domain", domain_name(g->st.out_domain), SIZE_MAX);
	json_bool(j, "viable", g->st.out_viable);
	if (g->st.out_viable) {
		json_null(j, "reason");
	} else {
		why = viability_reason(g);
		json_str(j, "reason", why, SIZE_MAX);
		free(why);
	}
	json_open(j, "reasons", '[');
	for (i = 0; i < ARRAY_SIZE(group_reasons); i++)
		if (g->st.out_group_flags & group_reasons[i].bit)
			json_str(j, NULL, group_reasons[i].key, SIZE_MAX);
	json_close(j, ']');
	json_bool(j, "msi_isolated", g->st.out_msi_isolated);
	json_uint(j, "nr_devices", g->st.out_nr_devices);
	json_open(j, "blockers", '[');
	for (i = 0; i < g->n; i++)
		if (dev_blocks(g, &g->dev[i]))
			json_str(j, NULL, g->dev[i].name, sizeof(g->dev[i].name));
	json_close(j, ']');
	json_open(j, "devices", '[');
	for (i = 0; i < g->n; i++) {
		const struct dmaown_device_info *d = &g->dev[i];
		char bus[DMAOWN_BUS_LEN + 1], name[DMAOWN_NAME_LEN + 1];

		field_copy(bus, sizeof(bus), d->bus, sizeof(d->bus));
		field_copy(name, sizeof(name), d->name, sizeof(d->name));
		json_open(j, NULL, '{');
		json_str(j, "name", name, SIZE_MAX);
		json_str(j, "bus", bus, SIZE_MAX);
		json_str_or_null(j, "driver", d->driver, sizeof(d->driver));
		json_bool(j, "dma_safe", d->flags & DMAOWN_DEVICE_DMA_SAFE);
		json_bool(j, "blocks_claim", dev_blocks(g, d));
		json_bool(j, "needs_rescan", d->flags & DMAOWN_DEVICE_NEEDS_RESCAN);
		json_bool(j, "quarantined", d->flags & DMAOWN_DEVICE_QUARANTINED);
		if (pci_names_read(bus[0] ? bus : "pci", name, &p)) {
			snprintf(buf, sizeof(buf), "%06x", p.class);
			json_str(j, "class", buf, SIZE_MAX);
			json_str_or_null(j, "class_name", p.class_name, SIZE_MAX);
			snprintf(buf, sizeof(buf), "%04x", p.vendor);
			json_str(j, "vendor_id", buf, SIZE_MAX);
			snprintf(buf, sizeof(buf), "%04x", p.device);
			json_str(j, "device_id", buf, SIZE_MAX);
			json_str_or_null(j, "vendor_name", p.vendor_name, SIZE_MAX);
			json_str_or_null(j, "device_name", p.device_name, SIZE_MAX);
		} else {
			json_null(j, "class");
			json_null(j, "class_name");
			json_null(j, "vendor_id");
			json_null(j, "device_id");
			json_null(j, "vendor_name");
			json_null(j, "device_name");
		}
		json_close(j, '}');
	}
	json_close(j, ']');
	json_close(j, '}');
}

/*
 * Why a claim of a group that may look viable is refused now: its
 * REFUSING_FLAGS, one text each, "; "-separated. Caller frees.
 */
char *refusal_text(const struct gstat *g)
{
	char *why;
	size_t len, i;
	FILE *f;

	f = xmemstream(&why, &len);
	for (i = 0; i < ARRAY_SIZE(group_reasons); i++)
		if (g->st.out_group_flags & REFUSING_FLAGS & group_reasons[i].bit)
			fprintf(f, "%s%s", ftell(f) ? "; " : "", group_reasons[i].text);
	fclose(f);
	return why;
}
