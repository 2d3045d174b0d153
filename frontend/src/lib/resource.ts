// One way to load what a page shows: the answer (null until the first), the last
// failure in words (the answer before it is kept, so a page can say it is stale), a
// reload for a retry button or after an action, and, when asked, a refresh every few
// seconds, one call at a time (a slow answer is never overtaken by the next one).
// A change of `deps` is a new question: the old answer is dropped, the old call aborted.
import { useEffect, useRef, useState } from "preact/hooks";

import { errorText } from "./poll";

export interface Resource<T> {
  /** The last answer; null until the first (loading) or after a change of question. */
  data: T | null;
  /** Why the last load failed, in words; null when it succeeded. */
  error: string | null;
  /** Load again now (a retry, or after a change made here); resolves when answered. */
  reload: () => Promise<void>;
  /** Replace the answer locally (an action's result), until the next load. */
  set: (data: T) => void;
}

export interface ResourceOptions {
  /** Load again this many milliseconds after each answer; null or absent: once. */
  every?: number | null;
  /** The failure in words (default: the API's `detail`, else the status). */
  describe?: (error: unknown) => string;
}

export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[] = [],
  options: ResourceOptions = {},
): Resource<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null }>({ data: null, error: null });
  const latest = useRef({ load, describe: options.describe ?? errorText });
  latest.current = { load, describe: options.describe ?? errorText };
  // The current question's loader: reload() of an old render calls the current one.
  const run = useRef<() => Promise<void>>(async () => undefined);
  const every = options.every ?? null;

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Loads run one after the other: a reload asked during a load starts after it (it
    // may follow a change the running one does not see); only the last one re-arms.
    let chain: Promise<void> = Promise.resolve();
    const once = async () => {
      if (controller.signal.aborted) return;
      try {
        const data = await latest.current.load(controller.signal);
        if (!controller.signal.aborted) setState({ data, error: null });
      } catch (e) {
        if (controller.signal.aborted) return;
        const error = latest.current.describe(e);
        setState((prev) => ({ data: prev.data, error }));
      }
    };
    const tick = async () => {
      clearTimeout(timer);
      const next = chain.then(once);
      chain = next;
      await next;
      if (every !== null && chain === next && !controller.signal.aborted) timer = setTimeout(() => void tick(), every);
    };
    run.current = tick;
    setState({ data: null, error: null });
    void tick();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [every, ...deps]);

  return {
    data: state.data,
    error: state.error,
    reload: () => run.current(),
    set: (data: T) => setState({ data, error: null }),
  };
}
