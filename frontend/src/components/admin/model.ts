// What the administration pages read from the API, and the small rules they apply:
// days left before a date (Paris days, as the server counts them), sizes and rates in
// words, and the password policy's refusals in French.
import type { Schema } from "../../lib/api";
import { lang } from "../../lib/i18n";

export type UserOut = Schema<"UserOut">;

export type LockedUser = Schema<"LockedUserOut">;

export type HealthSummary = Schema<"HealthSummaryOut">;

export type Sample = Schema<"SampleOut">;

export type CameraHealth = Schema<"CameraHealthOut">;

export interface StorageReport {
  total_bytes: number;
  bytes_per_day: number;
  disk_total_bytes: number;
  disk_free_bytes: number;
  floor_bytes: number;
  forecast_days: number | null;
  longest_retention_days: number;
  covers_retention: boolean | null;
  cameras: { camera_id: string; retention_days: number; bytes: number; oldest: string | null }[];
}

export type ExpiryWarning = Schema<"WarningOut">;

export const ROLES = ["operator", "supervisor", "patrol", "investigator", "auditor", "admin"] as const;
/** Roles that need a prefectoral approval unless municipal police (CSI R252-12). */
export const APPROVAL_ROLES = new Set(["operator", "supervisor", "patrol"]);
export const WARN_DAYS = 30;

const DAY = 86_400_000;

/** Today's date in Paris, "YYYY-MM-DD". */
export function parisToday(nowMs: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris" }).format(new Date(nowMs));
}

/** Days from Paris's today to `date` (a last valid day): 0 today, negative once past. */
export function daysUntil(date: string, nowMs: number): number {
  const today = Date.parse(`${parisToday(nowMs)}T00:00:00Z`);
  return Math.round((Date.parse(`${date.slice(0, 10)}T00:00:00Z`) - today) / DAY);
}

/** "bad" once past, "warn" within 30 days, "ok" beyond, "" without a date. */
export function expiryLevel(date: string | null, nowMs: number): "" | "ok" | "warn" | "bad" {
  if (!date) return "";
  const left = daysUntil(date, nowMs);
  if (left < 0) return "bad";
  return left <= WARN_DAYS ? "warn" : "ok";
}

function number(value: number, digits: number): string {
  return value.toLocaleString(lang.value === "en" ? "en-GB" : "fr-FR", {
    maximumFractionDigits: digits,
    minimumFractionDigits: 0,
  });
}

/** 1 536 → "1,5 Kio"; binary units, as `df -h` shows. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  const units = lang.value === "en" ? ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] : ["o", "Kio", "Mio", "Gio", "Tio", "Pio"];
  let value = Math.abs(bytes);
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  return `${bytes < 0 ? "-" : ""}${number(value, value < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

/** 2 000 000 → "2 Mbit/s" (decimal units, as cameras are configured). */
export function formatBitrate(bps: number | null | undefined): string {
  if (bps === null || bps === undefined || !Number.isFinite(bps)) return "—";
  if (bps >= 1e6) return `${number(bps / 1e6, 1)} Mbit/s`;
  if (bps >= 1e3) return `${number(bps / 1e3, 0)} kbit/s`;
  return `${number(bps, 0)} bit/s`;
}

export function formatNumber(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined ? "—" : number(value, digits);
}

/** The API's refusal as one line: the password policy's reason, a detail, or the status. */
export function refusal(e: unknown, policy: (code: string) => string | null): string {
  if (e && typeof e === "object" && "detail" in e) {
    const { detail, status } = e as { detail: unknown; status?: number };
    if (detail && typeof detail === "object" && !Array.isArray(detail) && "code" in detail) {
      const d = detail as { code: string; message?: string };
      return policy(d.code) ?? d.message ?? d.code;
    }
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).slice(1).join(".")}: ${d.msg ?? ""}`).join(" ; ");
    }
    return `HTTP ${status ?? "?"}`;
  }
  return String(e);
}

/** A calendar date ("YYYY-MM-DD", a last valid day) as the reader writes it. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return "—";
  const d = new Date(`${value.slice(0, 10)}T12:00:00Z`);
  if (Number.isNaN(d.getTime())) return value;
  return d.toLocaleDateString(lang.value === "en" ? "en-GB" : "fr-FR", { timeZone: "UTC" });
}
