// The cameras as `GET /api/cameras` gives them (the server's `CameraOut`, one type for
// every page, generated from its OpenAPI description), the one call that asks for them,
// grouped by commune and district (wall side panel, patrol page), and the status badge a
// tile or a map popup shows. Refreshed every few seconds where statuses matter.
import { api } from "./api";
import type { components } from "./api-schema";
import { lang, messages } from "./i18n";
import { useResource } from "./resource";

/** A camera of the user's scope, as the API describes it. */
export type Camera = components["schemas"]["CameraOut"];

const t = messages({
  fr: {
    recording: "enregistrement",
    connecting: "connexion…",
    offline: "hors ligne",
    offline_since: "hors ligne depuis {time}",
    disabled: "désactivée",
    minima: "sous les minima légaux",
    no_district: "Sans quartier",
    unauthorized: "identifiants refusés",
    unreachable: "injoignable",
    not_found: "flux introuvable",
    unsupported_codec: "codec non pris en charge",
    no_video: "pas de vidéo",
    transport_refused: "transport refusé (essayer udp)",
    stalled: "flux figé",
    stream_ended: "flux interrompu",
    stream_error: "flux en erreur",
    storage_error: "erreur de stockage",
    removed: "retirée",
    on: "le {date} à {time}",
  },
  en: {
    recording: "recording",
    connecting: "connecting…",
    offline: "offline",
    offline_since: "offline since {time}",
    disabled: "disabled",
    minima: "below legal minima",
    no_district: "No district",
    unauthorized: "credentials refused",
    unreachable: "unreachable",
    not_found: "stream not found",
    unsupported_codec: "unsupported codec",
    no_video: "no video",
    transport_refused: "transport refused (try udp)",
    stalled: "stream stalled",
    stream_ended: "stream ended",
    stream_error: "stream error",
    storage_error: "storage error",
    removed: "removed",
    on: "{date} at {time}",
  },
});

type ReasonKey = Parameters<typeof t>[0];

export interface Badge {
  kind: "ok" | "warn" | "bad" | "";
  text: string;
}

function parisParts(date: Date): { day: string; time: string } {
  const locale = lang.value === "en" ? "en-GB" : "fr-FR";
  const zone = { timeZone: "Europe/Paris" } as const;
  return {
    day: date.toLocaleDateString(locale, { ...zone, day: "2-digit", month: "2-digit" }),
    time: date.toLocaleTimeString(locale, { ...zone, hour: "2-digit", minute: "2-digit" }),
  };
}

/** "HH:MM" (Paris) when the same day as `now`, "le JJ/MM à HH:MM" otherwise. */
export function sinceText(since: string, now: Date = new Date()): string {
  const at = parisParts(new Date(since));
  const today = parisParts(now);
  return at.day === today.day && now.getTime() - Date.parse(since) < 86_400_000 ? at.time : t("on", { date: at.day, time: at.time });
}

/** The tile's badges: the recording status, and the legal minima when not met. */
export function badges(camera: Camera, now: Date = new Date()): Badge[] {
  const out: Badge[] = [];
  if (camera.status === "recording") out.push({ kind: "ok", text: t("recording") });
  else if (camera.status === "connecting") out.push({ kind: "warn", text: t("connecting") });
  else if (camera.status === "disabled") out.push({ kind: "", text: t("disabled") });
  else {
    let text = camera.since && Date.parse(camera.since) > 0 ? t("offline_since", { time: sinceText(camera.since, now) }) : t("offline");
    if (camera.reason) text += ` (${t(camera.reason as ReasonKey)})`;
    out.push({ kind: "bad", text });
  }
  if (camera.below_legal_minima) out.push({ kind: "warn", text: t("minima") });
  return out;
}

export interface DistrictGroup {
  district: string;
  label: string;
  cameras: Camera[];
}

export interface CommuneGroup {
  commune: string;
  name: string;
  cameras: Camera[];
  districts: DistrictGroup[];
}

const collator = () => new Intl.Collator(lang.value === "en" ? "en" : "fr", { sensitivity: "base", numeric: true });

/** Communes by name, their districts by name (cameras without one last), cameras by name. */
export function groupCameras(cameras: readonly Camera[]): CommuneGroup[] {
  const cmp = collator().compare;
  const communes = new Map<string, CommuneGroup>();
  for (const camera of [...cameras].sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id))) {
    let group = communes.get(camera.commune);
    if (!group) {
      group = { commune: camera.commune, name: camera.commune_name, cameras: [], districts: [] };
      communes.set(camera.commune, group);
    }
    group.cameras.push(camera);
    const key = camera.district ?? "";
    let district = group.districts.find((d) => d.district === key);
    if (!district) {
      district = { district: key, label: camera.district ?? t("no_district"), cameras: [] };
      group.districts.push(district);
    }
    district.cameras.push(camera);
  }
  const groups = [...communes.values()].sort((a, b) => cmp(a.name, b.name));
  for (const g of groups) {
    g.districts.sort((a, b) => (a.district === "" ? 1 : b.district === "" ? -1 : cmp(a.label, b.label)));
  }
  return groups;
}

/** `GET /api/cameras`: the cameras of the user's scope. Every page asks through here. */
export function loadCameras(signal?: AbortSignal): Promise<Camera[]> {
  return api<Camera[]>("/api/cameras", { signal });
}

export interface CamerasResult {
  /** Null until the first answer. */
  cameras: Camera[] | null;
  /** The last failure in words (the cameras before it are kept). */
  error: string | null;
  reload: () => Promise<void>;
}

/** The cameras, again every `everyMs` (statuses change); `null`: once. */
export function useCameras(everyMs: number | null = 5000): CamerasResult {
  const { data, error, reload } = useResource(loadCameras, [], { every: everyMs });
  return { cameras: data, error, reload };
}
