// Time on a live stream: media time ↔ wall clock, and the timing of an fMP4 fragment.
//
// The server announces `epoch_ms`: decode time 0 of the stream was filmed at that
// wall-clock instant, and decode time `t` (in `timescale` ticks) at about
// `epoch_ms + 1000·t/timescale` (docs/ref/api.md, "Live"). A later init part may start a
// new timeline with its own epoch (the server's tailer restarted): the player keeps the
// first epoch as its base and shifts later fragments with `timestampOffset`, so that on
// the <video> element media time `m` is always wall-clock `base + 1000·m`.

/** Wall-clock milliseconds of decode time `ticks` on a stream starting at `epochMs`. */
export function wallClockMs(epochMs: number, ticks: number, timescale: number): number {
  return epochMs + (1000 * ticks) / timescale;
}

/** Wall-clock milliseconds of media time `seconds` on a video whose base epoch is `baseEpochMs`. */
export function mediaTimeToWallMs(baseEpochMs: number, seconds: number): number {
  return baseEpochMs + seconds * 1000;
}

/** The SourceBuffer `timestampOffset` (seconds) that puts a timeline starting at `epochMs`
 * on the video's timeline, whose media time 0 is `baseEpochMs`. */
export function timestampOffsetFor(baseEpochMs: number, epochMs: number): number {
  return (epochMs - baseEpochMs) / 1000;
}

export interface FragmentTiming {
  /** Decode time of the first sample, in timescale ticks (`tfdt`). */
  decodeTime: number;
  /** Sum of the samples' durations, in ticks (`trun`, or `tfhd`'s default). */
  duration: number;
  samples: number;
  /** The first sample is a sync sample (keyframe), when the flags say so. */
  keyframe: boolean | null;
}

interface Box {
  type: string;
  body: number;
  end: number;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function u64(b: Uint8Array, o: number): number {
  return u32(b, o) * 2 ** 32 + u32(b, o + 4);
}

function* boxes(b: Uint8Array, start: number, end: number): Generator<Box> {
  let o = start;
  while (o + 8 <= end) {
    let size = u32(b, o);
    let header = 8;
    if (size === 1) {
      if (o + 16 > end) return;
      size = u64(b, o + 8);
      header = 16;
    } else if (size === 0) {
      size = end - o;
    }
    if (size < header || o + size > end) return;
    const type = String.fromCharCode(b[o + 4], b[o + 5], b[o + 6], b[o + 7]);
    yield { type, body: o + header, end: o + size };
    o += size;
  }
}

function child(b: Uint8Array, box: Box, type: string): Box | null {
  for (const c of boxes(b, box.body, box.end)) if (c.type === type) return c;
  return null;
}

const SAMPLE_NON_SYNC = 0x10000;

/** Timing of the first track fragment of a `moof`+`mdat` message; null when the bytes
 * hold no readable `moof`/`traf`/`tfdt`. */
export function fragmentTiming(data: Uint8Array): FragmentTiming | null {
  for (const top of boxes(data, 0, data.length)) {
    if (top.type !== "moof") continue;
    const traf = child(data, top, "traf");
    const tfdt = traf && child(data, traf, "tfdt");
    if (!traf || !tfdt || tfdt.body + 8 > tfdt.end) return null;
    const decodeTime = data[tfdt.body] === 1 ? u64(data, tfdt.body + 4) : u32(data, tfdt.body + 4);
    let defaultDuration = 0;
    let defaultFlags: number | null = null;
    const tfhd = child(data, traf, "tfhd");
    if (tfhd) {
      const flags = u32(data, tfhd.body) & 0xffffff;
      let o = tfhd.body + 8; // version/flags, track id
      if (flags & 0x1) o += 8; // base data offset
      if (flags & 0x2) o += 4; // sample description index
      if (flags & 0x8) {
        defaultDuration = u32(data, o);
        o += 4;
      }
      if (flags & 0x10) o += 4; // default size
      if (flags & 0x20) defaultFlags = u32(data, o);
    }
    let duration = 0;
    let samples = 0;
    let keyframe: boolean | null = null;
    for (const trun of boxes(data, traf.body, traf.end)) {
      if (trun.type !== "trun") continue;
      const flags = u32(data, trun.body) & 0xffffff;
      const count = u32(data, trun.body + 4);
      let o = trun.body + 8;
      if (flags & 0x1) o += 4; // data offset
      let firstFlags: number | null = null;
      if (flags & 0x4) {
        firstFlags = u32(data, o);
        o += 4;
      }
      for (let i = 0; i < count && o <= trun.end; i++) {
        let d = defaultDuration;
        let sampleFlags = i === 0 && firstFlags !== null ? firstFlags : defaultFlags;
        if (flags & 0x100) {
          d = u32(data, o);
          o += 4;
        }
        if (flags & 0x200) o += 4; // size
        if (flags & 0x400) {
          sampleFlags = u32(data, o);
          o += 4;
        }
        if (flags & 0x800) o += 4; // composition time offset
        if (samples === 0 && sampleFlags !== null) keyframe = (sampleFlags & SAMPLE_NON_SYNC) === 0;
        duration += d;
        samples += 1;
      }
    }
    return { decodeTime, duration, samples, keyframe };
  }
  return null;
}
