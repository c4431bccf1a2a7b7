#!/bin/busybox sh
# /init of the stand-in Flatcar live system that tests/kernel/installer_guest.py
# puts in the stand-in base ISO (/flatcar/cpio.gz).
#
# It does, in small, what the real live system does for the installer:
#   - udev: /dev/disk/by-label/LABEL links (libblkid's labels), kept up to date;
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

by_label() {
    mkdir -p /dev/disk/by-label
    for dev in /sys/class/block/*; do
        name=${dev##*/}
        label=$(blkid -p -o value -s LABEL "/dev/$name" 2>/dev/null) || continue
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
