// Playback of one camera's archive in the page, by HLS (hls.js over MSE).
//
// Why HLS rather than `seek` + `playback.mp4`: the playlist lists every fragment with its
// EXT-X-PROGRAM-DATE-TIME, so the instant on screen is known exactly, across gaps too
// (hls.js lays fragments end to end; the MP4 stream would need its own gap bookkeeping);
// scrubbing inside the loaded window is a plain seek (no new request, no new journal
// entry), hls.js fetches ahead for 16× and back for frame steps, and the same URLs play
// in VLC. A playlist covers 30 minutes from the chosen instant (the API allows 6 h); its
// end chains to the next one.
import { signal } from "@preact/signals";
import Hls, { type ErrorData, type LevelLoadedData } from "hls.js";

import { apiUrl } from "../../lib/api";
import { iso } from "../../lib/paris";
import { type FragmentTime, footageAt, frameStep, instantAt, mediaTimeOf, playbackWindow } from "./instant";

export type PlaybackStatus = "idle" | "loading" | "playing" | "paused" | "ended" | "error";

function frameCallbacks(video: HTMLVideoElement): boolean {
  return typeof video.requestVideoFrameCallback === "function";
}

export class PlaybackEngine {
  /** Wall time of the frame on screen (UTC ms). */
  readonly instant = signal<number | null>(null);
  readonly status = signal<PlaybackStatus>("idle");
  readonly speed = signal(1);
  /** Why nothing plays: "no_footage" or "failed". */
  readonly problem = signal<"no_footage" | "failed" | null>(null);

  private video: HTMLVideoElement | null = null;
  private hls: Hls | null = null;
  private frags: FragmentTime[] = [];
  private windowEnd = 0;
  private target: number | null = null;
  private autoplay = true;
  private timer: number | null = null;
  private readonly onEvent = () => this.sync();

  constructor(
    readonly camera: string,
    private fps: number | null = null,
    private readonly now: () => number = () => Date.now(),
  ) {}

  setFps(fps: number | null): void {
    this.fps = fps;
  }

  attach(video: HTMLVideoElement): void {
    if (this.video === video) return;
    this.detach();
    this.video = video;
    for (const name of ["timeupdate", "seeked", "playing", "pause", "ended", "waiting"]) {
      video.addEventListener(name, this.onEvent);
    }
    video.addEventListener("ended", this.onEnded);
    this.watchFrames();
    if (this.target !== null) this.open(this.target);
  }

  detach(): void {
    this.hls?.destroy();
    this.hls = null;
    this.frags = [];
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    const video = this.video;
    if (!video) return;
    for (const name of ["timeupdate", "seeked", "playing", "pause", "ended", "waiting"]) {
      video.removeEventListener(name, this.onEvent);
    }
    video.removeEventListener("ended", this.onEnded);
    this.video = null;
  }

  /** Play (or show, paused) the footage at `at`: a seek when the loaded playlist holds
   * it, a new playlist otherwise. */
  load(at: number, autoplay = true): void {
    this.autoplay = autoplay;
    this.target = at;
    this.problem.value = null;
    const inside = mediaTimeOf(this.frags, at);
    if (this.video && this.hls && inside !== null) {
      this.video.currentTime = inside;
      this.instant.value = instantAt(this.frags, inside);
      if (autoplay) void this.video.play().catch(() => undefined);
      return;
    }
    if (this.video) this.open(at);
  }

  /** Whether the loaded playlist has footage at `at`: false in a gap, null when `at` is
   * outside it (or nothing is loaded: `load` would fetch another playlist). */
  covers(at: number): boolean | null {
    return this.hls ? footageAt(this.frags, at) : null;
  }

  play(): void {
    if (!this.video) return;
    if (this.status.value === "ended" && this.instant.value !== null) {
      this.load(this.instant.value);
      return;
    }
    void this.video.play().catch(() => undefined);
  }

  pause(): void {
    this.video?.pause();
  }

  toggle(): void {
    if (!this.video || this.video.paused) this.play();
    else this.pause();
  }

  setSpeed(speed: number): void {
    this.speed.value = speed;
    if (this.video) {
      this.video.playbackRate = speed;
      this.video.defaultPlaybackRate = speed;
    }
  }

