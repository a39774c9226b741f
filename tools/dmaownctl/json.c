// SPDX-License-Identifier: GPL-2.0
/*
 * dmaownctl's JSON writer (see json.h). Kept by hand rather than json-c:
 * json-c writes bytes that are not valid UTF-8 as they are (not RFC 8259),
 * so this UTF-8 check would stay anyway, and the rest is a hundred lines.
 */
#include <stdint.h>
#include <string.h>

#include "json.h"

static void json_indent(struct json *j)
{
	int i;

	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Length of the valid UTF-8 sequence at @s (of at most @n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Write @s (at most @max bytes) as a JSON string; invalid UTF-8 becomes U+FFFD. */
void json_string(FILE *f, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max), i = 0, l;

	fputc('"', f);
	while (i < n) {
		unsigned char c = p[i];

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				fprintf(f, "\\u%04x", c);
			} else if (c < 0x80) {
				fputc(c, f);
			} else {
				l = utf8_len(p + i, n - i);
				if (!l) {
					fputs("\\ufffd", f);
					break;
				}
				fwrite(p + i, 1, l, f);
				i += l;
				continue;
			}
		}
		i++;
	}
	fputc('"', f);
}

static void json_key(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (j->depth && !j->compact)
		json_indent(j);
	if (key) {
		json_string(j->f, key, SIZE_MAX);
		fputs(": ", j->f);
	}
}

void json_open(struct json *j, const char *key, char c)
{
	json_key(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = false;
}

void json_close(struct json *j, char c)
{
	bool empty = !j->need_comma[j->depth];

	if (j->depth)
		j->depth--;
	if (!empty && !j->compact)
		json_indent(j);
	fputc(c, j->f);
	if (!j->depth)
		fputc('\n', j->f);
}

void json_str(struct json *j, const char *key, const char *s, size_t max)
{
	json_key(j, key);
	json_string(j->f, s, max);
}

/* A string, or null when it is empty or NULL. */
void json_str_or_null(struct json *j, const char *key, const char *s, size_t max)
{
	json_key(j, key);
	if (s && s[0])
		json_string(j->f, s, max);
	else
		fputs("null", j->f);
}

void json_uint(struct json *j, const char *key, unsigned long long v)
{
	json_key(j, key);
	fprintf(j->f, "%llu", v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->f);
}
