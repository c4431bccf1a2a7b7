#!/bin/sh
# Stand-in for flatcar/init's bin/flatcar-install in the test live system: the
# same -d DEVICE -i IGNITION -f IMAGE flags and the same effect on the disk (the
# image, decompressed when its name ends in .bz2, written to the whole disk; the
# Ignition config copied to the partition labelled OEM as config.ign).  It
# downloads nothing: without -f it fails.
set -eu
umask 077
DEVICE=
IGNITION=
IMAGE_FILE=
while getopts "d:i:f:" opt; do
    case $opt in
        d) DEVICE=$OPTARG ;;
        i) IGNITION=$OPTARG ;;
        f) IMAGE_FILE=$OPTARG ;;
        *) exit 1 ;;
    esac
done
echo "@@FLATCAR-INSTALL -d $DEVICE -i $IGNITION -f $IMAGE_FILE"
[ -b "$DEVICE" ] || { echo "$0: $DEVICE is not a block device" >&2; exit 1; }
[ -f "$IGNITION" ] || { echo "$0: Ignition config file ($IGNITION) does not exist." >&2; exit 1; }
[ -r "$IMAGE_FILE" ] || { echo "$0: this stand-in needs -f IMAGE (it cannot download)" >&2; exit 1; }
echo "Writing ${IMAGE_FILE}..."
case $IMAGE_FILE in
    *.bz2) bunzip2 -c "$IMAGE_FILE" >/tmp/image.raw ;;
    *) cat "$IMAGE_FILE" >/tmp/image.raw ;;
esac
dd if=/tmp/image.raw of="$DEVICE" bs=1M conv=fsync 2>/dev/null
rm -f /tmp/image.raw
# As the real one does: udev (here the init's by-label loop) may hold a
# partition open for a moment, and the kernel then refuses to re-read the
# table (EBUSY), so try again with growing pauses.
for try in 0 1 2 4; do
    sleep "$try"
    blockdev --rereadpt "$DEVICE" && unset try && break ||
        echo "Failed to reread partitions on $DEVICE" >&2
done
[ -z "${try:-}" ] || exit 1
OEM_DEV=$(blkid -l -t LABEL=OEM -o device "$DEVICE"*)
mkdir -p /tmp/oemfs
mount "$OEM_DEV" /tmp/oemfs
echo "Installing Ignition config ${IGNITION}..."
cp "$IGNITION" /tmp/oemfs/config.ign
umount /tmp/oemfs
sync
echo "Success! (stand-in) installed on $DEVICE"
