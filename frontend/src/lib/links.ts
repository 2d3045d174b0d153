// A notification's signed link is a server path, `/incidents/N?link=TOKEN`
// (oncall/links.py); the console's routes are hashes. Turn one into the other.

export function hashForPath(pathname: string, search: string): string | null {
  const match = /^\/incidents\/(\d+)\/?$/.exec(pathname);
  if (!match) return null;
  const link = new URLSearchParams(search).get("link");
  return `#/incidents/${match[1]}${link ? `?link=${encodeURIComponent(link)}` : ""}`;
}

export function adoptServerPath(): void {
  const hash = hashForPath(location.pathname, location.search);
  if (hash) history.replaceState(null, "", `/${hash}`);
}
