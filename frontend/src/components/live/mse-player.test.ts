import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { SESSION_LOST } from "../../lib/api";
import { LivePlayer, type PlayerState } from "./mse-player";

class FakeSocket {
  binaryType = "blob";
  readyState = 1;
  closedWith: number | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  constructor(readonly url: string) {}
  close(code: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  /** The server closes the socket. */
  serverClose(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  send(data: unknown): void {
    this.onmessage?.({ data });
  }
}

const HEVC = {
  type: "init",
  codec: "hvc1.1.6.L93.B0",
  mime: 'video/mp4; codecs="hvc1.1.6.L93.B0"',
  width: 1280,
  height: 720,
  fps: 15,
  timescale: 90000,
  epoch_ms: 1_764_000_000_000,
};

function player(supported = true) {
  const sockets: FakeSocket[] = [];
  const states: PlayerState[] = [];
  const video = document.createElement("video");
  const p = new LivePlayer(video, "jlt-001", {
    onState: (s) => states.push(s),
    socket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s as unknown as WebSocket;
    },
    isTypeSupported: () => supported,
  });
  p.start();
  return { p, sockets, states, video };
}

describe("live player connection", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("opens the camera's live socket", () => {
    const { sockets, states, p } = player();
    expect(sockets).toHaveLength(1);
    expect(sockets[0].url).toMatch(/^ws:\/\/[^/]+\/api\/cameras\/jlt-001\/live$/);
    expect(sockets[0].binaryType).toBe("arraybuffer");
    expect(states).toEqual([{ state: "connecting" }]);
    p.stop();
    expect(sockets[0].closedWith).toBe(1000);
  });

  it("says H.265 cannot be decoded here and does not retry", () => {
    const { sockets, states, video } = player(false);
    sockets[0].send(JSON.stringify(HEVC));
    expect(states.at(-1)).toEqual({ state: "unsupported", codec: HEVC.codec, hevc: true });
    expect(sockets[0].closedWith).toBe(1000);
    expect(video.dataset.state).toBe("unsupported");
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });

  it("stops for good on a refusal", () => {
    for (const [code, reason] of [
      [4403, "forbidden"],
      [4404, "unknown_camera"],
    ] as const) {
      const { sockets, states } = player();
      sockets[0].serverClose(code);
      expect(states.at(-1)).toEqual({ state: "failed", reason });
      vi.advanceTimersByTime(60_000);
      expect(sockets).toHaveLength(1);
    }
  });

  it("tells the app the session is gone on 4401", () => {
    const lost = vi.fn();
    window.addEventListener(SESSION_LOST, lost);
    const { sockets, states } = player();
    sockets[0].serverClose(4401);
    expect(lost).toHaveBeenCalledOnce();
    expect(states.at(-1)).toEqual({ state: "failed", reason: "session_lost" });
    window.removeEventListener(SESSION_LOST, lost);
  });

  it("reconnects with a growing delay when the socket drops", () => {
    const { sockets, states, p } = player();
    sockets[0].serverClose(1006);
    expect(states.at(-1)).toEqual({ state: "retrying", reason: "lost", inS: 1 });
    vi.advanceTimersByTime(999);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    sockets[1].serverClose(1013);
    expect(states.at(-1)).toEqual({ state: "retrying", reason: "unavailable", inS: 2 });
    vi.advanceTimersByTime(2000);
    expect(sockets).toHaveLength(3);
    p.stop();
    sockets[2].serverClose(1006); // after stop: nothing more
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(3);
  });

  it("announces the stream's timeline on the video element", () => {
    const { sockets, video } = player();
    sockets[0].send(JSON.stringify({ ...HEVC, codec: "avc1.64001f", mime: 'video/mp4; codecs="avc1.64001f"' }));
    expect(video.dataset.epochMs).toBe("1764000000000");
    expect(video.dataset.timescale).toBe("90000");
    expect(video.dataset.codec).toBe("avc1.64001f");
  });
});
