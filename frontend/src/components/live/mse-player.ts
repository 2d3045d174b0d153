// Live video of one camera: fMP4 over the API's WebSocket into Media Source Extensions.
//
// Protocol (docs/ref/api.md, "Live"): a JSON text frame {type:"init", codec, mime, width,
// height, fps, timescale, epoch_ms}, the init part (binary), then moof+mdat fragments
// (binary); a later JSON init announces a new init part. The player keeps the playhead
// one fragment behind the newest bytes (policy.ts), trims what was played, reconnects
// with backoff, and stops for good on 4401/4403/4404.
//
// Privacy masks (a later issue): a masked camera's stream will come from a server-side
// decode → mask → encode stage (`beffroi.live.hub.SourceFactory`) with this very
// protocol, its own init part and fragments. Nothing here needs to change for it, and
// nothing here may try to "unmask" anything: the browser only ever gets what the server
// chose to send.
import { SESSION_LOST, wsUrl } from "../../lib/api";
import { backoffS, type CloseReason, closeReason, decide, emergencyTrim, isHevc, type Range, rangesOf, trimRange, unstick } from "./policy";
import { fragmentTiming, mediaTimeToWallMs, timestampOffsetFor } from "./timeline";

export interface StreamHeader {
  type: "init";
  codec: string;
  mime: string;
  width: number | null;
  height: number | null;
  fps: number | null;
  timescale: number;
  epoch_ms: number;
}

export type PlayerState =
  | { state: "connecting" }
  | { state: "playing" }
  | { state: "waiting" } // connected, no new picture for a while
  | { state: "paused" } // hidden tab
  | { state: "retrying"; reason: CloseReason; inS: number }
  | { state: "failed"; reason: CloseReason }
  | { state: "unsupported"; codec: string; hevc: boolean };

export interface PlayerOptions {
  onState?: (state: PlayerState) => void;
  /** Close the socket after the tab has been hidden this long (ms); null: never. */
  pauseHiddenAfterMs?: number | null;
  /** Test seams. */
  socket?: (url: string) => WebSocket;
  isTypeSupported?: (mime: string) => boolean;
}

type Op =
  | { kind: "append"; data: Uint8Array; chunk: number | null }
  | { kind: "remove"; range: Range }
  | { kind: "offset"; seconds: number }
  | { kind: "type"; mime: string };

const TICK_MS = 250;
const NO_PICTURE_MS = 6000;

