#!/bin/busybox sh
# /init of the throw-away initramfs that mount_check.py boots under QEMU.
#
# It loads the CD-ROM and ISO 9660 modules, mounts every CD the way the
# operator does on the target (mount -o ro -t iso9660 /dev/srN /media) and a
# few variants, and prints what the kernel shows as "@@" lines on the serial
# console; the host compares.  It never decides pass or fail itself.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mkdir -p /proc /sys /dev /media /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
dmesg -n 1 2>/dev/null

say() { echo "@@$*"; }

param() { tr ' ' '\n' </proc/cmdline | sed -n "s/^hostiso\\.$1=//p"; }

say BOOT kernel=$(uname -r)
while read -r mod; do
    [ -n "$mod" ] || continue
    if insmod "/lib/modules/$mod" 2>/tmp/insmod.err; then
        say INSMOD ok $mod
    else
        say INSMOD fail $mod $(cat /tmp/insmod.err)
    fi
done </modules.order
grep -q iso9660 /proc/filesystems && say FS iso9660 || say FS missing-iso9660

ncd=$(param ncd)
[ -n "$ncd" ] || ncd=1
last=$((ncd - 1))
i=0
while [ ! -b /dev/sr$last ] && [ $i -lt 600 ]; do
    sleep 0.1
    i=$((i + 1))
done
say CDCOUNT $(ls /dev | grep -c '^sr[0-9]')

# Each variant: a name and the mount options after "ro".  "default" is the
# operator's command; "auto" leaves out -t.
VARIANTS="default: norock:norock nojoliet:nojoliet plain:norock,nojoliet mapoff:norock,nojoliet,map=off"

report_mount() { # $1 dev, $2 variant name
    say LS-BEGIN $1 $2
    ls -la /media | sed 's/^/@@LS /'
    say LS-END $1 $2
    for f in /media/* /media/.[!.]*; do
        [ -e "$f" ] || continue
        [ -f "$f" ] || continue
        name=${f#/media/}
        st=$(stat -c 'mode=%a owner=%u:%g size=%s' "$f")
        sum=$(sha256sum "$f" | cut -d' ' -f1)
        if su -s /bin/sh nobody -c "cat '$f' >/dev/null" 2>/dev/null; then nob=yes; else nob=no; fi
        say FILE $1 $2 $st sha256=$sum nobody_reads=$nob name=$name
    done
}

dmesg -c | sed 's/^/@@DMESG boot /'
for dev in $(ls /dev | grep '^sr[0-9]' | sort); do
    path=/dev/$dev
    sysdev=$(readlink -f /sys/block/$dev/device)
    say DEV $dev sysfs=${sysdev#/sys/devices/}
    say DEVSHA $dev $(sha256sum $path | cut -d' ' -f1) size=$(blockdev --getsize64 $path 2>/dev/null)
    say PVDLABEL $dev "$(dd if=$path bs=2048 skip=16 count=1 2>/dev/null | dd bs=1 skip=40 count=32 2>/dev/null)"
    # util-linux blkid (libblkid, what udev's /dev/disk/by-label uses) when
    # the host had one to copy; busybox has no blkid applet.
    if [ -x /usr/sbin/blkid.util-linux ]; then
        say BLKID $dev $(/usr/sbin/blkid.util-linux -p -o export $path | tr '\n' ' ')
    else
        say BLKID $dev none
    fi
    for v in $VARIANTS; do
        name=${v%%:*}
        opts=ro${v#*:}
        [ "$opts" = ro ] || opts="ro,${v#*:}"
        if mount -o $opts -t iso9660 $path /media 2>/tmp/mount.err; then
            say MOUNT ok $dev $name opts=$opts
            report_mount $dev $name
            umount /media
        else
            say MOUNT fail $dev $name opts=$opts $(cat /tmp/mount.err)
        fi
    done
    if mount -o ro $path /media 2>/tmp/mount.err; then
        say MOUNT ok $dev auto opts=ro type=$(grep ' /media ' /proc/mounts | cut -d' ' -f3)
        report_mount $dev auto
        umount /media
    else
        say MOUNT fail $dev auto opts=ro $(cat /tmp/mount.err)
    fi
    dmesg -c | sed "s/^/@@DMESG $dev /"
done

# busybox findfs (its own volume_id code) for each label the host expects
for label in $(param labels | tr ',' ' '); do
    say FINDFS $label $(findfs LABEL=$label 2>&1)
done
dmesg -c | sed 's/^/@@DMESG end /'
say DONE
sync
poweroff -f
