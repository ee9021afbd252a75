/**
 * @file harness.h  What every libFuzzer target of the relay shares
 */
#ifndef CR_FUZZ_HARNESS_H
#define CR_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* Silences Sofia's and GLib's chatter so libFuzzer's own output stays
 * readable; call once from LLVMFuzzerInitialize(). */
void cr_fuzz_quiet(void);

/* A NUL-terminated copy of data[0..len) in buf (cap bytes), cut at cap-1;
 * returns buf. */
char *cr_fuzz_string(char *buf, size_t cap, const uint8_t *data, size_t len);

#endif
