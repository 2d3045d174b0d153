// The console speaks only the documented API (docs/ref/api.md), same origin, cookie
// session: the HttpOnly cookie authenticates, the CSRF token guards state changes.

import type { components } from "./api-schema";

const CSRF_KEY = "beffroi.csrf";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
    /** Seconds from a `Retry-After` header (lockout, throttling). */
    readonly retryAfter: number | null = null,
  ) {
    super(typeof detail === "string" ? detail : `HTTP ${status}`);
  }

  /** The server's short reason (`totp_required`, `locked`…) when it sent a string. */
  get code(): string | null {
    return typeof this.detail === "string" ? this.detail : null;
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function setCsrfToken(token: string | null): void {
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

export function apiUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== null && value !== undefined && value !== "") params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** ws:// or wss:// URL of an API path on this origin. */
export function wsUrl(path: string): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Query;
  /** A bearer token (TOTP enrolment); the cookie is used otherwise. */
  bearer?: string;
  signal?: AbortSignal;
}

/** Fired when the session is gone (idle expiry, logout elsewhere): back to sign-in. */
export const SESSION_LOST = "beffroi:session-lost";

/** Whether an answer means the session is gone. A 401 from `/api/auth/…` is the answer
 * of a form (a wrong sign-in, a missing or wrong code when changing one's password):
 * the form shows it, and the user stays signed in. */
export function sessionLost(status: number, path: string): boolean {
  return status === 401 && !path.startsWith("/api/auth/");
}

export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.bearer) headers.Authorization = `Bearer ${options.bearer}`;
  const csrf = sessionStorage.getItem(CSRF_KEY);
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  const response = await fetch(apiUrl(path, options.query), {
    method,
    headers,
    credentials: "same-origin",
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  if (!response.ok) {
    let detail: unknown = null;
    try {
      detail = (await response.json()).detail;
    } catch {
      detail = response.statusText;
    }
    if (sessionLost(response.status, path)) {
      window.dispatchEvent(new CustomEvent(SESSION_LOST));
    }
    const retry = response.headers.get("Retry-After");
    throw new ApiError(response.status, detail, retry ? Number(retry) : null);
  }
  return response;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A model of the API as its OpenAPI description gives it (`make api-types`):
 * `Schema<"HoldOut">` is what `GET /api/holds` lists. */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];
