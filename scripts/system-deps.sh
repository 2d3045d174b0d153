#!/usr/bin/env bash
# System packages the test suite needs: the PostgreSQL server (the suite runs on
# SQLite and PostgreSQL), Debian's Chromium (browser tests drive it with Playwright,
# whose own browser download is never used), and the third-party RTSP servers that
# tests/peers runs (GStreamer, VLC, FFmpeg). Installed with apt-get when running as
# root, else the exact command to run is printed.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)  # the MQTT broker the on-call tests start
# Third-party RTSP cameras (tests/peers): gst-rtsp-server driven from Debian's python3,
# with x264/x265, AAC and A-law encoders; VLC's RTSP server; Debian's ffmpeg with libx264.
gst=/usr/lib/*/gstreamer-1.0
ls /usr/lib/*/girepository-1.0/GstRtspServer-1.0.typelib >/dev/null 2>&1 \
  || missing+=(gir1.2-gst-rtsp-server-1.0)
[ -f /usr/lib/python3/dist-packages/gi/__init__.py ] || missing+=(python3-gi)
[ -f /usr/lib/python3/dist-packages/gi/overrides/Gst.py ] || missing+=(python3-gst-1.0)
ls $gst/libgstvideotestsrc.so >/dev/null 2>&1 || missing+=(gstreamer1.0-plugins-base)
ls $gst/libgstrtp.so >/dev/null 2>&1 || missing+=(gstreamer1.0-plugins-good)
ls $gst/libgstx264.so >/dev/null 2>&1 || missing+=(gstreamer1.0-plugins-ugly)
ls $gst/libgstx265.so >/dev/null 2>&1 || missing+=(gstreamer1.0-plugins-bad)
ls $gst/libgstlibav.so >/dev/null 2>&1 || missing+=(gstreamer1.0-libav)
[ -x /usr/bin/cvlc ] || missing+=(vlc-bin)
ls /usr/lib/*/vlc/plugins/stream_out/libstream_out_rtp_plugin.so >/dev/null 2>&1 \
  || missing+=(vlc-plugin-base)
[ -x /usr/bin/ffmpeg ] || missing+=(ffmpeg)
[ -x /usr/bin/systemd-analyze ] || missing+=(systemd)  # checks deploy/systemd's unit
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "missing system packages: run 'sudo apt-get install -y ${missing[*]}'" >&2
  exit 1
fi
