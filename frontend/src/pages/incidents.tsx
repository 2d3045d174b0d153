import type { PageProps } from "../app";

// Placeholder: the screen is being built (issue 5).
export function IncidentsPage(_props: PageProps) {
  return <p class="empty">…</p>;
}
