/*
 * plan_fuzz.c -- libFuzzer harness for the plan loader.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *	    tests/fuzz/plan_fuzz.c plans/[a-z]*.c util/[a-z]*.c \
 *	    $(pkg-config --cflags --libs yaml-0.1 jansson) -o build/plan_fuzz
 *	mkdir -p build/plan_corpus && cp tests/golden/plan/[a-z]*.yaml build/plan_corpus/
 *	build/plan_fuzz build/plan_corpus
 *
 * The input is the plan's text; the name has no directory, so CSV files it
 * names are looked up in the current directory (run it in an empty one to
 * keep it to the YAML).  Any crash, leak or sanitizer report is a bug: add
 * the input to tests/golden/plan/ with the .ref it should give.
 */
#include <stddef.h>
#include <stdint.h>

#include "plans/plan.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan_diags d;
	struct plan *p = NULL;
	struct err err;

	plan_diags_init(&d);
	err_clear(&err);
	if (plan_load_mem("fuzz.yaml", (const char *)data, size, &p, &d,
			  &err) == 0 && !p)
		__builtin_trap();	/* success must give a plan */
	plan_free(p);
	plan_diags_release(&d);
	return 0;
}
