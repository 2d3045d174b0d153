// Injected by bench/console_live.py before the console loads (Playwright init script).
// It reads the simulator's send-time stamps (an SEI per frame: src/beffroi/sim/stamp.py)
// out of the fragments the page hands to Media Source Extensions, and, when Chromium
// presents a frame (requestVideoFrameCallback), records presentation wall time minus
// send time: camera → screen latency, whatever the player does in between.
(() => {
  const MAGIC = Array.from("beffroi-latency!", (c) => c.charCodeAt(0));
  const sentAt = new Map(); // presentation time (ms, rounded) → send time (epoch ms)
  const samples = []; // {latency_ms, video}
  let timescale = 90000;
  window.__beffroiLatency = { samples, sentAt, appended: 0, stamps: 0 };

  const u32 = (b, o) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  const u64 = (b, o) => u32(b, o) * 4294967296 + u32(b, o + 4);
  function* boxes(b, start, end) {
    let o = start;
    while (o + 8 <= end) {
      let size = u32(b, o);
      const type = String.fromCharCode(b[o + 4], b[o + 5], b[o + 6], b[o + 7]);
      let header = 8;
      if (size === 1) { size = u64(b, o + 8); header = 16; }
      if (size === 0) size = end - o;
      if (size < header || o + size > end) return;
      yield { type, start: o, body: o + header, end: o + size };
      o += size;
    }
  }
  const child = (b, box, type) => {
    for (const c of boxes(b, box.body, box.end)) if (c.type === type) return c;
    return null;
  };

  function unescape(b, start, end) {
    const out = [];
    let zeros = 0;
    for (let i = start; i < end; i++) {
      if (zeros >= 2 && b[i] === 3) { zeros = 0; continue; }
      out.push(b[i]);
      zeros = b[i] === 0 ? zeros + 1 : 0;
    }
    return out;
  }

  function stampIn(b, start, end) {
    // AVCC: 4-byte length before each NAL unit.
    let o = start;
    while (o + 4 <= end) {
      const len = u32(b, o);
      const nal = o + 4;
      if ((b[nal] & 0x1f) === 6) {
        const raw = unescape(b, nal + 1, Math.min(nal + len, nal + 40));
        if (raw[0] === 5 && raw[1] === 24 && MAGIC.every((v, i) => raw[2 + i] === v)) {
          let us = 0;
          for (let i = 0; i < 8; i++) us = us * 256 + raw[18 + i];
          return us / 1000;
        }
      }
      o = nal + len;
    }
    return null;
  }

  function scan(b, offset) {
    for (const top of boxes(b, 0, b.length)) {
      if (top.type === "moov") {
        const trak = child(b, top, "trak");
        const mdia = trak && child(b, trak, "mdia");
        const mdhd = mdia && child(b, mdia, "mdhd");
        if (mdhd) timescale = b[mdhd.body] === 1 ? u32(b, mdhd.body + 20) : u32(b, mdhd.body + 12);
      }
      if (top.type !== "moof") continue;
      const traf = child(b, top, "traf");
      if (!traf) continue;
      const tfhd = child(b, traf, "tfhd");
      const tfdt = child(b, traf, "tfdt");
      const trun = child(b, traf, "trun");
      if (!tfhd || !tfdt || !trun) continue;
      const hflags = u32(b, tfhd.body) & 0xffffff;
      let h = tfhd.body + 8;
      if (hflags & 0x1) h += 8; // base data offset (default-base-is-moof is used)
      if (hflags & 0x2) h += 4;
      let defDuration = 0, defSize = 0;
      if (hflags & 0x8) { defDuration = u32(b, h); h += 4; }
      if (hflags & 0x10) { defSize = u32(b, h); h += 4; }
      let decode = b[tfdt.body] === 1 ? u64(b, tfdt.body + 4) : u32(b, tfdt.body + 4);
      const flags = u32(b, trun.body) & 0xffffff;
      const count = u32(b, trun.body + 4);
      let r = trun.body + 8;
      let dataOffset = 0;
      if (flags & 0x1) { dataOffset = u32(b, r) | 0; r += 4; }
      if (flags & 0x4) r += 4;
      let pos = top.start + dataOffset;
      for (let i = 0; i < count; i++) {
        let duration = defDuration, size = defSize, cto = 0;
        if (flags & 0x100) { duration = u32(b, r); r += 4; }
        if (flags & 0x200) { size = u32(b, r); r += 4; }
        if (flags & 0x400) r += 4;
        if (flags & 0x800) { cto = u32(b, r) | 0; r += 4; }
        const sent = stampIn(b, pos, pos + size);
        if (sent !== null) {
          const pts = (decode + cto) / timescale + offset;
          sentAt.set(Math.round(pts * 1000), sent);
          window.__beffroiLatency.stamps++;
        }
        pos += size;
        decode += duration;
      }
    }
  }

  const append = SourceBuffer.prototype.appendBuffer;
  SourceBuffer.prototype.appendBuffer = function (data) {
    try {
      const view = data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      window.__beffroiLatency.appended++;
      scan(view, this.timestampOffset || 0);
    } catch (e) {
      window.__beffroiLatency.error = String(e);
    }
    return append.call(this, data);
  };

  const watched = new WeakSet();
  function watch(video) {
    if (watched.has(video) || !video.requestVideoFrameCallback) return;
    watched.add(video);
    const onFrame = (_now, meta) => {
      const key = Math.round(meta.mediaTime * 1000);
      const sent = sentAt.get(key) ?? sentAt.get(key - 1) ?? sentAt.get(key + 1);
      if (sent !== undefined) {
        const shown = performance.timeOrigin + meta.expectedDisplayTime;
        samples.push({ latency_ms: shown - sent, camera: video.dataset.camera || "" });
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }
  setInterval(() => document.querySelectorAll("video").forEach(watch), 200);
})();
