#!/bin/sh
# Rasterises the hub's SVG icons into the PNG sizes the web manifest and iOS need, with the
# Debian Chromium (no network, no image libraries). Run after editing web/public/icons/*.svg.
set -eu
cd "$(dirname "$0")/../web/public/icons"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
shot() { # svg size out
  "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --default-background-color=00000000 --window-size="$2,$2" --screenshot="$PWD/$3" "file://$PWD/$1" 2>/dev/null
}
shot icon.svg 192 icon-192.png
shot icon.svg 512 icon-512.png
shot maskable.svg 512 maskable-512.png
shot maskable.svg 180 apple-touch-icon.png
