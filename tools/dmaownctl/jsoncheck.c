// SPDX-License-Identifier: GPL-2.0
/*
 * jsoncheck: a strict JSON (RFC 8259) parser for shell tests, where busybox
 * has none. Reads one JSON text from standard input.
 *
 *   jsoncheck              validate only
 *   jsoncheck -f           print every value as PATH=VALUE, one per line
 *   jsoncheck PATH...      print the value at each PATH
 *   jsoncheck -n PATH      print the number of members/elements at PATH
 *   jsoncheck -k PATH      print the keys of the object at PATH, one a line
 *   jsoncheck -t PATH      print the type at PATH
 *                          (object array string number true false null)
 *
 * PATH is "." for the root, then ".key" and "[index]" steps, e.g.
 * .groups[0].devices[1].name. With -f, strings are printed in double quotes
 * with '"', '\' and control characters escaped; scalars stand alone; empty
 * containers print as {} and []. A PATH query prints a string's decoded
 * bytes without quotes (control characters as \n, \t, \uXXXX).
 *
 * Exit codes: 0 ok; 1 the input is not valid JSON (with a message naming the
 * offset); 2 usage; 3 a PATH does not exist or has the wrong type.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum type { T_OBJECT, T_ARRAY, T_STRING, T_NUMBER, T_TRUE, T_FALSE, T_NULL };

static const char *const type_names[] = {
	"object", "array", "string", "number", "true", "false", "null",
};

struct node {
	enum type type;
	char *key;		/* member name (decoded), in an object */
	size_t key_len;
	char *val;		/* string (decoded) or number text */
	size_t val_len;
	struct node **kids;
	size_t nkids, cap;
};

struct parser {
	const unsigned char *s;
	size_t len, pos;
	int depth;
	const char *error;
};

#define MAX_DEPTH 256

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "jsoncheck: out of memory\n");
		exit(1);
	}
	return p;
}

static void fail(struct parser *p, const char *msg)
{
	if (!p->error)
		p->error = msg;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool read_u4(struct parser *p, unsigned int *v)
{
	int i, h;

	if (p->pos + 4 > p->len)
		return false;
	*v = 0;
	for (i = 0; i < 4; i++) {
		h = hexval(p->s[p->pos + i]);
		if (h < 0)
			return false;
		*v = (*v << 4) | (unsigned int)h;
	}
	p->pos += 4;
	return true;
}

static void put_utf8(char **buf, size_t *len, size_t *cap, uint32_t cp)
{
	unsigned char b[4];
	size_t n, i;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = 0xc0 | (cp >> 6);
		b[1] = 0x80 | (cp & 0x3f);
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = 0xe0 | (cp >> 12);
		b[1] = 0x80 | ((cp >> 6) & 0x3f);
		b[2] = 0x80 | (cp & 0x3f);
		n = 3;
	} else {
		b[0] = 0xf0 | (cp >> 18);
		b[1] = 0x80 | ((cp >> 12) & 0x3f);
		b[2] = 0x80 | ((cp >> 6) & 0x3f);
		b[3] = 0x80 | (cp & 0x3f);
		n = 4;
	}
	if (*len + n + 1 > *cap) {
		*cap = (*cap + n + 1) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	for (i = 0; i < n; i++)
		(*buf)[(*len)++] = (char)b[i];
	(*buf)[*len] = 0;
}

/* Length of a valid UTF-8 sequence at @s, or 0. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *out)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80) {
		*out = s[0];
		return 1;
	}
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
	*out = cp;
	return len;
}

/* A string at p->pos (on the opening quote); decoded into *out. */
static bool parse_string(struct parser *p, char **out, size_t *out_len)
{
	size_t len = 0, cap = 16, l;
	char *buf = xrealloc(NULL, cap);
	unsigned int u, lo;
	uint32_t cp;

	buf[0] = 0;
	p->pos++;
	for (;;) {
		if (p->pos >= p->len) {
			fail(p, "unterminated string");
			goto bad;
		}
		unsigned char c = p->s[p->pos];

		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			fail(p, "control character in string");
			goto bad;
		}
		if (c == '\\') {
			if (++p->pos >= p->len) {
				fail(p, "unterminated escape");
				goto bad;
			}
			c = p->s[p->pos++];
			switch (c) {
			case '"':
			case '\\':
			case '/':
				cp = c;
				break;
			case 'b':
				cp = '\b';
				break;
			case 'f':
				cp = '\f';
				break;
			case 'n':
				cp = '\n';
				break;
			case 'r':
				cp = '\r';
				break;
			case 't':
				cp = '\t';
				break;
			case 'u':
				if (!read_u4(p, &u)) {
					fail(p, "bad \\u escape");
					goto bad;
				}
				cp = u;
				if (u >= 0xd800 && u <= 0xdbff) {
					if (p->pos + 2 > p->len || p->s[p->pos] != '\\' ||
					    p->s[p->pos + 1] != 'u') {
						fail(p, "lone high surrogate");
						goto bad;
					}
					p->pos += 2;
					if (!read_u4(p, &lo) || lo < 0xdc00 || lo > 0xdfff) {
						fail(p, "bad low surrogate");
						goto bad;
					}
					cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				} else if (u >= 0xdc00 && u <= 0xdfff) {
					fail(p, "lone low surrogate");
					goto bad;
				}
				break;
			default:
				p->pos--;
				fail(p, "bad escape");
				goto bad;
			}
			put_utf8(&buf, &len, &cap, cp);
			continue;
		}
		l = utf8_len(p->s + p->pos, p->len - p->pos, &cp);
		if (!l) {
			fail(p, "invalid UTF-8 in string");
			goto bad;
		}
		p->pos += l;
		put_utf8(&buf, &len, &cap, cp);
	}
	*out = buf;
	*out_len = len;
	return true;
bad:
	free(buf);
	return false;
}

