# The two commands of the README: `make demo` and `make test`.
SWIFT ?= swift

.PHONY: build release test test-slurm test-asan test-tsan bench deps demo

# System libraries GeoLens links against (Debian/Ubuntu), and the font its figures are labelled
# with. Safe to run again.
deps:
	@if ! pkg-config --exists gdal openblas libpng cairo 2>/dev/null \
		|| [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
		SUDO=$$( [ "$$(id -u)" = "0" ] || echo sudo ); \
		$$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends \
			libgdal-dev gdal-bin libopenblas-dev libpng-dev libcairo2-dev fonts-dejavu-core pkg-config; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The main job on the bundled fixtures: evaluate, predict, explain and compare into reports/demo.
demo: build
	.build/debug/geolens demo --out reports/demo

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

# The whole suite under AddressSanitizer or ThreadSanitizer, in build folders of their own.
test-asan: deps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/sanitizers/lsan.supp \
		$(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan

test-tsan: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan

# The Slurm examples on a real one-node cluster started on this machine (root; installs slurm-wlm).
test-slurm: build
	bash scripts/slurm/test-slurm.sh .build/debug/geolens

# Release-mode micro-benchmarks (not part of the test run). Compare with scripts/bench/*.py.
bench: release
	.build/release/geolens-bench
