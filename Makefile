# Cyberbrain Orchestrator -- plain GNU make, one build folder per flavour.
# `make` builds build/cyberbrain; see `make help`.

FLAVOUR   ?= release
VERSION   := $(shell cat VERSION)
BUILD     := build/$(FLAVOUR)
CC        ?= cc
PKGS      := libmicrohttpd jansson libcurl sqlite3 libpq openssl zlib libgvc libcmark-gfm
WARN      := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wpointer-arith -Wcast-qual -Wformat=2 -Wvla -Wimplicit-fallthrough -fno-common
ifeq ($(CI),true)
WARN      += -Werror
endif
ifeq ($(WERROR),1)
WARN      += -Werror
endif
CPPFLAGS  += -D_GNU_SOURCE -Isrc -I$(BUILD)/gen $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Graphviz's dot layout and core (SVG) plugins are linked in and given to gvContextPlugins, so
# no plugin (pango, fontconfig) is loaded at run time; they live in libgvc's plugin folder.
GV_PLUGINS:= $(shell pkg-config --variable=libdir libgvc 2>/dev/null)/graphviz
LDLIBS    += $(shell pkg-config --libs $(PKGS) 2>/dev/null) \
             -L$(GV_PLUGINS) -Wl,-rpath,$(GV_PLUGINS) -lgvplugin_dot_layout -lgvplugin_core \
             -lpthread -lm

ifeq ($(FLAVOUR),release)
CFLAGS    += -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
LDFLAGS   += -Wl,-z,relro,-z,now
else ifeq ($(FLAVOUR),debug)
CFLAGS    += -O0 -g3 -DCB_DEBUG
else ifeq ($(FLAVOUR),asan)
CFLAGS    += -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS   += -fsanitize=address,undefined
else ifeq ($(FLAVOUR),tsan)
CFLAGS    += -O1 -g -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS   += -fsanitize=thread
else ifeq ($(FLAVOUR),fuzz)
CFLAGS    += -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
LDFLAGS   += -fsanitize=address,undefined
endif
CFLAGS    += $(WARN) -DTESTABLE_EXTERN