static bool is_digit(struct parser *p)
{
	return p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

static bool parse_number(struct parser *p, struct node *n)
{
	size_t start = p->pos;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (!is_digit(p)) {
		fail(p, "bad number");
		return false;
	}
	if (p->s[p->pos] == '0') {
		p->pos++;
	} else {
		while (is_digit(p))
			p->pos++;
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (!is_digit(p)) {
			fail(p, "bad fraction");
			return false;
		}
		while (is_digit(p))
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!is_digit(p)) {
			fail(p, "bad exponent");
			return false;
		}
		while (is_digit(p))
			p->pos++;
	}
	n->type = T_NUMBER;
	n->val_len = p->pos - start;
	n->val = xrealloc(NULL, n->val_len + 1);
	memcpy(n->val, p->s + start, n->val_len);
	n->val[n->val_len] = 0;
	return true;
}

static bool literal(struct parser *p, const char *word)
{
	size_t l = strlen(word);

	if (p->pos + l > p->len || memcmp(p->s + p->pos, word, l)) {
		fail(p, "unexpected token");
		return false;
	}
	p->pos += l;
	return true;
}

static void add_kid(struct node *n, struct node *k)
{
	if (n->nkids == n->cap) {
		n->cap = n->cap ? 2 * n->cap : 4;
		n->kids = xrealloc(n->kids, n->cap * sizeof(*n->kids));
	}
	n->kids[n->nkids++] = k;
}

static struct node *parse_value(struct parser *p);

