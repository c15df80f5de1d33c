/* The default config.json written by `secrun spec`. */
#ifndef SECRUN_SPEC_H
#define SECRUN_SPEC_H

#include <stdbool.h>

#include <jansson.h>

/* A new reference to the default spec, shaped like `runc spec` (with
 * rootless: `runc spec --rootless`); NULL when out of memory. */
json_t *sr_spec_default (bool rootless);

#endif