  /** Pause, then move one frame back (-1) or forward (+1). */
  step(direction: -1 | 1): void {
    const video = this.video;
    if (!video || this.frags.length === 0) return;
    video.pause();
    video.currentTime = frameStep(video.currentTime, direction, this.fps);
    this.instant.value = instantAt(this.frags, video.currentTime);
  }

  private open(at: number): void {
    const video = this.video;
    if (!video) return;
    this.hls?.destroy();
    this.frags = [];
    this.status.value = "loading";
    const { start, end } = playbackWindow(at, this.now());
    this.windowEnd = end;
    const url = apiUrl(`/api/cameras/${encodeURIComponent(this.camera)}/playback.m3u8`, {
      start: iso(start),
      end: iso(end),
    });
    if (!Hls.isSupported()) {
      this.fail("failed");
      return;
    }
    // No worker: the page's CSP allows scripts from 'self' only, not blob: workers, and
    // fMP4 needs no transmuxing anyway.
    const hls = new Hls({
      enableWorker: false,
      autoStartLoad: false,
      maxBufferLength: 60,
      backBufferLength: 60,
      startFragPrefetch: true,
    });
    this.hls = hls;
    hls.on(Hls.Events.LEVEL_LOADED, (_e, data: LevelLoadedData) => this.onLevel(hls, data));
    hls.on(Hls.Events.ERROR, (_e, data: ErrorData) => this.onError(hls, data));
    hls.loadSource(url);
    hls.attachMedia(video);
    video.playbackRate = this.speed.value;
    video.defaultPlaybackRate = this.speed.value;
  }

  private onLevel(hls: Hls, data: LevelLoadedData): void {
    if (hls !== this.hls) return;
    const first = this.frags.length === 0;
    this.frags = data.details.fragments.map((f) => ({
      start: f.start,
      duration: f.duration,
      pdt: f.programDateTime ?? 0,
    }));
    if (!first || this.frags.length === 0) return;
    const target = this.target ?? this.frags[0].pdt;
    const position = mediaTimeOf(this.frags, target) ?? 0;
    hls.startLoad(position); // hls.js seeks there once the first fragment is buffered
    const video = this.video;
    if (!video) return;
    this.instant.value = instantAt(this.frags, position);
    if (this.autoplay) void video.play().catch(() => undefined);
    else this.status.value = "paused";
  }

  private onError(hls: Hls, data: ErrorData): void {
    if (hls !== this.hls || !data.fatal) return;
    const code = data.response?.code;
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && (code === 404 || code === 422)) {
      this.fail("no_footage");
    } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
      hls.recoverMediaError();
    } else {
      this.fail("failed");
    }
  }

  private fail(problem: "no_footage" | "failed"): void {
    this.problem.value = problem;
    this.status.value = "error";
    this.hls?.destroy();
    this.hls = null;
  }

  private readonly onEnded = () => {
    // The playlist's window is played: go on from its end while newer footage exists.
    if (this.now() - this.windowEnd > 5000) {
      this.target = this.windowEnd;
      this.autoplay = true;
      this.open(this.windowEnd);
    } else {
      this.status.value = "ended";
    }
  };

  /** The instant of the frame presented (requestVideoFrameCallback where the browser
   * has it: exact per frame; the media events and a timer otherwise). */
  private watchFrames(): void {
    const video = this.video;
    if (!video) return;
    if (frameCallbacks(video)) {
      const onFrame: VideoFrameRequestCallback = (_now, meta) => {
        if (this.video !== video) return;
        const at = instantAt(this.frags, meta.mediaTime);
        if (at !== null) this.instant.value = at;
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }
    this.timer = window.setInterval(() => this.sync(), 250);
  }

  private sync(): void {
    const video = this.video;
    if (!video || !this.hls) return;
    if (video.paused) {
      if (this.status.value !== "ended" && this.status.value !== "error" && this.frags.length) {
        this.status.value = video.ended ? "ended" : "paused";
      }
      // Paused: the frame shown is at currentTime (frame steps, seeks).
      const at = instantAt(this.frags, video.currentTime);
      if (at !== null && !video.seeking) this.instant.value = at;
    } else if (video.readyState >= 3) {
      this.status.value = "playing";
      if (!frameCallbacks(video)) {
        const at = instantAt(this.frags, video.currentTime);
        if (at !== null) this.instant.value = at;
      }
    } else {
      this.status.value = "loading";
    }
  }
}