static bool parse_container(struct parser *p, struct node *n, bool object)
{
	char close = object ? '}' : ']';
	struct node *k;
	char *key;
	size_t key_len, i;

	n->type = object ? T_OBJECT : T_ARRAY;
	if (++p->depth > MAX_DEPTH) {
		fail(p, "nested too deep");
		return false;
	}
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		p->depth--;
		return true;
	}
	for (;;) {
		key = NULL;
		key_len = 0;
		if (object) {
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != '"') {
				fail(p, "expected a member name");
				return false;
			}
			if (!parse_string(p, &key, &key_len))
				return false;
			for (i = 0; i < n->nkids; i++) {
				if (n->kids[i]->key_len == key_len &&
				    !memcmp(n->kids[i]->key, key, key_len)) {
					fail(p, "duplicate member name");
					free(key);
					return false;
				}
			}
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				fail(p, "expected ':'");
				free(key);
				return false;
			}
			p->pos++;
		}
		k = parse_value(p);
		if (!k) {
			free(key);
			return false;
		}
		k->key = key;
		k->key_len = key_len;
		add_kid(n, k);
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			p->depth--;
			return true;
		}
		fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
		return false;
	}
}

static struct node *parse_value(struct parser *p)
{
	struct node *n = xrealloc(NULL, sizeof(*n));
	bool ok;

	memset(n, 0, sizeof(*n));
	skip_ws(p);
	if (p->pos >= p->len) {
		fail(p, "unexpected end of input");
		return NULL;
	}
	switch (p->s[p->pos]) {
	case '{':
		ok = parse_container(p, n, true);
		break;
	case '[':
		ok = parse_container(p, n, false);
		break;
	case '"':
		n->type = T_STRING;
		ok = parse_string(p, &n->val, &n->val_len);
		break;
	case 't':
		n->type = T_TRUE;
		ok = literal(p, "true");
		break;
	case 'f':
		n->type = T_FALSE;
		ok = literal(p, "false");
		break;
	case 'n':
		n->type = T_NULL;
		ok = literal(p, "null");
		break;
	default:
		ok = parse_number(p, n);
		break;
	}
	return ok ? n : NULL;	/* the tree is leaked on error: we exit */
}

