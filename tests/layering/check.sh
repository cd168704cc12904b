#!/usr/bin/env bash
# The store is the bottom layer: src-tauri/core/src/store/ may use, from the rest of the crate,
# only the basics below it (time, payload, startup progress). Anything else (ingest, recordings,
# query, service…) would make the store depend on a layer built on top of it. Run by `make lint`.
#
# Usage: tests/layering/check.sh [STORE_DIR]   (exit 1 and the offending lines when broken)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
store=${1:-$root/src-tauri/core/src/store}
allowed=" store time payload startup "

[ -d "$store" ] || { echo "layering: no store folder at $store" >&2; exit 2; }

bad=0
checked=0
while IFS= read -r file; do
	checked=$((checked + 1))
	lineno=0
	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		code=${line%%//*} # comments and doc comments name modules freely
		[[ $code == *crate::* ]] || continue
		# Every module named after `crate::`, including each of `crate::{a, b::c}`.
		mods=$(grep -oE 'crate::(\{[^}]*\}?|[A-Za-z_][A-Za-z0-9_]*)' <<<"$code" |
			sed -E 's/^crate:://; s/[{}]//g' | tr ',' '\n' | sed -E 's/^[[:space:]]*//; s/::.*//; s/[[:space:]].*//' | grep -v '^$' || true)
		for m in $mods; do
			if [[ $allowed != *" $m "* ]]; then
				echo "${file#"$root"/}:$lineno: the store uses crate::$m, a layer above it: $line" >&2
				bad=1
			fi
		done
	done <"$file"
done < <(find "$store" -name '*.rs' | sort)

if [ "$checked" = 0 ]; then
	echo "layering: no Rust files under $store" >&2
	exit 2
fi
if [ "$bad" != 0 ]; then
	echo "layering: move what the store needs into store/ (or into time/payload) and re-export it from the upper module" >&2
	exit 1
fi
echo "layering: store/ uses nothing above it ($checked files)"
