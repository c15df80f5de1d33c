load helpers
@test "links" {
  stat -c '%h %i %n' "$BUNDLE/rootfs/bin/busybox" "$BUNDLE/rootfs/etc/passwd" "$TEMPLATE/rootfs/etc/passwd" "$TEMPLATE/rootfs/bin/busybox" >&3
}
