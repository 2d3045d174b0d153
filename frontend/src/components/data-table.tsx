// The console's one list: what is loading says so, a failure says why (with a retry
// when the page can load again), no row says so, and rows are a `table.list` whose
// columns are declared once (header and cell together). The registers, the incident
// list and the administration tabs all read this way.
import type { ComponentChildren, HTMLAttributes } from "preact";

import { messages } from "../lib/i18n";

const t = messages({
  fr: { loading: "Chargement…", retry: "Réessayer", none: "Aucun élément.", more: "Plus anciens" },
  en: { loading: "Loading…", retry: "Try again", none: "Nothing.", more: "Older" },
});

export interface Column<T> {
  /** The header (text, or nothing for a column of buttons). */
  head: ComponentChildren;
  cell: (row: T) => ComponentChildren;
  /** The cells' class (`nowrap`, `detail`…). */
  class?: string;
}

/** The failure of a load, in a banner; with a retry button when `retry` is given. */
export function LoadError({ error, retry }: { error: string | null; retry?: () => unknown }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
      {retry && (
        <>
          {" "}
          <button type="button" class="link" data-testid="retry" onClick={() => void retry()}>
            {t("retry")}
          </button>
        </>
      )}
    </p>
  );
}

/** The outcome of an action: a confirmation (status) or a refusal (alert). */
export function Notice({ notice }: { notice: { ok: boolean; text: string } | null }) {
  if (!notice) return null;
  return (
    <p class={notice.ok ? "notice" : "error"} role={notice.ok ? "status" : "alert"}>
      {notice.text}
    </p>
  );
}

/** "Loading…" until there is an answer, unless the load failed (the error says so). */
export function Loading({ error = null }: { error?: string | null }) {
  return error ? null : <p class="loading">{t("loading")}</p>;
}

export interface DataTableProps<T> {
  /** The rows; null while the first answer is awaited. */
  rows: readonly T[] | null;
  /** The columns; `false` or null leave one out (a column only some readers see). */
  columns: readonly (Column<T> | false | null)[];
  rowKey: (row: T) => string | number;
  /** What a row carries besides its cells: data-testid, data-*, class, onClick. */
  rowProps?: (row: T) => HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, unknown>;
  /** Why the last load failed (shown above the rows, which are kept). */
  error?: string | null;
  /** Load again (the error banner's button). */
  retry?: () => unknown;
  /** What no row means, in the page's words. */
  empty?: ComponentChildren;
  emptyTestId?: string;
  /** The table's data-testid. */
  testId?: string;
  /** More classes for the table besides `list` (`compact`…). */
  class?: string;
  /** Each cell names its column (`data-label`), for narrow screens that stack them. */
  labelled?: boolean;
  /** Shown above the table when there are rows (a count). */
  caption?: ComponentChildren;
  /** Load the next (older) page; null or absent: there is none. */
  more?: (() => void) | null;
}

export function DataTable<T>(props: DataTableProps<T>) {
  const { rows, error = null } = props;
  const columns = props.columns.filter((c): c is Column<T> => Boolean(c));
  return (
    <>
      <LoadError error={error} retry={props.retry} />
      {rows === null ? (
        <Loading error={error} />
      ) : rows.length === 0 ? (
        <p class="empty" data-testid={props.emptyTestId}>
          {props.empty ?? t("none")}
        </p>
      ) : (
        <>
          {props.caption}
          <table class={props.class ? `list ${props.class}` : "list"} data-testid={props.testId}>
            <thead>
              <tr>
                {columns.map((c, n) => (
                  <th key={n}>{c.head}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={props.rowKey(row)} {...props.rowProps?.(row)}>
                  {columns.map((c, n) => (
                    <td key={n} class={c.class} data-label={props.labelled && typeof c.head === "string" ? c.head : undefined}>
                      {c.cell(row)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {props.more && (
        <button type="button" onClick={props.more}>
          {t("more")}
        </button>
      )}
    </>
  );
}
