// Who is signed in, and what the role may do: the console hides what the permission
// matrix refuses (the server refuses it anyway).
import { signal } from "@preact/signals";

import { api, setCsrfToken } from "./api";

export interface Session {
  username: string;
  role: string;
  communes: string[] | null;
  auth: string;
  csrf_token: string | null;
  permissions: string[];
}

/** undefined: not known yet; null: signed out. */
export const session = signal<Session | null | undefined>(undefined);

export function can(permission: string): boolean {
  return session.value?.permissions.includes(permission) ?? false;
}

export async function loadSession(): Promise<Session | null> {
  try {
    const info = await api<Session>("/api/auth/session");
    setCsrfToken(info.csrf_token);
    session.value = info;
  } catch {
    setCsrfToken(null);
    session.value = null;
  }
  return session.value;
}

export async function signOut(): Promise<void> {
  try {
    await api("/api/auth/logout", { method: "POST" });
  } finally {
    setCsrfToken(null);
    session.value = null;
  }
}
