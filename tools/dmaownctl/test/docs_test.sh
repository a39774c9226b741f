#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: docs_test.sh DMAOWNCTL MAN_PAGE COMPLETION
#
# Every command of 'dmaownctl --help', and every option of it and of each
# 'dmaownctl COMMAND --help', is in the man page and in the bash completion
# script; the completion then offers each of them (bash-completion's
# helpers when installed, else the script's fallback).
set -euo pipefail
ctl=${1:?usage: docs_test.sh DMAOWNCTL MAN_PAGE COMPLETION}
man=${2:?} comp=${3:?}
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

# Options: -x and --word at the start of a word, from a --help text.
opts() { grep -oE '(^|[[ |,])--?[a-zA-Z][a-zA-Z-]*' | sed 's/^[[ |,]//' | sort -u; }

mapfile -t commands < <("$ctl" --help | awk '/^Commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 } f && /^$/ { exit }')
[ ${#commands[@]} -gt 0 ] || { echo "docs_test: no commands in '$ctl --help'" >&2; exit 1; }
# The man page without its escapes: "\-\-json" is "--json", "\fB" goes.
plain=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$man")

for c in "${commands[@]}"; do
	if grep -qE "^\.(B|TP|BR) $c( |$)|^\.B dmaownctl $c( |$)" "$man"; then
		ok "man page: command $c"
	else
		bad "man page: command $c"
	fi
	if grep -qE "(commands=\"|[\" ])$c([\" ]|\))" "$comp"; then ok "completion: command $c"; else bad "completion: command $c"; fi
done

check_opts() { # check_opts WHERE < HELP
	local o
	for o in $(opts); do
		[ "$o" = "--" ] && continue
		if grep -qE -- "(^|[^a-zA-Z-])$o([^a-zA-Z-]|$)" <<< "$plain"; then
			ok "man page: $1 $o"
		else
			bad "man page: $1 $o"
		fi
		if grep -qE -- "'([^']* )?$o( [^']*)?'" "$comp"; then
			ok "completion: $1 $o"
		else
			bad "completion: $1 $o"
		fi
	done
}
check_opts dmaownctl < <("$ctl" --help | sed '/^Commands:/,$d')
for c in "${commands[@]}"; do
	[ "$c" = help ] && continue
	check_opts "$c" < <("$ctl" "$c" --help)
done

# The completion offers what it lists: run it in bash.
complete_words() { # complete_words WORD...: what TAB after WORD... offers
	bash -c '
		[ -r /usr/share/bash-completion/bash_completion ] &&
			. /usr/share/bash-completion/bash_completion
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_dmaownctl dmaownctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@" 2>&1 | sort | tr '\n' ' '
}
want="claim help info list monitor quarantine status "
got=$(complete_words dmaownctl '')
if [ "$got" = "$want" ]; then ok "completes the commands"; else bad "completes the commands: '$got'"; fi
got=$(complete_words dmaownctl status 3 --j)
if [ "$got" = "--json " ]; then ok "completes status --json"; else bad "completes status --json: '$got'"; fi
got=$(complete_words dmaownctl --v)
if [ "$got" = "--version " ]; then ok "completes --version"; else bad "completes --version: '$got'"; fi

echo "docs_test: $((n - fails)) passed, $fails failed"
[ "$fails" = 0 ]
