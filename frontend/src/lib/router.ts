// Hash routes (#/wall, #/camera/jlt-001?at=…): the server serves one page, and a link
// copied from the address bar opens the same screen after sign-in.
import { signal } from "@preact/signals";

export interface Route {
  path: string[];
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, "");
  const [pathPart, queryPart = ""] = raw.split("?", 2);
  const path = pathPart.split("/").filter(Boolean).map(decodeURIComponent);
  return { path, params: new URLSearchParams(queryPart) };
}

export const route = signal<Route>(parseHash(typeof location !== "undefined" ? location.hash : ""));

if (typeof window !== "undefined") {
  window.addEventListener("hashchange", () => {
    route.value = parseHash(location.hash);
  });
}

export function href(path: string, params?: Record<string, string | number | undefined>): string {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== undefined && value !== "") qs.set(key, String(value));
  }
  const query = qs.toString();
  return `#/${path.replace(/^\//, "")}${query ? `?${query}` : ""}`;
}

export function navigate(path: string, params?: Record<string, string | number | undefined>): void {
  location.hash = href(path, params);
}
