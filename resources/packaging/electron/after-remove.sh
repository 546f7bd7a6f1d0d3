#!/bin/sh
# After-remove script of the electron-builder deb: undoes what after-install.sh added.
set -e

rm -f '/usr/bin/${executable}'
PROFILE=/etc/apparmor.d/${executable}
if [ -f "$PROFILE" ]; then
    if command -v apparmor_parser >/dev/null; then
        apparmor_parser --remove "$PROFILE" 2>/dev/null || true
    fi
    rm -f "$PROFILE"
fi
exit 0