/* Print @s (length @n), escaping for one output line; quoted for -f. */
static void print_str(const char *s, size_t n, bool quoted)
{
	size_t i;

	if (quoted)
		putchar('"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c == '\r')
			fputs("\\r", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else if (quoted && (c == '"' || c == '\\'))
			printf("\\%c", c);
		else
			putchar(c);
	}
	if (quoted)
		putchar('"');
}

static void print_scalar(const struct node *n, bool quoted)
{
	switch (n->type) {
	case T_STRING:
		print_str(n->val, n->val_len, quoted);
		break;
	case T_NUMBER:
		fputs(n->val, stdout);
		break;
	case T_OBJECT:
		fputs(n->nkids ? "{...}" : "{}", stdout);
		break;
	case T_ARRAY:
		fputs(n->nkids ? "[...]" : "[]", stdout);
		break;
	default:
		fputs(type_names[n->type], stdout);
	}
}

static void flatten(const struct node *n, char *path, size_t len, size_t cap)
{
	size_t i, l;

	if ((n->type == T_OBJECT || n->type == T_ARRAY) && n->nkids) {
		for (i = 0; i < n->nkids; i++) {
			const struct node *k = n->kids[i];

			if (n->type == T_OBJECT)
				l = (size_t)snprintf(path + len, cap - len, ".%.*s",
						     (int)k->key_len, k->key);
			else
				l = (size_t)snprintf(path + len, cap - len, "[%zu]", i);
			if (len + l >= cap) {
				fprintf(stderr, "jsoncheck: path too long\n");
				exit(1);
			}
			flatten(k, path, len + l, cap);
			path[len] = 0;
		}
		return;
	}
	fputs(len ? path : ".", stdout);
	putchar('=');
	print_scalar(n, true);
	putchar('\n');
}

/* Walk PATH from @root; NULL if it does not exist. */
static const struct node *lookup(const struct node *root, const char *path)
{
	const struct node *n = root;
	const char *s = path, *e;
	size_t i, l;
	char *end;
	unsigned long idx;

	if (!strcmp(s, "."))
		return root;
	while (*s) {
		if (*s == '.') {
			s++;
			for (e = s; *e && *e != '.' && *e != '['; e++)
				;
			l = (size_t)(e - s);
			if (n->type != T_OBJECT || !l)
				return NULL;
			for (i = 0; i < n->nkids; i++)
				if (n->kids[i]->key_len == l && !memcmp(n->kids[i]->key, s, l))
					break;
			if (i == n->nkids)
				return NULL;
			n = n->kids[i];
			s = e;
		} else if (*s == '[') {
			errno = 0;
			idx = strtoul(s + 1, &end, 10);
			if (errno || end == s + 1 || *end != ']' || n->type != T_ARRAY ||
			    idx >= n->nkids)
				return NULL;
			n = n->kids[idx];
			s = end + 1;
		} else {
			return NULL;
		}
	}
	return n;
}

static void usage(FILE *f)
{
	fputs("Usage: jsoncheck [-f | PATH... | -n PATH | -k PATH | -t PATH] < FILE\n", f);
}

int main(int argc, char **argv)
{
	struct parser p = { 0 };
	const struct node *root, *n;
	size_t cap = 1 << 16, len = 0, r, i, line, col;
	unsigned char *buf = xrealloc(NULL, cap);
	char path[4096];
	int a, ret = 0;
	char mode = 0;

	if (argc > 1 && argv[1][0] == '-' && argv[1][1] && !argv[1][2] &&
	    strchr("fnkth", argv[1][1])) {
		mode = argv[1][1];
		if (mode == 'h') {
			usage(stdout);
			return 0;
		}
		if ((mode == 'f' && argc != 2) || (mode != 'f' && argc != 3)) {
			usage(stderr);
			return 2;
		}
	} else if (argc > 1 && argv[1][0] == '-') {
		usage(stderr);
		return 2;
	}
	while ((r = fread(buf + len, 1, cap - len, stdin)) > 0) {
		len += r;
		if (len == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	if (ferror(stdin)) {
		perror("jsoncheck: stdin");
		return 1;
	}
	p.s = buf;
	p.len = len;
	root = parse_value(&p);
	if (root) {
		skip_ws(&p);
		if (p.pos != p.len)
			fail(&p, "trailing characters after the JSON text");
	}
	if (p.error) {
		for (i = 0, line = 1, col = 1; i < p.pos && i < len; i++, col++)
			if (buf[i] == '\n') {
				line++;
				col = 0;
			}
		fprintf(stderr, "jsoncheck: invalid JSON at offset %zu (line %zu, column %zu): ",
			p.pos, line, col);
		fprintf(stderr, "%s\n", p.error);
		return 1;
	}
	switch (mode) {
	case 'f':
		path[0] = 0;
		flatten(root, path, 0, sizeof(path));
		return 0;
	case 'n':
	case 'k':
	case 't':
		n = lookup(root, argv[2]);
		if (!n) {
			fprintf(stderr, "jsoncheck: no such path: %s\n", argv[2]);
			return 3;
		}
		if (mode == 't') {
			puts(type_names[n->type]);
			return 0;
		}
		if (n->type != T_OBJECT && (mode == 'k' || n->type != T_ARRAY)) {
			fprintf(stderr, "jsoncheck: %s is a %s\n", argv[2], type_names[n->type]);
			return 3;
		}
		if (mode == 'n') {
			printf("%zu\n", n->nkids);
			return 0;
		}
		for (i = 0; i < n->nkids; i++) {
			print_str(n->kids[i]->key, n->kids[i]->key_len, false);
			putchar('\n');
		}
		return 0;
	}
	for (a = 1; a < argc; a++) {
		n = lookup(root, argv[a]);
		if (!n) {
			fprintf(stderr, "jsoncheck: no such path: %s\n", argv[a]);
			ret = 3;
			continue;
		}
		print_scalar(n, false);
		putchar('\n');
	}
	return ret;
}
