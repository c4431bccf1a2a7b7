#!/bin/sh
# Stand-in for systemctl in the test live system (tests/kernel/installer_init.sh):
# does at once what the install script asks systemd for, and says so.
echo "@@SYSTEMCTL $*"
case " $* " in
    *" reboot "*) sync; reboot -f ;;
    *" poweroff "*) sync; poweroff -f ;;
    *" isolate multi-user.target "*)
        # The live system's autologin shell on the console.
        echo "@@LIVE-LOGIN"
        setsid sh -c 'exec sh -i </dev/console >/dev/console 2>&1' &
        ;;
    *) echo "standin systemctl: $* is not emulated" >&2; exit 1 ;;
esac
