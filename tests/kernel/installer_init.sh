#!/bin/busybox sh
# /init of the stand-in Flatcar live system that tests/kernel/installer_guest.py
# puts in the stand-in base ISO (/flatcar/cpio.gz).
#
# It does, in small, what the real live system does for the installer:
#   - udev: /dev/disk/by-label/LABEL links (libblkid's labels) for devices as
#     they appear;
#   - systemd-run-generator: runs the systemd.run="..." command of /proc/cmdline
#     once, split into words as ExecStart= splits them (only commands without
#     $ ` \ or %, where sh's own splitting is the same), stdin /dev/null, then
#     applies systemd.run_success_action= / systemd.run_failure_action=
#     (default exit, i.e. power off);
#   - without systemd.run= (the 'manual' label): the live system's autologin
#     shell on the console.
# It prints "@@" lines on the console for the host to read.
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /run /tmp /mnt
/bin/busybox --install -s
export PATH=/usr/local/sbin:/usr/local/bin:/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
dmesg -n 1 2>/dev/null

say() { echo "@@$*"; }

say BOOT kernel=$(uname -r)
while read -r mod; do
    [ -n "$mod" ] || continue
    insmod "/lib/modules/$mod" 2>/dev/null || say INSMOD-FAIL "$mod"
done </modules.order

# As udev does, a block device is probed when it appears (here: a name,
# number or size not seen before: a CD's media or a USB stick's capacity
# arriving, partitions re-read), not over and over: a probe holds the
# device open, and the kernel refuses to re-read a disk's partition table
# while one of its partitions is open (EBUSY).
PROBED=
by_label() {
    mkdir -p /dev/disk/by-label
    for dev in /sys/class/block/*; do
        name=${dev##*/}
        num= size=
        read -r num 2>/dev/null <"$dev/dev"
        read -r size 2>/dev/null <"$dev/size"
        seen="$name:$num:$size"
        case " $PROBED " in *" $seen "*) continue ;; esac
        label=$(blkid -p -o value -s LABEL "/dev/$name" 2>/dev/null)
        case $? in # 2: nothing (no label); others: the probe failed, try again
            0 | 2) PROBED="$PROBED $seen" ;;
            *) continue ;;
        esac
        [ -n "$label" ] && [ ! -e "/dev/disk/by-label/$label" ] || continue
        ln -s "../../$name" "/dev/disk/by-label/$label"
    done
}
(while :; do by_label; sleep 1; done) &

live_shell() { # the live system's console login (flatcar.autologin)
    say LIVE-LOGIN
    setsid sh -c 'exec sh -i </dev/console >/dev/console 2>&1' &
}

cmdline=$(cat /proc/cmdline)
say CMDLINE $cmdline
run=$(sed -n 's/.*systemd\.run="\([^"]*\)".*/\1/p' /proc/cmdline)
option() { echo "$cmdline" | tr ' ' '\n' | sed -n "s/^systemd\.$1=//p" | tail -n 1; }

if [ -z "$run" ]; then
    say LIVE
    live_shell
    while :; do sleep 3600; done
fi

say UNIT "$(option unit)"
case $run in
    *'$'* | *'`'* | *'\'* | *'%'*)
        say RUN-UNSUPPORTED
        poweroff -f
        ;;
esac
eval "set -- $run"
"$@" </dev/null
status=$?
say RUN-EXIT $status
if [ $status -eq 0 ]; then action=$(option run_success_action); else action=$(option run_failure_action); fi
say ACTION "${action:-exit}"
case ${action:-exit} in
    none) while :; do sleep 3600; done ;;
    reboot*) sync; reboot -f ;;
    *) sync; poweroff -f ;;
esac
