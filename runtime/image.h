/* Images for `secrun launch`: an OCI image layout (oci:DIR[:TAG], as
 * skopeo, umoci and buildah write it) or a docker-archive tarball (docker
 * save, podman save, skopeo docker-archive:), unpacked with libarchive into
 * a content-addressed cache under the state root.
 *
 * Every blob is checked against its sha256 digest. Layers are unpacked in
 * order into one directory per chain of layer digests, with whiteouts and
 * opaque directories applied; no entry may write outside that directory.
 * The directory is unpacked under a temporary name and renamed into place,
 * so a cache entry is complete or absent and concurrent launches of the same
 * image are safe (the loser of the rename throws its copy away). */
#ifndef SECRUN_IMAGE_H
#define SECRUN_IMAGE_H

#include <stdbool.h>

#include <jansson.h>

#include "error.h"

/* Under the state root; `secrun list` skips dot names. */
#define SR_IMAGE_CACHE ".images"

typedef struct {
  json_t *config;  /* the image config blob (its "config" member holds
                      Entrypoint, Cmd, Env, WorkingDir, User, StopSignal) */
  char *rootfs;    /* absolute: CACHE/<chain id hex>/rootfs; never written to
                      once in place (containers get an overlay on top) */
  char *chain_id;  /* "sha256:<hex>": the cache key */
  bool cache_hit;  /* nothing was unpacked */
} sr_image_t;

/* True when SOURCE names an image rather than a directory: it starts with
 * "oci:" or "docker-archive:", or is a regular file. */
bool sr_image_is_ref (const char *source);

/* Reads and verifies the image's manifest and config, and unpacks its
 * layers into CACHE_DIR unless they are there already. */
int sr_image_prepare (const char *source, const char *cache_dir,
                      sr_image_t *img, sr_error_t *err);
void sr_image_release (sr_image_t *img);

/* Removes NAME under DIRFD and everything below it without following a
 * symbolic link; a missing NAME is not an error. Used for whiteouts and
 * for throwing away launch bundles. */
/* sr_rm_rf_at is in utils.h */

#endif