export class LivePlayer {
  private ws: WebSocket | null = null;
  private media: MediaSource | null = null;
  private objectUrl: string | null = null;
  private buffer: SourceBuffer | null = null;
  private ops: Op[] = [];
  private header: StreamHeader | null = null;
  private expectInit = false;
  private baseEpochMs: number | null = null;
  private chunk = 1;
  /** When the newest fragment was appended (performance.now()), and whether one is being. */
  private appendedAt = 0;
  private appendingFragment = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private hiddenTimer: ReturnType<typeof setTimeout> | null = null;
  private tick: ReturnType<typeof setInterval> | null = null;
  private lastFragmentAt = 0;
  private lastTime = -1;
  private stillSince = 0;
  private stopped = true;
  private current: PlayerState = { state: "connecting" };

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly camera: string,
    private readonly options: PlayerOptions = {},
  ) {}

  get state(): PlayerState {
    return this.current;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    document.addEventListener("visibilitychange", this.onVisibility);
    this.video.addEventListener("error", this.onMediaError);
    this.tick = setInterval(this.onTick, TICK_MS);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    document.removeEventListener("visibilitychange", this.onVisibility);
    this.video.removeEventListener("error", this.onMediaError);
    if (this.tick) clearInterval(this.tick);
    if (this.hiddenTimer) clearTimeout(this.hiddenTimer);
    this.tick = this.hiddenTimer = null;
    this.disconnect();
  }

  private set(state: PlayerState): void {
    this.current = state;
    this.video.dataset.state = state.state;
    this.options.onState?.(state);
  }

  private connect(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.set({ state: "connecting" });
    const url = wsUrl(`/api/cameras/${encodeURIComponent(this.camera)}/live`);
    // The session cookie authenticates (same origin); the server answers this subprotocol.
    const ws = this.options.socket ? this.options.socket(url) : new WebSocket(url, ["beffroi.live"]);
    ws.binaryType = "arraybuffer";
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      if (typeof event.data === "string") this.onHeader(event.data);
      else this.onBytes(new Uint8Array(event.data as ArrayBuffer));
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.onClosed(event.code);
    };
    this.ws = ws;
  }

  /** Socket, MediaSource and timers of this connection; the <video> is kept. */
  private disconnect(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= 1) ws.close(1000);
    this.ops = [];
    this.buffer = null;
    this.header = null;
    this.expectInit = false;
    this.baseEpochMs = null;
    if (this.media?.readyState === "open") {
      try {
        this.media.endOfStream();
      } catch {
        /* already ending */
      }
    }
    this.media = null;
    if (this.objectUrl) {
      this.video.removeAttribute("src");
      this.video.load();
      URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = null;
    }
  }

  private onClosed(code: number): void {
    this.disconnect();
    if (this.stopped) return;
    const { reason, retry } = closeReason(code);
    if (reason === "session_lost") window.dispatchEvent(new CustomEvent(SESSION_LOST));
    if (!retry) {
      this.set({ state: "failed", reason });
      return;
    }
    const inS = backoffS(this.attempt++);
    this.set({ state: "retrying", reason, inS });
    this.retryTimer = setTimeout(() => this.connect(), inS * 1000);
  }

  private onHeader(text: string): void {
    let header: StreamHeader;
    try {
      header = JSON.parse(text) as StreamHeader;
    } catch {
      return;
    }
    if (header.type !== "init") return;
    const supported = this.options.isTypeSupported ?? ((m: string) => MediaSource.isTypeSupported(m));
    if (!supported(header.mime)) {
      // No transcoding server-side: say so and stop (retrying would not help).
      const ws = this.ws;
      this.ws = null;
      ws?.close(1000);
      this.disconnect();
      this.set({ state: "unsupported", codec: header.codec, hevc: isHevc(header.mime) || isHevc(header.codec) });
      return;
    }
    const previous = this.header;
    this.header = header;
    this.expectInit = true;
    const v = this.video.dataset;
    v.codec = header.codec;
    v.mime = header.mime;
    v.timescale = String(header.timescale);
    if (this.baseEpochMs === null) {
      this.baseEpochMs = header.epoch_ms;
      v.epochMs = String(header.epoch_ms);
    }
    if (previous) {
      // A new init part on the same video: the new codec, and its timeline placed after
      // the first one (queued: they apply in order with the appends around them).
      if (previous.mime !== header.mime) this.ops.push({ kind: "type", mime: header.mime });
      this.ops.push({ kind: "offset", seconds: timestampOffsetFor(this.baseEpochMs, header.epoch_ms) });
    }
  }

  private onBytes(data: Uint8Array): void {
    if (!this.header) return;
    if (this.expectInit) {
      this.expectInit = false;
      if (!this.media) this.open(this.header, data);
      else this.enqueue({ kind: "append", data, chunk: null });
      return;
    }
    const timing = fragmentTiming(data);
    const chunk = timing && timing.duration > 0 ? timing.duration / this.header.timescale : null;
    this.lastFragmentAt = performance.now();
    this.enqueue({ kind: "append", data, chunk });
  }

  private open(header: StreamHeader, init: Uint8Array): void {
    const media = new MediaSource();
    this.media = media;
    this.objectUrl = URL.createObjectURL(media);
    this.video.src = this.objectUrl;
    this.ops.unshift({ kind: "append", data: init, chunk: null });
    media.addEventListener(
      "sourceopen",
      () => {
        if (media !== this.media) return;
        const buffer = media.addSourceBuffer(header.mime);
        buffer.mode = "segments"; // decode times place each fragment (gaps stay gaps)
        buffer.addEventListener("updateend", () => this.afterUpdate(buffer));
        this.buffer = buffer;
        this.pump();
      },
      { once: true },
    );
  }

  private enqueue(op: Op): void {
    this.ops.push(op);
    this.pump();
  }

  private pump(): void {
    const buffer = this.buffer;
    if (!buffer || buffer.updating || this.media?.readyState !== "open") return;
    const op = this.ops.shift();
    if (!op) return;
    try {
      if (op.kind === "append") {
        if (op.chunk !== null) this.chunk = op.chunk;
        this.appendingFragment = op.chunk !== null;
        buffer.appendBuffer(op.data as Uint8Array<ArrayBuffer>);
      } else if (op.kind === "remove") {
        buffer.remove(op.range[0], op.range[1]);
      } else if (op.kind === "offset") {
        buffer.timestampOffset = op.seconds;
        this.pump();
      } else {
        if (typeof buffer.changeType !== "function") throw new Error("changeType unsupported");
        buffer.changeType(op.mime);
        this.pump();
      }
    } catch (error) {
      if (op.kind === "append" && error instanceof DOMException && error.name === "QuotaExceededError") {
        const cut = emergencyTrim(rangesOf(buffer.buffered), this.video.currentTime);
        if (cut) {
          this.ops.unshift({ kind: "remove", range: cut }, op);
          this.pump();
        }
        return; // nothing to free: this fragment is lost, the next keyframe heals it
      }
      this.onMediaError();
    }
  }

  private afterUpdate(buffer: SourceBuffer): void {
    if (buffer !== this.buffer) return;
    if (this.appendingFragment) this.appendedAt = performance.now();
    this.appendingFragment = false;
    this.steer();
    this.pump();
  }

  /** The live-edge policy, applied after each append and on each tick. Between two
   * fragments, the newest one is being played: what an on-time player still has ahead
   * shrinks as time passes, so the fragment counts for what is left of it. */
  private steer(): void {
    const buffer = this.buffer;
    if (!buffer || buffer.updating) return;
    const video = this.video;
    const ranges = rangesOf(buffer.buffered);
    const ahead = Math.max(0, this.chunk - (performance.now() - this.appendedAt) / 1000);
    const decision = decide({ currentTime: video.currentTime, ranges, chunk: ahead });
    if (decision.seek !== null) video.currentTime = decision.seek;
    if (video.playbackRate !== decision.playbackRate) video.playbackRate = decision.playbackRate;
    const cut = trimRange(ranges, video.currentTime);
    if (cut && !this.ops.some((op) => op.kind === "remove")) this.ops.push({ kind: "remove", range: cut });
    if (ranges.length > 0 && video.paused) void video.play().catch(() => undefined);
    const end = ranges.length ? ranges[ranges.length - 1][1] : null;
    video.dataset.lag = end === null ? "" : (end - video.currentTime).toFixed(3);
    if (this.baseEpochMs !== null) {
      video.dataset.wallMs = String(Math.round(mediaTimeToWallMs(this.baseEpochMs, video.currentTime)));
    }
  }

  private onTick = (): void => {
    if (!this.buffer || this.ws === null) return;
    const video = this.video;
    const now = performance.now();
    if (video.currentTime !== this.lastTime) {
      this.lastTime = video.currentTime;
      this.stillSince = now;
      if (this.current.state !== "playing") {
        this.attempt = 0; // a picture moves: the next failure starts the backoff afresh
        this.set({ state: "playing" });
      }
    } else if (!this.buffer.updating) {
      const ranges = rangesOf(this.buffer.buffered);
      const state = { currentTime: video.currentTime, ranges, chunk: this.chunk };
      const to = unstick(state, (now - this.stillSince) / 1000);
      if (to !== null) video.currentTime = to;
    }
    if (now - this.lastFragmentAt > NO_PICTURE_MS && this.current.state === "playing") {
      this.set({ state: "waiting" });
    }
    this.steer();
  };

  private onMediaError = (): void => {
    // A decode error (or a refused append): start again on a fresh MediaSource.
    if (this.stopped || !this.ws) return;
    const ws = this.ws;
    this.ws = null;
    ws.close(1000);
    this.onClosed(1006);
  };

  private onVisibility = (): void => {
    const delay = this.options.pauseHiddenAfterMs === undefined ? 5000 : this.options.pauseHiddenAfterMs;
    if (delay === null) return;
    if (document.hidden) {
      if (this.hiddenTimer) return;
      this.hiddenTimer = setTimeout(() => {
        this.hiddenTimer = null;
        if (!document.hidden || this.stopped) return;
        this.disconnect(); // closes the socket: the server journals live.stop
        this.set({ state: "paused" });
      }, delay);
    } else {
      if (this.hiddenTimer) clearTimeout(this.hiddenTimer);
      this.hiddenTimer = null;
      if (this.current.state === "paused" && !this.stopped) this.connect();
    }
  };
}
