# migrate -- one Makefile for the whole tree (GNU make).
#
#   make            build build/migrate
#   make deps       install the Debian packages (quick when present)
#   make test       unit, golden and integration tests (integration needs root)
#   make check      deps + build + every test (what CI runs)
#   make asan       the whole suite under AddressSanitizer + UBSan
#   make valgrind   the unit tests under valgrind
#   make demo       sandbox servers + a complete example migration + report
#   make bench      benchmarks against peers
#   make install    PREFIX=/usr/local

PREFIX   ?= /usr/local
BUILD    ?= build
CC       ?= cc
PKGS     := libcurl openssl sqlite3 yaml-0.1 ldns jansson

WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wwrite-strings \
            -Wvla -fno-common
WERROR   ?= -Werror
OPT      ?= -O2 -g
SAN      ?=
CFLAGS   ?=
CFLAGS   += -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) $(WARN) \
            $(WERROR) $(SAN) -I. -MMD -MP
# libetpan's .pc leaks Debian's "-specs=...no-pie-link.specs": filter it out.
ETPAN_CFLAGS := $(filter-out -specs=%,$(shell pkg-config --cflags libetpan 2>/dev/null))
ETPAN_LIBS   := $(filter-out -specs=%,$(shell pkg-config --libs libetpan 2>/dev/null))
EXT_CFLAGS   := $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(ETPAN_CFLAGS)
EXT_LIBS     := $(ETPAN_LIBS) $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
CMOCKA_LIBS  := $(shell pkg-config --libs cmocka 2>/dev/null)
LDFLAGS  ?=
LDFLAGS  += $(SAN)

# Layers, lowest first.  Each folder is one static library.
ENGINES  := plans imapsync dnsctl gateway probe
MODULES  := util $(ENGINES) migrate
src_of    = $(filter-out migrate/main.c,$(wildcard $(1)/*.c))
obj_of    = $(patsubst %.c,$(BUILD)/obj/%.o,$(call src_of,$(1)))
LIBS_A   := $(foreach m,migrate $(ENGINES) util,$(if $(call src_of,$(m)),$(BUILD)/lib$(m).a))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
ITEST_SRC := $(wildcard tests/integration/*.c)
ITEST_BIN := $(patsubst tests/integration/%.c,$(BUILD)/itests/%,$(ITEST_SRC))
TOOL_SRC := $(wildcard tests/sandbox/*.c)
TOOL_BIN := $(patsubst tests/sandbox/%.c,$(BUILD)/tools/%,$(TOOL_SRC))

.PHONY: all deps test unit cli golden integration check asan valgrind demo bench \
        install clean layercheck fuzz tools
all: $(BUILD)/migrate tools $(ITEST_BIN)

tools: $(TOOL_BIN)

deps:
	@tools/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXT_CFLAGS) -c $< -o $@

define lib_rule
$(BUILD)/lib$(1).a: $(call obj_of,$(1))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && $$(AR) rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(if $(call src_of,$(m)),$(eval $(call lib_rule,$(m)))))

$(BUILD)/migrate: $(BUILD)/obj/migrate/main.o $(LIBS_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(EXT_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIBS_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXT_CFLAGS) -DSRCDIR='"$(CURDIR)"' $(LDFLAGS) -o $@ $< \
		$(LIBS_A) $(EXT_LIBS) $(CMOCKA_LIBS)

# Integration test programs (need the sandbox; run from tests/integration/*.bats)
$(BUILD)/itests/%: tests/integration/%.c $(LIBS_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXT_CFLAGS) -DSRCDIR='"$(CURDIR)"' $(LDFLAGS) -o $@ $< \
		$(LIBS_A) $(EXT_LIBS) $(CMOCKA_LIBS)

$(BUILD)/tools/%: tests/sandbox/%.c $(LIBS_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXT_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_A) $(EXT_LIBS)

layercheck:
	@tools/layercheck.sh

unit: $(UNIT_BIN) $(BUILD)/migrate
	@tools/run-unit.sh $(BUILD) $(UNIT_BIN)

cli: $(BUILD)/migrate
	@MIGRATE=$(CURDIR)/$(BUILD)/migrate bats --tap tests/cli

golden: $(BUILD)/migrate
	@tests/golden/run.sh $(BUILD)/migrate

integration: all
	@tests/integration/run.sh $(BUILD)

test: layercheck unit cli golden integration

check: deps
	$(MAKE) all
	$(MAKE) test

asan: deps
	$(MAKE) BUILD=build/asan OPT='-O1 -g' \
		SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
		all test

valgrind: deps
	$(MAKE) all $(UNIT_BIN)
	@VALGRIND=1 tools/run-unit.sh $(BUILD) $(UNIT_BIN)

# libFuzzer harnesses (clang): each runs FUZZ_SECONDS on its corpus.
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard tests/fuzz/*_fuzz.c)
fuzz: deps
	@for f in $(FUZZ_SRC); do \
		n=$$(basename $$f .c); \
		$(MAKE) -s BUILD=build/fuzz CC=clang OPT='-O1 -g' \
			SAN='-fsanitize=address,undefined,fuzzer-no-link' \
			build/fuzz/libplans.a build/fuzz/libutil.a || exit 1; \
		clang -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. -O1 -g \
			-fsanitize=address,undefined,fuzzer -o build/fuzz/$$n $$f \
			build/fuzz/libplans.a build/fuzz/libutil.a $(EXT_LIBS) || exit 1; \
		mkdir -p build/fuzz/corpus-$$n; \
		build/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			build/fuzz/corpus-$$n tests/golden/plan examples || exit 1; \
	done

demo: deps
	$(MAKE) all
	@examples/demo/run.sh $(BUILD)

# Benchmarks against peers (mbsync, doveadm backup) on the sandbox; root.
# BENCH_SIZE=small|medium (default medium).
bench: deps
	$(MAKE) all
	@MIGRATE=$(CURDIR)/$(BUILD)/migrate tests/bench/run.sh $${BENCH_SIZE:-medium}

install: $(BUILD)/migrate
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(BUILD)/migrate $(DESTDIR)$(PREFIX)/bin/migrate
	install -m 644 docs/migrate.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 docs/migrate-plan.5 $(DESTDIR)$(PREFIX)/share/man/man5/

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
