// French first, English available. Each module declares its own messages next to its
// code, so a page and its words are read (and changed) together.
import { signal } from "@preact/signals";

export type Lang = "fr" | "en";
const LANG_KEY = "beffroi.lang";

function initialLang(): Lang {
  const saved = typeof localStorage !== "undefined" ? localStorage.getItem(LANG_KEY) : null;
  return saved === "en" ? "en" : "fr";
}

export const lang = signal<Lang>(initialLang());

export function setLang(value: Lang): void {
  lang.value = value;
  localStorage.setItem(LANG_KEY, value);
  document.documentElement.lang = value;
}

type Dict = Record<string, string>;

/** `messages({fr, en})` → `t(key, {name: value})`, English falling back to French. */
export function messages<K extends string>(dicts: { fr: Record<K, string>; en: Partial<Record<K, string>> }) {
  return (key: K, vars?: Record<string, string | number>): string => {
    const dict: Dict = lang.value === "en" ? { ...dicts.fr, ...dicts.en } : dicts.fr;
    let text = dict[key] ?? key;
    for (const [name, value] of Object.entries(vars ?? {})) {
      text = text.replaceAll(`{${name}}`, String(value));
    }
    return text;
  };
}

const PARIS = "Europe/Paris";

/** An instant shown in Paris time, the way operators and the courts read it. */
export function formatTime(value: string | number | Date | null | undefined, withSeconds = true): string {
  if (value === null || value === undefined) return "—";
  const date = value instanceof Date ? value : new Date(value);
  return date.toLocaleString(lang.value === "en" ? "en-GB" : "fr-FR", {
    timeZone: PARIS,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: withSeconds ? "2-digit" : undefined,
  });
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h) return `${h} h ${String(m).padStart(2, "0")}`;
  if (m) return `${m} min ${String(rest).padStart(2, "0")} s`;
  return `${rest} s`;
}
