import type { PageProps } from "../app";

// Placeholder: the screen is being built (issue 5).
export function WallPage(_props: PageProps) {
  return <p class="empty">…</p>;
}
