// Saved layouts (`/api/layouts`): the user's own and the centre's shared ones. Choosing
// one puts it on the wall; the current wall is saved under a name, shared if the role may.
import { useEffect, useState } from "preact/hooks";

import { api, ApiError } from "../../lib/api";
import { messages } from "../../lib/i18n";
import { can } from "../../lib/session";
import type { Grid } from "./layout";

export interface SavedLayout {
  name: string;
  grid: Grid;
  cameras: (string | null)[];
  shared: boolean;
  updated_at: string;
  updated_by: string;
}

const t = messages({
  fr: {
    layouts: "Dispositions",
    choose: "Charger une disposition…",
    mine: "Les miennes",
    shared: "Partagées",
    save: "Enregistrer",
    save_as: "Enregistrer la disposition",
    name: "Nom",
    share: "Partagée avec le centre",
    cancel: "Annuler",
    delete: "Supprimer",
    confirm_delete: "Supprimer la disposition « {name} » ?",
    saved: "Disposition « {name} » enregistrée.",
    failed: "Échec : {error}",
    out_of_scope: "une caméra hors de votre périmètre",
  },
  en: {
    layouts: "Layouts",
    choose: "Load a layout…",
    mine: "Mine",
    shared: "Shared",
    save: "Save",
    save_as: "Save the layout",
    name: "Name",
    share: "Shared with the centre",
    cancel: "Cancel",
    delete: "Delete",
    confirm_delete: "Delete the layout “{name}”?",
    saved: "Layout “{name}” saved.",
    failed: "Failed: {error}",
    out_of_scope: "a camera outside your communes",
  },
});

/** The `<select>` value of a layout: own and shared ones may share a name. */
export function layoutKey(layout: { name: string; shared: boolean }): string {
  return `${layout.shared ? "shared" : "mine"}:${layout.name}`;
}

function why(error: unknown): string {
  if (error instanceof ApiError) return error.status === 422 ? t("out_of_scope") : error.message;
  return String(error);
}

interface Props {
  grid: Grid;
  cameras: (string | null)[];
  onLoad: (layout: SavedLayout) => void;
}

export function SavedLayouts({ grid, cameras, onLoad }: Props) {
  const [layouts, setLayouts] = useState<SavedLayout[]>([]);
  const [current, setCurrent] = useState<string>("");
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);
  const [note, setNote] = useState<string | null>(null);

  const refresh = async () => {
    try {
      setLayouts(await api<SavedLayout[]>("/api/layouts"));
    } catch (error) {
      setNote(t("failed", { error: why(error) }));
    }
  };
  useEffect(() => void refresh(), []);

  const chosen = layouts.find((l) => layoutKey(l) === current) ?? null;
  const mayShare = can("layout.share");

  const choose = (key: string) => {
    setCurrent(key);
    setNote(null);
    const layout = layouts.find((l) => layoutKey(l) === key);
    if (layout) onLoad(layout);
  };

  const save = async (event: Event) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    try {
      const out = await api<SavedLayout>(`/api/layouts/${encodeURIComponent(trimmed)}`, {
        method: "PUT",
        body: { grid, cameras, shared: shared && mayShare },
      });
      setEditing(false);
      setNote(t("saved", { name: out.name }));
      await refresh();
      setCurrent(layoutKey(out));
    } catch (error) {
      setNote(t("failed", { error: why(error) }));
    }
  };

  const remove = async () => {
    if (!chosen || !window.confirm(t("confirm_delete", { name: chosen.name }))) return;
    try {
      await api(`/api/layouts/${encodeURIComponent(chosen.name)}`, {
        method: "DELETE",
        query: { shared: chosen.shared ? "true" : undefined },
      });
      setCurrent("");
      await refresh();
    } catch (error) {
      setNote(t("failed", { error: why(error) }));
    }
  };

  const mine = layouts.filter((l) => !l.shared);
  const common = layouts.filter((l) => l.shared);
  return (
    <div class="saved-layouts" data-testid="saved-layouts">
      <select aria-label={t("layouts")} value={current} onChange={(e) => choose((e.target as HTMLSelectElement).value)}>
        <option value="">{t("choose")}</option>
        {mine.length > 0 && (
          <optgroup label={t("mine")}>
            {mine.map((l) => (
              <option key={layoutKey(l)} value={layoutKey(l)}>
                {l.name}
              </option>
            ))}
          </optgroup>
        )}
        {common.length > 0 && (
          <optgroup label={t("shared")}>
            {common.map((l) => (
              <option key={layoutKey(l)} value={layoutKey(l)}>
                {l.name}
              </option>
            ))}
          </optgroup>
        )}
      </select>
      {editing ? (
        <form class="save-form" onSubmit={save}>
          <input
            aria-label={t("name")}
            placeholder={t("name")}
            value={name}
            maxLength={100}
            required
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
          />
          {mayShare && (
            <label class="inline">
              <input type="checkbox" checked={shared} onChange={(e) => setShared((e.target as HTMLInputElement).checked)} />
              {t("share")}
            </label>
          )}
          <button type="submit" class="primary">
            {t("save")}
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            {t("cancel")}
          </button>
        </form>
      ) : (
        <button
          type="button"
          onClick={() => {
            setName(chosen?.name ?? "");
            setShared(chosen?.shared ?? false);
            setEditing(true);
          }}
        >
          {t("save_as")}
        </button>
      )}
      {chosen && (!chosen.shared || mayShare) && (
        <button type="button" class="danger" onClick={() => void remove()}>
          {t("delete")}
        </button>
      )}
      {note && (
        <span class="note" role="status">
          {note}
        </span>
      )}
    </div>
  );
}
