# electricd: one non-recursive Makefile.
#   make            build bin/electricd and bin/electricctl
#   make run        install missing packages, build, run against DATABASE_URL
#                   or a private throwaway Postgres (scripts/run.sh)
#   make check      install missing packages, build, run every test
#   make bench      the benchmarks (bench/)
#   make chaos      the oracle test, large, with random SIGKILLs (minutes)
#   make SAN=1 ...  build with AddressSanitizer + UBSan (into build-san/)

PKGS      = libpq libevent jansson sqlite3
CC       ?= cc
WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
OPT      ?= -O2 -g
ifeq ($(SAN),1)
BUILD     = build-san
OPT       = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined
else
BUILD     = build
endif
BIN       = $(if $(filter 1,$(SAN)),bin-san,bin)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   += -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -Icommon -Iconsumer -Ishapecache -Isupervisor -Ireplication -Ihttp \
            $(PKG_CFLAGS) -MMD -MP
LDFLAGS  += -Wl,-z,relro,-z,now $(if $(filter 1,$(SAN)),-fsanitize=address$(,)undefined)
,        := ,

COMMON_SRC = $(wildcard common/*.c)
DAEMON_SRC = $(wildcard supervisor/*.c replication/*.c consumer/*.c \
                        shapecache/*.c http/*.c)
CTL_SRC    = $(wildcard ctl/*.c)
UNIT_SRC   = $(wildcard tests/unit/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
# Unit tests link every module except the process entry points (files that
# define main()), so a test can call any module function.
LIB_OBJ    = $(call obj,$(COMMON_SRC) $(filter-out supervisor/electricd.c,$(DAEMON_SRC)) \
                      $(filter-out ctl/electricctl.c,$(CTL_SRC)))

all: $(BIN)/electricd $(BIN)/electricctl

$(BIN)/electricd: $(call obj,$(COMMON_SRC) $(DAEMON_SRC))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpg_query -lm

$(BIN)/electricctl: $(call obj,$(COMMON_SRC) $(CTL_SRC))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpg_query -lm

$(BIN)/unit-tests: $(call obj,$(UNIT_SRC)) $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs check) $(PKG_LIBS) -lpg_query -lm

# The WHERE differential test against Postgres (tests/where; run by
# scripts/check.sh): the where engine and the other common objects.
WHERE_DIFF_SRC = $(wildcard tests/where/*.c)
$(BIN)/where-diff: $(call obj,$(WHERE_DIFF_SRC) $(COMMON_SRC))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpg_query -lm

# Benchmarks that need no Postgres (bench/*.c), linked like the unit tests.
$(BIN)/where-bench: $(BUILD)/bench/where_bench.o $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpg_query -lm

# Scenario 2 of bench/ (s2_discard.mjs): the decoder and the router on a
# captured pgoutput stream.
$(BIN)/discard-bench: $(BUILD)/bench/discard_bench.o $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpg_query -lm

# Scenario 4's client (s4_initial_sync.mjs): one keep-alive connection,
# bodies thrown away, like the psql baseline.
$(BIN)/follow: $(BUILD)/bench/follow.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

# Scenario 6's long-poll clients (lpclients.mjs, impl 'c'): thousands of
# keep-alive connections in one epoll loop.
$(BIN)/lpfan: $(BUILD)/bench/lpfan.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

# Its baseline: a server that only writes one fixed answer to every held
# request (the kernel's and the clients' share of the fan-out).
$(BIN)/lpfloor: $(BUILD)/bench/lpfloor.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

# Scenario 3's floor (s3_latency.mjs): waking one of N idle processes.
$(BIN)/wakefloor: $(BUILD)/bench/wakefloor.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run.sh

# Unit tests run under ASan/UBSan; the integration and end-to-end tests
# drive the optimised binaries against a real Postgres and the npm client.
check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SAN=1 bin-san/unit-tests bin-san/where-diff
	@$(MAKE) --no-print-directory bin/where-bench bin/discard-bench bin/follow bin/lpfan bin/lpfloor \
	    bin/wakefloor
	@scripts/check.sh

# The oracle test at the large size with SIGKILLs of random electricd
# processes (tests/e2e/oracle.test.mjs; check runs it small, no chaos).
chaos: deps
	@$(MAKE) --no-print-directory all
	@scripts/chaos.sh

unit: bin-san/unit-tests
	CK_FORK=yes bin-san/unit-tests

# The benchmarks (not part of check: slow and noisy; check runs a smoke).
# BENCH_ARGS: e.g. "--only 1,4 --runs 1" (bench/run.mjs); results in
# bench/out/ (results.json, PNG plots of the sweeps).
bench: deps all $(BIN)/where-bench $(BIN)/discard-bench $(BIN)/follow $(BIN)/lpfan $(BIN)/lpfloor \
    $(BIN)/wakefloor
	$(BIN)/where-bench 100000 1
	@[ -d tests/e2e/node_modules/pg ] || \
		(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
	node bench/run.mjs $(BENCH_ARGS)

lint-man:
	mandoc -Tlint -Wwarning man/*.8

clean:
	rm -rf build build-san bin bin-san

.PHONY: all deps run check chaos unit bench lint-man clean
-include $(shell find build build-san -name '*.d' 2>/dev/null)
