// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of the JSON writer: one object with the strings that are
 * hard to get right (quotes, backslashes, control characters, DEL, UTF-8,
 * bytes that are not UTF-8, a field without its NUL), for json_test.sh to
 * parse with jq and check byte by byte.
 */
#include <stdint.h>
#include <string.h>

#include "../json.h"

int main(void)
{
	static const char nonul[4] = { 'a', 'b', 'c', 'd' };	/* no NUL: max 3 */
	struct json j = { .f = stdout };

	json_open(&j, NULL, '{');
	json_str(&j, "quote", "a\"b", SIZE_MAX);
	json_str(&j, "backslash", "c:\\dir\\", SIZE_MAX);
	json_str(&j, "controls", "\b\f\n\r\t\x01\x1f\x7f", SIZE_MAX);
	json_str(&j, "slash", "a/b", SIZE_MAX);
	json_str(&j, "utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", SIZE_MAX);
	json_str(&j, "latin1", "caf\xe9", SIZE_MAX);
	json_str(&j, "invalid", "\xff|\xc3|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82",
		 SIZE_MAX);
	json_str(&j, "cut", nonul, 3);
	json_str(&j, "driver \"x\"\\", "e1000\"\\\xff", SIZE_MAX);
	json_str_or_null(&j, "empty", "", SIZE_MAX);
	json_str_or_null(&j, "none", NULL, SIZE_MAX);
	json_uint(&j, "max", UINT32_MAX);
	json_bool(&j, "yes", true);
	json_bool(&j, "no", false);
	json_null(&j, "null");
	json_open(&j, "empty_array", '[');
	json_close(&j, ']');
	json_open(&j, "empty_object", '{');
	json_close(&j, '}');
	json_open(&j, "array", '[');
	json_str(&j, NULL, "x", SIZE_MAX);
	json_open(&j, NULL, '{');
	json_uint(&j, "n", 0);
	json_close(&j, '}');
	json_close(&j, ']');
	json_close(&j, '}');
	return 0;
}
