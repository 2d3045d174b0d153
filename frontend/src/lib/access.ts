// Access codes (beffroi.access.invitations): an agent never receives a password from
// someone else; it gets a one-time code, opens #/access?code=… (or types the code on
// the sign-in page) and chooses its own password, then enrols its second factor.

/** What a code is for (`POST /api/auth/access-code`), before a password is chosen. */
export interface CodeInfo {
  username: string;
  role: string;
  purpose: "invitation" | "reset" | string;
  expires_at: string;
}

/** An open request for a code (`/api/access-requests`). */
export interface AccessRequestOut {
  id: number;
  username: string;
  role: string;
  communes: string[];
  purpose: "invitation" | "reset" | string;
  requested_by: string;
  requested_at: string;
  approved_by: string | null;
  expires_at: string;
  two_person: boolean;
  may_approve: boolean;
  refusal: string | null;
}

/** A code as issued: shown once, to whoever hands it to the agent. */
export interface IssuedCodeOut {
  request_id: number;
  username: string;
  code: string;
  expires_at: string;
}

/** `POST /api/users/{u}/access`, and the extra fields of `POST /api/users`. */
export interface RequestCreated {
  request: AccessRequestOut;
  code: IssuedCodeOut | null;
}

export const ACCESS_PATH = "access";

/** The code of an `#/access?code=…` link ("" without one), or null on another route. */
export function codeFromRoute(route: { path: string[]; params: URLSearchParams }): string | null {
  if (route.path[0] !== ACCESS_PATH) return null;
  return (route.params.get("code") ?? "").trim();
}
