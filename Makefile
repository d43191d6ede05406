# Graft — top-level tasks. Every target installs what it needs first (scripts/setup.sh).
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)
SWIFT_FLAGS := -c release

.PHONY: setup build test quickstart bench clean

setup:
	@scripts/setup.sh

build: setup
	swift build $(SWIFT_FLAGS) --product graft

# Tests run in release: the numerical tests and the real-model tests are heavy in debug.
test: setup
	swift build $(SWIFT_FLAGS) --build-tests
	set -o pipefail; swift test $(SWIFT_FLAGS) --skip-build --disable-swift-testing 2>&1 | tee .build/test.log
	@scripts/test-summary.sh .build/test.log

quickstart: setup
	scripts/quickstart.sh

bench: setup
	scripts/bench.sh

clean:
	rm -rf .build
