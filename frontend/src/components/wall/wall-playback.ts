// The wall's synchronized playback: one PlaybackEngine per camera on the wall (the camera
// page's engine, unchanged), one instant, one speed, one play/pause. Every tick the clock
// tile's instant becomes the wall's and the other tiles are corrected (sync.ts).
import { signal } from "@preact/signals";

import { PlaybackEngine } from "../playback/engine";
import { type Anchor, correction, extrapolate, leaderOf, type TileState } from "./sync";

const TICK_MS = 250;

export class WallPlayback {
  /** The wall's instant (UTC ms): the clock tile's picture. */
  readonly instant = signal<number | null>(null);
  readonly playing = signal(true);
  readonly speed = signal(1);
  /** Cameras without footage at the wall's instant (their tiles say so). */
  readonly held = signal<ReadonlySet<string>>(new Set());

  private readonly engines = new Map<string, PlaybackEngine>();
  private readonly lastSeek = new Map<string, number>();
  /** When each tile that had played since its last seek began buffering, while it is:
   * a stall is loaded again (sync.ts); a first load after a seek is left to finish. */
  private readonly loadingSince = new Map<string, number>();
  private readonly played = new Set<string>();
  private cameras: string[] = [];
  private anchor: Anchor | null = null;
  private timer: number | null = null;

  constructor(private readonly mono: () => number = () => performance.now()) {}

  engine(camera: string): PlaybackEngine {
    let engine = this.engines.get(camera);
    if (!engine) {
      engine = new PlaybackEngine(camera);
      engine.setSpeed(this.speed.value);
      this.engines.set(camera, engine);
      if (this.anchor) this.seekOne(camera, this.clock());
    }
    return engine;
  }

  /** The cameras on the wall, in tile order: the first is the clock when it has footage. */
  setCameras(cameras: string[]): void {
    this.cameras = cameras;
    for (const camera of [...this.engines.keys()]) {
      if (!cameras.includes(camera)) {
        this.engines.get(camera)?.detach();
        this.engines.delete(camera);
      }
    }
    for (const camera of cameras) this.engine(camera);
  }

  start(): void {
    if (this.timer === null) this.timer = window.setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    for (const engine of this.engines.values()) engine.detach();
  }

  /** Every tile to `at`. */
  seek(at: number): void {
    this.anchor = { at, mono: this.mono() };
    this.instant.value = at;
    this.held.value = new Set();
    for (const camera of this.cameras) this.seekOne(camera, at);
  }

  play(): void {
    this.playing.value = true;
    this.anchor = { at: this.clock(), mono: this.mono() };
    for (const engine of this.engines.values()) engine.play();
  }

  pause(): void {
    this.playing.value = false;
    this.anchor = { at: this.clock(), mono: this.mono() };
    for (const engine of this.engines.values()) engine.pause();
  }

  toggle(): void {
    if (this.playing.value) this.pause();
    else this.play();
  }

  setSpeed(speed: number): void {
    this.anchor = { at: this.clock(), mono: this.mono() };
    this.speed.value = speed;
    for (const engine of this.engines.values()) engine.setSpeed(speed);
  }

  private seekOne(camera: string, at: number): void {
    this.lastSeek.set(camera, this.mono());
    this.loadingSince.delete(camera);
    this.played.delete(camera);
    this.engines.get(camera)?.load(at, this.playing.value);
  }

  /** The wall's instant as the clock runs on its own (between ticks, without a tile). */
  private clock(): number {
    if (!this.anchor) return this.instant.value ?? Date.now();
    const advancing = this.playing.value && this.cameras.some((c) => this.engines.get(c)?.status.value === "playing");
    return extrapolate(this.anchor, this.mono(), this.speed.value, advancing);
  }

  tick(): void {
    if (!this.anchor) return;
    const now = this.mono();
    const expected = this.clock();
    const held = this.held.value;
    const states: TileState[] = this.cameras.map((camera) => {
      const engine = this.engine(camera);
      const status = engine.status.value;
      if (status === "playing") this.played.add(camera);
      if (status !== "loading") this.loadingSince.delete(camera);
      else if (this.played.has(camera) && !this.loadingSince.has(camera)) this.loadingSince.set(camera, now);
      return {
        instant: engine.instant.value,
        status: engine.status.value,
        covers: engine.covers(expected),
        held: held.has(camera),
        sinceSeek: now - (this.lastSeek.get(camera) ?? -Infinity),
        stalled: now - (this.loadingSince.get(camera) ?? now),
      };
    });
    const leader = leaderOf(states, expected, this.speed.value, this.playing.value);
    const clock = leader >= 0 ? (states[leader].instant ?? expected) : expected;
    this.anchor = { at: clock, mono: now };
    this.instant.value = clock;
    const nextHeld = new Set(held);
    this.cameras.forEach((camera, i) => {
      if (i === leader) {
        nextHeld.delete(camera);
        return;
      }
      const engine = this.engine(camera);
      const state = { ...states[i], covers: engine.covers(clock) };
      switch (correction(clock, state, this.speed.value, this.playing.value)) {
        case "seek":
          nextHeld.delete(camera);
          this.seekOne(camera, clock);
          break;
        case "hold":
          nextHeld.add(camera);
          engine.pause();
          break;
        case "play":
          engine.play();
          break;
        case "pause":
          engine.pause();
          break;
      }
    });
    if (nextHeld.size !== held.size || [...nextHeld].some((c) => !held.has(c))) this.held.value = nextHeld;
  }
}