SRC_ALL   := $(shell find src -name '*.c' | sort)
SRC_LIB   := $(filter-out src/main.c,$(SRC_ALL))
MIGRATIONS:= $(sort $(wildcard src/store/migrations/*/*.sql))
WEB       := $(sort $(wildcard web/*))
GEN_SRC   := $(BUILD)/gen/gen_migrations.c $(BUILD)/gen/gen_web.c
OBJ_LIB   := $(SRC_LIB:%.c=$(BUILD)/%.o) $(GEN_SRC:%.c=%.o)
LIB       := $(BUILD)/libcyberbrain.a
BIN       := $(BUILD)/cyberbrain
TEST_SRC  := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN  := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
DEPFLAGS   = -MMD -MP

.PHONY: all build debug test check unit integration bench bench-mcp fuzz fuzz-replay format format-check \
        lint run clean help deps migrate worker-image worker-image-if-engine tsan bench-triage \
        bench-redact

all build: $(BIN)
	@mkdir -p build && ln -sf $(FLAVOUR)/cyberbrain build/cyberbrain

help:
	@echo "make [build|debug|test|check|run|bench|bench-triage|bench-redact|fuzz|format|format-check|lint|clean]"

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

# The version has one source, the VERSION file; code includes the generated version.h.
$(BUILD)/gen/version.h: VERSION
	@mkdir -p $(dir $@)
	printf '#define CB_VERSION "%s"\n' "$(VERSION)" > $@.tmp && mv $@.tmp $@

$(OBJ_LIB) $(BUILD)/src/main.o: | $(BUILD)/gen/version.h

$(BUILD)/gen/gen_migrations.c: $(MIGRATIONS) scripts/gen-embed.sh
	@mkdir -p $(dir $@)
	sh scripts/gen-embed.sh migrations $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/gen_web.c: $(WEB) scripts/gen-embed.sh
	@mkdir -p $(dir $@)
	sh scripts/gen-embed.sh web $(WEB) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CPPFLAGS) $(filter-out -Wmissing-prototypes,$(CFLAGS)) -c $< -o $@

$(LIB): $(OBJ_LIB)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/src/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The nvidia-smi stand-in the GPU tests put first on PATH (replays tests/data/nvidia-smi).
FAKE_SMI  := $(BUILD)/tests/fake-bin/nvidia-smi
$(FAKE_SMI): tests/fakes/fake_nvidia_smi.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=c11 -D_GNU_SOURCE -Wall -o $@ $<

# A libnvidia-ml.so.1 answering from the captures' -q sections (the NVML path's tests).
FAKE_NVML := $(BUILD)/tests/fake-nvml/libnvidia-ml.so.1
$(FAKE_NVML): tests/fakes/fake_nvml.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=c11 -D_GNU_SOURCE -Wall -shared -fPIC -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB) $(FAKE_SMI) $(FAKE_NVML)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs check)

# The worker image: a static worker binary (src/worker + the core files it uses, no
# store/HTTP/libpq/libmicrohttpd/libcurl) in an image FROM scratch.
WORKER_BIN := build/worker/cyberbrain-worker
WORKER_SRC := docker/worker/worker_static_main.c \
              $(sort $(wildcard src/worker/*.c src/triage/*.c src/redact/*.c src/svcmap/*.c)) \
              $(addprefix src/core/,buf.c clock.c crypto.c err.c fs.c jsonx.c log.c proc.c xalloc.c)
WORKER_IMAGE := cyberbrain-worker:$(VERSION)

$(WORKER_BIN): $(WORKER_SRC) $(wildcard src/worker/*.h src/core/*.h src/triage/*.h src/redact/*.h \
                              src/svcmap/*.h)
	@mkdir -p $(dir $@)
	$(CC) -static -O2 $(WARN) -D_GNU_SOURCE -DCB_WORKER_STATIC -Isrc -o $@ $(WORKER_SRC) -ljansson -lz -lpthread
	@! ldd $@ >/dev/null 2>&1 || { echo "$@ is not static"; rm -f $@; exit 1; }

worker-image: $(WORKER_BIN)
	docker build -q -t $(WORKER_IMAGE) -f docker/worker/Dockerfile build/worker

# Build the worker image first when an engine answers (always with CI=true).
worker-image-if-engine:
	@if [ "$$CI" = true ] || docker info >/dev/null 2>&1; then \
	    $(MAKE) --no-print-directory worker-image; \
	else echo "worker-image: no docker engine, not built"; fi

deps:
	@sh scripts/install-deps --check || sh scripts/install-deps

# The whole suite: unit (Check, forked), fuzz-corpus replay, integration on SQLite
# (and PostgreSQL when reachable; mandatory with CI=true).
test: deps
	@if [ "$$(id -u)" = 0 ]; then sh scripts/start-services || true; fi
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory worker-image-if-engine
	@CB_SERVICES_STARTED=1 $(MAKE) --no-print-directory unit fuzz-replay integration

unit: $(TEST_BIN)
	@sh scripts/run-unit.sh $(TEST_BIN)

fuzz-replay: $(BUILD)/fuzz-replay
	@sh scripts/fuzz-replay.sh $(BUILD)/fuzz-replay

$(BUILD)/fuzz-replay: $(wildcard fuzz/fuzz_*.c) fuzz/fuzz.h fuzz/replay_main.c $(LIB)
	@mkdir -p $(dir $@)
	sh scripts/build-fuzz-replay.sh "$(CC)" "$(CPPFLAGS) $(CFLAGS)" "$(LIB) $(LDFLAGS) $(LDLIBS)" $@

integration: $(BIN) $(FAKE_SMI) $(FAKE_NVML)
	@CYBERBRAIN_BIN=$(abspath $(BIN)) CB_FAKE_NVIDIA_SMI=$(abspath $(FAKE_SMI)) CB_FAKE_NVML=$(abspath $(FAKE_NVML)) sh scripts/with-test-env.sh sh scripts/run-integration.sh

check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory worker-image-if-engine
	@LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
	    $(MAKE) --no-print-directory FLAVOUR=asan build unit fuzz-replay integration

# ThreadSanitizer on the modules with threads: event bus, dispatcher, store pool, HTTP server.
TSAN_TESTS := test_events test_tasks test_tasks_docker test_store test_api test_mcp_rpc test_mcp_tools test_tasks_svcmap test_api_llm
tsan:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory FLAVOUR=tsan build $(TSAN_TESTS:%=build/tsan/tests/%)
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" sh scripts/with-test-env.sh \
	    sh scripts/run-unit.sh $(TSAN_TESTS:%=build/tsan/tests/%)

run: deps
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory worker-image-if-engine
	@sh scripts/run-dev.sh

BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/mcp_load: bench/mcp_load.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS) $(LDLIBS)

bench: deps worker-image-if-engine
	@$(MAKE) --no-print-directory build $(BENCH_BIN) $(BUILD)/bench/mcp_load $(FAKE_SMI)
	@for b in $(BENCH_BIN); do $$b || exit 1; done
	@sh scripts/bench-triage-speed.sh $(abspath $(BIN))
	@sh scripts/bench.sh $(abspath $(BIN))
	@sh scripts/bench-mcp.sh $(abspath $(BIN)) $(abspath $(BUILD)/bench/mcp_load)

# /mcp only: tools/call get_run p50/p99 with 50 concurrent sessions (issue #6).
bench-mcp:
	@$(MAKE) --no-print-directory build $(BUILD)/bench/mcp_load
	@sh scripts/bench-mcp.sh $(abspath $(BIN)) $(abspath $(BUILD)/bench/mcp_load)

# Template-mining quality (GA/PA) on the Loghub-2k samples in ../shared/data (issue #4).
bench-triage:
	@$(MAKE) --no-print-directory build
	@sh scripts/bench-triage.sh $(abspath $(BIN))

# Redaction quality (precision/recall/F2 per type on tests/data/redact) and speed (issue #5).
bench-redact:
	@$(MAKE) --no-print-directory build $(BUILD)/bench/bench_redact
	@sh scripts/bench-redact.sh $(abspath $(BIN)) $(abspath $(BUILD)/bench/bench_redact)

fuzz:
	@sh scripts/fuzz.sh "$(FUZZ_TARGET)" "$(or $(FUZZ_TIME),60)"

format:
	clang-format -i $$(find src tests fuzz bench -name node_modules -prune -o -name '*.[ch]' -print)

format-check:
	clang-format --dry-run --Werror $$(find src tests fuzz bench -name node_modules -prune -o -name '*.[ch]' -print)

lint:
	sh scripts/lint-banned.sh
	sh scripts/check-deps.sh

clean:
	rm -rf build

-include $(OBJ_LIB:.o=.d) $(BUILD)/src/main.d
