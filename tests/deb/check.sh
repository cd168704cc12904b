#!/usr/bin/env bash
# Checks the .deb that `make deb` built, the way a user gets it: the headless `postcall` runs,
# the window's desktop entry and icon are installed, the `postcall://` scheme is registered, and
# `postcall serve` from the package starts and answers /healthz.
#
# Where it is installed:
#   - with `dpkg -i` on this machine when running as root and either under CI (CI set) or when
#     asked (POSTCALL_DEB_INSTALL=1): CI's machine is thrown away after the run. apt then fetches
#     the package's dependencies, which also proves they resolve;
#   - otherwise unpacked with `dpkg-deb -x` into a temporary root, which changes nothing on the
#     machine; the dependencies are then only checked to be declared.
#
# Usage: tests/deb/check.sh [PATH.deb]   (default: the newest in target/release/bundle/deb/)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
deb=${1:-$(ls -t "$root"/target/release/bundle/deb/*.deb 2>/dev/null | head -n 1 || true)}
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
	echo "deb check: no .deb found (looked in target/release/bundle/deb/): run \`make deb\` first" >&2
	exit 1
fi

fail() {
	echo "deb check FAILED: $*" >&2
	exit 1
}
pass() { echo "  ok: $*"; }

work=$(mktemp -d -t postcall-deb-XXXXXX)
server_pid=""
cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "deb check: $deb"
package=$(dpkg-deb -f "$deb" Package)
depends=$(dpkg-deb -f "$deb" Depends)
echo "  package $package $(dpkg-deb -f "$deb" Version), depends: $depends"
for dep in gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav; do
	[[ ",$depends," == *"$dep"* ]] || fail "the package does not depend on $dep"
done
pass "depends on the GStreamer plugins"

if [ "$(id -u)" = 0 ] && { [ -n "${CI:-}" ] || [ "${POSTCALL_DEB_INSTALL:-}" = 1 ]; }; then
	echo "  installing with dpkg -i (root on a throwaway machine)"
	export DEBIAN_FRONTEND=noninteractive
	if ! dpkg -i "$deb"; then
		apt-get install -f -y -qq || fail "the package's dependencies could not be installed"
	fi
	dpkg -s "$package" >/dev/null 2>&1 || fail "dpkg does not list $package as installed"
	pass "installed with dpkg -i; dependencies resolved"
	prefix=""
else
	echo "  unpacking with dpkg-deb -x into $work/root (set POSTCALL_DEB_INSTALL=1 as root to install for real)"
	dpkg-deb -x "$deb" "$work/root"
	prefix="$work/root"
fi

# Both binaries, where the desktop entry and scripts expect them.
[ -x "$prefix/usr/bin/postcall-desktop" ] || fail "/usr/bin/postcall-desktop is missing"
[ -x "$prefix/usr/bin/postcall" ] || fail "/usr/bin/postcall is missing"
pass "/usr/bin/postcall and /usr/bin/postcall-desktop are installed"

version=$("$prefix/usr/bin/postcall" --version) || fail "/usr/bin/postcall --version failed"
[[ $version == "postcall "* ]] || fail "/usr/bin/postcall --version printed: $version"
pass "/usr/bin/postcall --version: $version"

# The headless binary links no GUI library, so it runs on a server without a desktop stack.
if gui=$(ldd "$prefix/usr/bin/postcall" | grep -E 'libgtk|libwebkit|libgdk|libjavascriptcore|libsoup'); then
	fail "/usr/bin/postcall links GUI libraries: $gui"
fi
pass "/usr/bin/postcall links no GUI library ($(ldd "$prefix/usr/bin/postcall" | wc -l) shared libraries)"

# The desktop entry: runs the window, takes a URL, and registers the postcall:// scheme.
entries=("$prefix"/usr/share/applications/*.desktop)
[ -f "${entries[0]}" ] || fail "no desktop entry in /usr/share/applications"
entry=${entries[0]}
grep -q '^Exec=postcall-desktop' "$entry" || fail "$(basename "$entry") does not run postcall-desktop: $(grep '^Exec=' "$entry")"
grep -Eq '^Exec=.*%[uU]' "$entry" || fail "$(basename "$entry") does not pass the opened URL (%u) to the app"
grep -Eq '^MimeType=(.*;)?x-scheme-handler/postcall(;|$)' "$entry" ||
	fail "$(basename "$entry") does not register the postcall:// scheme (MimeType=x-scheme-handler/postcall)"
icon=$(sed -n 's/^Icon=//p' "$entry")
[ -n "$icon" ] || fail "$(basename "$entry") names no icon"
pass "desktop entry $(basename "$entry"): $(grep '^Exec=' "$entry"), x-scheme-handler/postcall, icon $icon"
if command -v desktop-file-validate >/dev/null 2>&1; then
	desktop-file-validate "$entry" || fail "$(basename "$entry") is not a valid desktop entry"
	pass "desktop-file-validate"
fi

icons=$(find "$prefix/usr/share/icons/hicolor" -name "$icon.png" 2>/dev/null || true)
[ -n "$icons" ] || fail "no icon $icon.png under /usr/share/icons/hicolor"
pass "icon installed: $(echo "$icons" | sed "s|^$prefix||" | tr '\n' ' ')"

# Where installed for real, the desktop database maps the scheme to this entry.
if [ -z "$prefix" ] && command -v update-desktop-database >/dev/null 2>&1; then
	update-desktop-database /usr/share/applications
	grep -q "x-scheme-handler/postcall=.*$(basename "$entry")" /usr/share/applications/mimeinfo.cache ||
		fail "the desktop database does not list $(basename "$entry") for x-scheme-handler/postcall"
	pass "mimeinfo.cache maps x-scheme-handler/postcall to $(basename "$entry")"
fi

# `postcall serve` from the package answers /healthz.
data="$work/data"
mkdir -p "$data"
: >"$work/serve.out"
env -u DISPLAY -u WAYLAND_DISPLAY POSTCALL_SECRET_STORE=file \
	"$prefix/usr/bin/postcall" serve --data-dir "$data" --bind 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
url=""
for _ in $(seq 1 300); do
	url=$(sed -n 's/^Webhook URL (local): //p' "$work/serve.out" | head -n 1 || true)
	[ -n "$url" ] && break
	kill -0 "$server_pid" 2>/dev/null || fail "postcall serve exited: $(cat "$work/serve.err")"
	sleep 0.1
done
[ -n "$url" ] || fail "postcall serve printed no URL within 30 s: $(cat "$work/serve.err")"
base=${url%%/hooks/*}
health=$(curl -fsS --max-time 10 "$base/healthz") || fail "GET $base/healthz failed"
pass "postcall serve answers $base/healthz: $health"

echo "deb check: all passed"
