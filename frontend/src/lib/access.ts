// Access codes (beffroi.access.invitations): an agent never receives a password from
// someone else; it gets a one-time code, opens #/access?code=… (or types the code on
// the sign-in page) and chooses its own password, then enrols its second factor.
import type { Schema } from "./api";

/** What a code is for (`POST /api/auth/access-code`), before a password is chosen. */
export type CodeInfo = Schema<"CodeInfo">;

/** An open request for a code (`/api/access-requests`). */
export type AccessRequestOut = Schema<"AccessRequestOut">;

/** A code as issued: shown once, to whoever hands it to the agent. */
export type IssuedCodeOut = Schema<"IssuedCodeOut">;

/** `POST /api/users/{u}/access`, and the extra fields of `POST /api/users`. */
export type RequestCreated = Schema<"RequestCreated">;

export const ACCESS_PATH = "access";

/** The code of an `#/access?code=…` link ("" without one), or null on another route. */
export function codeFromRoute(route: { path: string[]; params: URLSearchParams }): string | null {
  if (route.path[0] !== ACCESS_PATH) return null;
  return (route.params.get("code") ?? "").trim();
}
