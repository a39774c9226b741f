/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer: pretty-printed (two spaces) or compact
 * (one line per top-level value), RFC 8259
 * string escaping, invalid UTF-8 written as U+FFFD. It has no other
 * dependency than stdio, so that tests/ can test it on the host.
 */
#ifndef DMAOWNCTL_JSON_H
#define DMAOWNCTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *f;
	bool compact;	/* one line per top-level value (JSON lines) */
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
};

/* @key is NULL for an array element or for the top-level value. */
void json_open(struct json *j, const char *key, char c);	/* '{' or '[' */
void json_close(struct json *j, char c);			/* '}' or ']' */
void json_str(struct json *j, const char *key, const char *s, size_t max);
void json_str_or_null(struct json *j, const char *key, const char *s, size_t max);
void json_uint(struct json *j, const char *key, unsigned long long v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
void json_string(FILE *f, const char *s, size_t max);

#endif /* DMAOWNCTL_JSON_H */
