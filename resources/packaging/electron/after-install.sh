#!/bin/sh
# After-install script of the electron-builder deb (the desktop app in /opt/Nova). The
# helper, its unit, polkit files and the nova group come from the nova package it
# depends on. electron-builder fills in ${sanitizedProductName} and ${executable}.
set -e

APP_DIR='/opt/${sanitizedProductName}'
APP_BIN="$APP_DIR/${executable}"
PROFILE=/etc/apparmor.d/${executable}

# The desktop entry runs the program by this name.
ln -sf "$APP_BIN" '/usr/bin/${executable}'

if [ -e /sys/kernel/security/apparmor/features/namespaces/userns_create ] && command -v apparmor_parser >/dev/null; then
    # Ubuntu's restriction on unprivileged user namespaces is on: allow them to Nova alone.
    install -m 0644 "$APP_DIR/resources/apparmor/nova-desktop" "$PROFILE"
    apparmor_parser --replace --write-cache --skip-read-cache "$PROFILE" || \
        echo "Nova: could not load $PROFILE; the desktop app may fail to start its sandbox" >&2
elif ! unshare --user true 2>/dev/null; then
    # No user namespaces for anyone here: Chromium's setuid sandbox helper is the fallback.
    chmod 4755 "$APP_DIR/chrome-sandbox" || true
fi

if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q /usr/share/applications || true
fi
exit 0
