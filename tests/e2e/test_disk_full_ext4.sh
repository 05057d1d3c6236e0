#!/usr/bin/env bash
# test_disk_full.sh on ext4 (a loop-mounted image): the receipt queue's reserved room and the
# database's refusals where delayed allocation and unwritten extents are real.
DISK_FS=ext4 exec bash "$(dirname "$0")/test_disk_full.sh"
