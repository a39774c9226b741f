#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: json_test.sh JSON_TEST
#
# The JSON writer's output (test/json_test.c), parsed by jq: every value as
# written, and the bytes themselves: valid UTF-8, no raw control character,
# bytes that are not UTF-8 as \ufffd escapes, '/' not escaped.
set -euo pipefail
prog=${1:?usage: json_test.sh JSON_TEST}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v jq > /dev/null || { echo "json_test: jq missing (apt-get install jq)" >&2; exit 1; }

"$prog" > "$tmp/out"
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
# check NAME JQ-FILTER: the filter, on the output, prints true.
check() {
	if [ "$(jq -r "$2" "$tmp/out" 2>&1)" = true ]; then ok "$1"; else bad "$1: $2"; fi
}

if jq -e -s 'length == 1' "$tmp/out" > /dev/null; then ok "one JSON text"; else bad "one JSON text"; fi
check quote '.quote == "a\"b"'
check backslash '.backslash == "c:\\dir\\"'
check controls '.controls == "\b\f\n\r\t\u0001\u001f\u007f"'
check slash '.slash == "a/b"'
check utf8 '.utf8 == "caf\u00e9 \u20ac \ud83d\ude00"'
check latin1 '.latin1 == "caf\ufffd"'
check invalid '.invalid == "\ufffd|\ufffd|\ufffd\ufffd|\ufffd\ufffd\ufffd|\ufffd\ufffd\ufffd\ufffd|\ufffd\ufffd"'
check "field without NUL" '.cut == "abc"'
check "escaped key" '."driver \"x\"\\" == "e1000\"\\\ufffd"'
check "empty string is null" '.empty == null and .none == null and .null == null'
check numbers '.max == 4294967295'
check booleans '.yes == true and .no == false'
check containers '.empty_array == [] and .empty_object == {} and .array == ["x", {"n": 0}]'
check "member order" '[keys_unsorted[]] | join(",") == "quote,backslash,controls,slash,utf8,latin1,invalid,cut,driver \"x\"\\,empty,none,max,yes,no,null,empty_array,empty_object,array"'

# The bytes: jq itself would take raw invalid UTF-8 (as U+FFFD).
if iconv -f UTF-8 -t UTF-8 "$tmp/out" > /dev/null 2>&1; then ok "valid UTF-8"; else bad "valid UTF-8"; fi
if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$tmp/out"; then
	bad "no raw control character"
else
	ok "no raw control character"
fi
if grep -qF '"latin1": "caf\ufffd"' "$tmp/out" && grep -qF '"slash": "a/b"' "$tmp/out"; then
	ok "\\ufffd escapes, '/' as is"
else
	bad "\\ufffd escapes, '/' as is"
fi
if head -n 2 "$tmp/out" | tail -n 1 | grep -qx '  "quote": "a\\"b",'; then
	ok "pretty-printed, two spaces"
else
	bad "pretty-printed, two spaces"
fi
echo "json_test: $((n - fails)) passed, $fails failed"
[ "$fails" = 0 ]
