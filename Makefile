# beckon: the two commands a newcomer needs are `make run` and `make test`.
#
#   make run              build, then start the server with the demo data
#                         (and rtpengine, for voice in the browser)
#   make test             build, then run every test (ctest)
#   make test SANITIZE=1  the same tests built with ASan + UBSan
#   make install          install under PREFIX (/usr/local), inside DESTDIR
#                         if given: the executable, share/, the manual
#                         pages, an example configuration, a systemd unit
#   make bench-intake     the intake benchmark (not a test)
#   make bench-intake-pg  the same on PostgreSQL, one node and three,
#                         next to pgbench doing a request's statements
#   make bench-acd        POST-to-INVITE latency benchmark
#   make bench-calls      complete call flows per second (dialer)
#   make bench-calls-cluster  callback flows through three nodes on
#                         PostgreSQL and two dialers, next to one node
#   make bench-media      bridged calls' RTP relay: loss, CPU per packet
#   make bench-webrtc     WebRTC-to-RTP calls through rtpengine: set-up
#                         time, CPU per packet next to the plain relay
#   make bench-startup    start-up time per open callback, 10k and 100k
#   make bench-report     a report over 50k-500k callbacks next to the
#                         sqlite3 CLI on the same query; loop held
#   make bench-store-pg   the PostgreSQL backend next to bare libpq
#   make bench-relay      the desk through a follower next to the leader
#   make fuzz             every fuzz target with libFuzzer (clang) for
#                         FUZZ_SECONDS each (FUZZ_TARGETS="http_head ...",
#                         FUZZ_JOBS at a time); fails on a crash, leak, UB
#
# Both first install any missing Debian packages (scripts/deps.sh).

SANITIZE ?= 0
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

ifeq ($(SANITIZE),1)
BUILD_DIR ?= build-san
else
BUILD_DIR ?= build
endif

FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1
FUZZ_TARGETS ?=

RUN_ARGS ?= --demo --dialer local --db sqlite:var/demo.db

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps build run test install bench-intake bench-intake-pg \
	bench-acd bench-calls bench-calls-cluster \
	bench-media bench-webrtc bench-startup bench-report bench-store-pg \
	bench-relay fuzz clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
		-DBECKON_SANITIZE=$(SANITIZE) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# beside an rtpengine on loopback for voice in the browser, stopped with
# it (scripts/run.sh)
run: build
	@sh scripts/run.sh $(BUILD_DIR) $(RUN_ARGS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD_DIR) --prefix "$(PREFIX)"

bench-intake: build
	@sh bench/intake/run.sh $(BUILD_DIR)/beckon

bench-intake-pg: build
	@sh bench/intake/pg.sh $(BUILD_DIR)/beckon

bench-acd: build
	@sh bench/acd/run.sh $(BUILD_DIR)/beckon

bench-calls: build
	@sh bench/calls/run.sh $(BUILD_DIR)/beckon

bench-calls-cluster: build
	@sh bench/calls/cluster.sh $(BUILD_DIR)/beckon

bench-media: build
	@sh bench/media/run.sh $(BUILD_DIR)/beckon

bench-webrtc: build
	@sh bench/webrtc/run.sh $(BUILD_DIR)/beckon

bench-startup: build
	@sh bench/startup/run.sh $(BUILD_DIR)/beckon

bench-report: build
	@sh bench/report/run.sh $(BUILD_DIR)/beckon

bench-store-pg: build
	@sh bench/store_pg/run.sh $(BUILD_DIR)/beckon

bench-relay: build
	@sh bench/relay/run.sh $(BUILD_DIR)/beckon

# its own build dir: clang, libFuzzer, ASan + UBSan (docs/fuzzing.md)
fuzz:
	@sh scripts/deps.sh fuzz
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
		-DBECKON_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@FUZZ_JOBS=$(FUZZ_JOBS) sh scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS) \
		$(FUZZ_TARGETS)

clean:
	rm -rf build build-san build-fuzz
