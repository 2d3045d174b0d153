// Run a loader every `ms` while the component is shown (and `ms` is not null), one call
// at a time: a slow answer is never overtaken by the next one. The first load is the
// caller's (usually in its own effect).
import { useEffect, useRef } from "preact/hooks";

export function usePoll(load: () => Promise<unknown>, ms: number | null, deps: unknown[] = []): void {
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    if (ms === null) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        await latest.current();
      } catch {
        // the loader shows its own error; keep polling
      }
      if (!stopped) timer = setTimeout(tick, ms);
    };
    timer = setTimeout(tick, ms);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [ms, ...deps]);
}

/** The API's refusal in words for a banner: its `detail` string, else the status. */
export function errorText(e: unknown): string {
  if (e && typeof e === "object" && "detail" in e) {
    const detail = (e as { detail: unknown; status?: number }).detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d: { msg?: string }) => d.msg ?? "").join(" ; ");
    return `HTTP ${(e as { status?: number }).status ?? "?"}`;
  }
  return String(e);
}
