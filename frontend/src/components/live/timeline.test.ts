import { describe, expect, it } from "vitest";

import { fragmentTiming, mediaTimeToWallMs, timestampOffsetFor, wallClockMs } from "./timeline";

function box(type: string, ...parts: Uint8Array[]): Uint8Array {
  const size = 8 + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, size);
  out.set(
    [...type].map((c) => c.charCodeAt(0)),
    4,
  );
  let o = 8;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function u32s(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    view.setUint32(i * 4, v);
  });
  return out;
}

const NON_SYNC = 0x10000;

/** moof(mfhd, traf(tfhd, tfdt v1, trun)) + mdat, as FFmpeg writes them. */
function fragment(opts: {
  decode: number;
  durations?: number[];
  defaultDuration?: number;
  count?: number;
  firstSync?: boolean;
}): Uint8Array {
  const tfhdFlags = 0x20000 | (opts.defaultDuration ? 0x8 : 0) | 0x20; // default-base-is-moof
  const tfhd = box("tfhd", u32s(tfhdFlags, 1, ...(opts.defaultDuration ? [opts.defaultDuration] : []), NON_SYNC));
  const hi = Math.floor(opts.decode / 2 ** 32);
  const tfdt = box("tfdt", u32s(0x01000000, hi, opts.decode >>> 0));
  const perSample = opts.durations !== undefined;
  const count = opts.durations?.length ?? opts.count ?? 1;
  const trunFlags = 0x1 | 0x4 | (perSample ? 0x100 : 0) | 0x200;
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    if (perSample) samples.push(opts.durations![i]);
    samples.push(100); // size
  }
  const first = opts.firstSync === false ? NON_SYNC : 0;
  const trun = box("trun", u32s(trunFlags, count, 0, first, ...samples));
  const moof = box("moof", box("mfhd", u32s(0, 7)), box("traf", tfhd, tfdt, trun));
  return new Uint8Array([...moof, ...box("mdat", new Uint8Array(count * 100))]);
}

describe("wall clock of a live stream", () => {
  it("places decode time t at epoch + t/timescale", () => {
    expect(wallClockMs(1_764_000_000_000, 90_000 * 61.5, 90_000)).toBe(1_764_000_061_500);
    expect(wallClockMs(1000, 0, 15360)).toBe(1000);
  });

  it("maps video media time back to the wall clock through the first epoch", () => {
    const base = 1_764_000_000_000;
    // A second timeline (the tailer restarted) starts 3600.25 s later: its decode time 0
    // goes at media time 3600.25 on the video, and reads as its own epoch.
    const offset = timestampOffsetFor(base, base + 3_600_250);
    expect(offset).toBeCloseTo(3600.25, 9);
    expect(mediaTimeToWallMs(base, offset + 2)).toBe(base + 3_602_250);
  });
});

describe("fragment timing", () => {
  it("reads tfdt and per-sample durations", () => {
    const t = fragmentTiming(fragment({ decode: 2 ** 33 + 5, durations: [512, 512, 1024] }));
    expect(t).toEqual({ decodeTime: 2 ** 33 + 5, duration: 2048, samples: 3, keyframe: true });
  });

  it("falls back on tfhd's default duration and sees a non-keyframe start", () => {
    const t = fragmentTiming(fragment({ decode: 90_000, defaultDuration: 6000, count: 15, firstSync: false }));
    expect(t).toMatchObject({ decodeTime: 90_000, duration: 90_000, samples: 15, keyframe: false });
  });

  it("gives null for bytes that hold no fragment", () => {
    expect(fragmentTiming(new Uint8Array([0, 0, 0, 8, 0x66, 0x74, 0x79, 0x70]))).toBeNull();
    expect(fragmentTiming(new Uint8Array(3))).toBeNull();
    const cut = fragment({ decode: 1, durations: [1] });
    expect(fragmentTiming(cut.slice(0, 20))).toBeNull();
  });
});
