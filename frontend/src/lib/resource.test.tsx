import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ApiError } from "./api";
import { type Resource, type ResourceOptions, useResource } from "./resource";

let root: HTMLElement;
let seen: Resource<string>;

function Probe(props: { load: (signal: AbortSignal) => Promise<string>; question?: string; options?: ResourceOptions }) {
  seen = useResource(props.load, [props.question], props.options);
  return null;
}

const flush = () => act(async () => {});
const advance = (ms: number) =>
  act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });

beforeEach(() => {
  root = document.createElement("div");
});

afterEach(() => {
  render(null, root);
  vi.useRealTimers();
});

describe("useResource", () => {
  it("has no answer while loading, then the answer", async () => {
    let answer!: (v: string) => void;
    const load = () => new Promise<string>((resolve) => (answer = resolve));
    await act(() => render(<Probe load={load} />, root));
    expect(seen.data).toBeNull();
    expect(seen.error).toBeNull();
    await act(async () => answer("cameras"));
    expect(seen.data).toBe("cameras");
  });

  it("keeps the last answer when a load fails, says why, and a reload retries", async () => {
    const load = vi
      .fn<(s: AbortSignal) => Promise<string>>()
      .mockResolvedValueOnce("v1")
      .mockRejectedValueOnce(new ApiError(503, "storage down"));
    await act(() => render(<Probe load={load} />, root));
    await flush();
    expect(seen.data).toBe("v1");
    await act(() => seen.reload());
    expect(seen.data).toBe("v1");
    expect(seen.error).toBe("storage down");
    load.mockResolvedValueOnce("v2");
    await act(() => seen.reload());
    expect(seen).toMatchObject({ data: "v2", error: null });
  });

  it("describes a failure with the caller's words when given", async () => {
    const load = () => Promise.reject(new ApiError(403, "forbidden"));
    await act(() => render(<Probe load={load} options={{ describe: () => "refusé" }} />, root));
    await flush();
    expect(seen).toMatchObject({ data: null, error: "refusé" });
  });

  it("drops the old answer and aborts the old call when the question changes", async () => {
    const signals: AbortSignal[] = [];
    const load = (signal: AbortSignal) => {
      signals.push(signal);
      return signals.length === 1 ? Promise.resolve("a") : new Promise<string>(() => undefined);
    };
    await act(() => render(<Probe load={load} question="a" />, root));
    await flush();
    expect(seen.data).toBe("a");
    await act(() => render(<Probe load={load} question="b" />, root));
    expect(seen.data).toBeNull();
    expect(signals[0].aborted).toBe(true);
    expect(signals[1].aborted).toBe(false);
  });

  it("loads again every `every` ms, one call at a time, and stops when unmounted", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const load = async () => `answer ${++calls}`;
    await act(() => render(<Probe load={load} options={{ every: 1000 }} />, root));
    await advance(0);
    expect(seen.data).toBe("answer 1");
    await advance(1000);
    expect(seen.data).toBe("answer 2");
    await act(() => seen.reload()); // a reload re-arms the timer, it does not add one
    await advance(1000);
    expect(calls).toBe(4);
    render(null, root);
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(4);
  });
});
